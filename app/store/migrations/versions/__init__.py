"""Alembic revisions; each branches on the dialect where PostGIS needs more than SQLite."""
