"""The weekly skipped-meeting report: `build` (pure data), `render` (formats), `mail` (SMTP)."""
