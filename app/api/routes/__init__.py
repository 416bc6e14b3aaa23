"""HTTP routes, one module per resource (`app.api.routers` lists them for the app)."""
