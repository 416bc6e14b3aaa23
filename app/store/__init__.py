"""Storage: PostGIS in production, SQLite embedded, the same tables and the same answers.

Two levels: `Store` (``open_store(url)``) owns the connection, the schema and the bulk
position path (``store.write_batch(batch)``, `app.store.queries`); `app.store.repo.Repo` is
every other query the service makes (accounts, alerts, zones, watchlist, assets, vessel
states), over the same store. Nothing else in Mare talks SQL.
"""

from app.store.errors import StoreError, StoreUnavailable
from app.store.store import Staged, Store, WriteResult, open_store

__all__ = ["Staged", "Store", "StoreError", "StoreUnavailable", "WriteResult", "open_store"]
