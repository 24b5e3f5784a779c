"""The aiohttp edge: the platform's only HTTP/WebSocket entry (health, readiness, metrics
and the OpenAPI document now; each service's ``http.py`` routes mount here)."""
