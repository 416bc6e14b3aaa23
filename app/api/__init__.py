"""The HTTP side: routes, OGC API, push (WebSocket, SSE, webhooks), errors and metrics."""
