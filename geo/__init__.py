"""The geofence and behaviour engine: pure and deterministic, driven by event time alone."""
