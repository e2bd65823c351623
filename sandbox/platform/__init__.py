"""What every emulated system shares: HTTP server, store, auth, faults, limits, webhooks, admin, pages."""
