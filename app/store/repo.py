"""`Repo`: every query of the service, over the shared store's tables (`app.store`).

One class so that routes and the pipeline depend on one object (`Services.repo`) and a
change of storage touches this package only. All methods are blocking: call them from worker
threads (sync routes, `asyncio.to_thread`), never on the event loop's hot path.
"""

from __future__ import annotations

from app.store import Store, open_store
from app.store.accounts import AccountsRepo, TokenRow
from app.store.alerts import AlertFilter, AlertsRepo
from app.store.case_timeline import CaseViewsRepo
from app.store.contacts import ContactsRepo
from app.store.daily import DailyRepo
from app.store.history import PositionsRepo
from app.store.reference import DataRepo
from app.store.reports import ReportsRepo
from app.store.rules import RulesRepo

__all__ = ["AlertFilter", "Repo", "TokenRow"]


class Repo(
    AccountsRepo,
    CaseViewsRepo,
    DailyRepo,
    AlertsRepo,
    ContactsRepo,
    DataRepo,
    PositionsRepo,
    RulesRepo,
    ReportsRepo,
):
    """The service's data functions; see the module docstring."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine
        self.positions = store
        self.store = store

    @classmethod
    def open(cls, url: str, *, upgrade: bool | None = None) -> Repo:
        """Open the shared store, the one schema of the service.

        The store upgrades SQLite itself and refuses a PostGIS schema that is behind
        (``mare db upgrade``), unless ``upgrade`` says otherwise.
        """
        return cls(open_store(url, upgrade=upgrade))

    def close(self) -> None:
        self.store.close()
