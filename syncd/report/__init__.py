"""The weekly skipped-meeting report: `build` (pure data), `render` (formats), `mail` (SMTP)."""

# What `syncd report --format` can print (pdf aside, which goes through a browser).
FORMATS = ("text", "markdown", "json", "html")
