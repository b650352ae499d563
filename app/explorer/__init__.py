"""The explorer: server-rendered pages that show what the API answers, for people who look
before they query. `app.explorer.site.install_explorer` adds it to the application."""
