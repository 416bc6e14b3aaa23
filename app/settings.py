"""Configuration from ``MARE_*`` environment variables; nothing else reads ``os.environ``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The SQLite file under ``MARE_VAR_DIR`` when ``MARE_DATABASE_URL`` is unset, for every command.
#: ``mare.sqlite``: where the service (``mare serve``, ``mare users add``, ``mare demo``) always
#: kept users, zones and alerts; ``mare ingest`` and ``mare db`` used to write ``mare.db``.
DATABASE_FILE = "mare.sqlite"
#: The file earlier ``mare ingest`` and ``mare db`` wrote by default; only warned about now.
LEGACY_DATABASE_FILE = "mare.db"


class Settings(BaseSettings):
    """Process-wide settings. Defaults give the embedded single-desk setup (SQLite under var/)."""

    model_config = SettingsConfigDict(env_prefix="MARE_", extra="ignore")

    #: ``postgresql://user@host:port/db`` or ``sqlite:///path``; unset means SQLite under var_dir.
    database_url: str | None = None
    var_dir: Path = Path("var")
    retention_days: int = Field(default=90, ge=1)
    #: Records per batch and the longest a partial batch waits, in seconds (receive time). The
    #: wait is part of every live alert's latency (the service's target is p99 < 250 ms), so it
    #: is short; busy feeds fill batches by size long before it.
    batch_size: int = Field(default=2048, ge=1)
    batch_seconds: float = Field(default=0.1, gt=0)
    #: The same payload heard again within this many seconds (event time) is a duplicate.
    dedupe_seconds: float = Field(default=10.0, ge=0)
    #: An unfinished multipart message is dropped after this many seconds (receive time).
    fragment_timeout_seconds: float = Field(default=5.0, gt=0)
    #: Webhook targets an admin allows, comma-separated URL prefixes (``https://hooks.example.org,
    #: http://10.0.0.5:8080/mare``); a subscription elsewhere is refused. Empty allows none.
    webhook_allowlist: str = ""

    @property
    def resolved_database_url(self) -> str:
        """Return the database every command uses: ``MARE_DATABASE_URL``, else SQLite in var_dir.

        The one place the default is decided, so ``mare ingest``, ``mare db`` and the service
        never write to different files.
        """
        if self.database_url and self.database_url.strip():
            return self.database_url.strip()
        return f"sqlite:///{self.var_dir / DATABASE_FILE}"

    @property
    def legacy_database_file(self) -> Path | None:
        """Return var_dir's ``mare.db`` when it exists and the default SQLite file is in use.

        Earlier versions of ``mare ingest``/``mare db`` wrote there; its rows are not read.
        """
        if self.database_url and self.database_url.strip():
            return None
        legacy = self.var_dir / LEGACY_DATABASE_FILE
        return legacy if legacy.is_file() else None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the settings read once from the environment."""
    return Settings()
