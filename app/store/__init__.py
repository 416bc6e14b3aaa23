"""Storage: PostGIS in production, SQLite embedded, the same tables and the same answers.

Entry point: ``store = open_store(url)``, then ``store.write_batch(batch)``, the query functions
of `app.store.queries`, `app.store.zones`, `app.store.events` and friends, ``store.close()``.
"""

from app.store.errors import StoreError, StoreUnavailable
from app.store.store import Store, WriteResult, open_store

__all__ = ["Store", "StoreError", "StoreUnavailable", "WriteResult", "open_store"]
