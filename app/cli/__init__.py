"""The `pledgedb` command line: migrate, seed, check, serve, import, export, keys, propose."""
