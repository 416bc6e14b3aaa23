"""What the service holds in memory: the live picture, the hub, intercepts, the relay."""
