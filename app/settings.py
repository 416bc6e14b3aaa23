"""Configuration from ``MARE_*`` environment variables; nothing else reads ``os.environ``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Process-wide settings. Defaults give the embedded single-desk setup (SQLite under var/)."""

    model_config = SettingsConfigDict(env_prefix="MARE_", extra="ignore")

    #: ``postgresql://user@host:port/db`` or ``sqlite:///path``; unset means SQLite under var_dir.
    database_url: str | None = None
    var_dir: Path = Path("var")
    retention_days: int = Field(default=90, ge=1)
    #: Records per batch and the longest a partial batch waits, in seconds (receive time).
    batch_size: int = Field(default=2048, ge=1)
    batch_seconds: float = Field(default=0.25, gt=0)
    #: The same payload heard again within this many seconds (event time) is a duplicate.
    dedupe_seconds: float = Field(default=10.0, ge=0)
    #: An unfinished multipart message is dropped after this many seconds (receive time).
    fragment_timeout_seconds: float = Field(default=5.0, gt=0)
    #: Webhook targets an admin allows, comma-separated URL prefixes (``https://hooks.example.org,
    #: http://10.0.0.5:8080/mare``); a subscription elsewhere is refused. Empty allows none.
    webhook_allowlist: str = ""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the settings read once from the environment."""
    return Settings()
