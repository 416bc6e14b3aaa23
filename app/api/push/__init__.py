"""Push to clients: WebSocket live picture, SSE alert stream, signed webhooks."""
