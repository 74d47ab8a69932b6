"""Google APIs: signing in, building clients, retrying politely."""
