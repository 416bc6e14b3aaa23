"""Settings of the live service (``mare serve``/``mare demo``), on top of the process settings.

They extend `app.settings.Settings` (same ``MARE_`` prefix, same single reader of the
environment) with what only the service needs: where it listens for AIS, how long tokens live,
how often the engine is snapshotted, and the secrets that serve mode refuses to run without.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]

#: Secrets that are never acceptable in serve mode: empty, or copied from an example.
WEAK_SECRETS = frozenset({"", "changeme", "change-me", "secret", "admin", "password", "mare"})


def parse_listen(value: str) -> tuple[str, int]:
    """Split ``host:port`` (``[v6]:port`` for IPv6) into a bind address; ValueError if not one."""
    host, sep, port = value.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"expected host:port (e.g. 127.0.0.1:10111), got {value!r}")
    return host, int(port)


class ServiceSettings(Settings):
    """Process settings plus the service's own (``MARE_*`` environment variables)."""

    #: Ingest sources the pipeline reads (``udp://0.0.0.0:10110``, ``tcp://...``), comma list.
    sources: Annotated[list[str], NoDecode] = Field(default_factory=list)
    #: ``host:port`` on which the NMEA relay re-serves the accepted sentences over TCP
    #: (``127.0.0.1:10111``, ``[::1]:10111``; port 0 takes a free one); empty: no relay.
    relay_listen: str = ""
    #: Zone file loaded into an empty database at start (the shipped central-Med set).
    zone_file: Path = ROOT / "data" / "zones" / "central_med.geojson"
    #: Watchlist CSV loaded into an empty database at start; None for none.
    watchlist_file: Path | None = None
    #: Own assets (CSV or JSON: name, kind, mmsi and/or lat/lon, max_speed_kn) upserted by name
    #: at every start (`app.service.assets`); None for none. An invalid file stops the start.
    assets_file: Path | None = None
    #: Land polygons for reachable areas and the basemap (GSHHG "h", about 200 m).
    land_file: Path = ROOT / "data" / "coast" / "land_gshhg_h.geojson"
    #: Coarser land for the dashboard basemap (GSHHG "i"): a tenth of the bytes, same picture
    #: at the scale of the central Mediterranean.
    basemap_file: Path = ROOT / "data" / "coast" / "land_gshhg_i.geojson"
    #: Places for the engine's "38 nm N of Zuwara" wording.
    places_file: Path = ROOT / "data" / "places.csv"
    #: Lifetime of a login token; API tokens choose their own.
    token_hours: float = Field(default=12.0, gt=0)
    #: Login throttling (OWASP: lock a username after a few failures, a client after more):
    #: failures allowed per username and per client address within the window, in seconds.
    login_user_failures: int = Field(default=5, ge=1)
    login_client_failures: int = Field(default=50, ge=1)
    login_window_seconds: float = Field(default=900.0, gt=0)
    #: An admin token created at start for automation; refused when weak in serve mode.
    bootstrap_admin_token: str | None = None
    #: Token that may read /metrics besides admins.
    metrics_token: str | None = None
    #: Engine snapshot period in seconds; also written at shutdown.
    snapshot_seconds: float = Field(default=60.0, gt=0)
    #: Database maintenance period in seconds (partitions ahead, GiST of closed days,
    #: retention); it also runs at start and just after each UTC midnight.
    maintenance_seconds: float = Field(default=3600.0, gt=0)
    #: Capacity of each queue between pipeline stages, in batches.
    queue_batches: int = Field(default=64, ge=1)
    #: "serve" refuses weak secrets; "demo" and "test" generate or accept them.
    mode: str = "serve"

    @field_validator("sources", mode="before")
    @classmethod
    def _split_sources(cls, value: Any) -> Any:
        """Accept ``MARE_SOURCES=udp://0.0.0.0:10110,tcp://host:4001`` (or a list)."""
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("relay_listen")
    @classmethod
    def _check_relay_listen(cls, value: str) -> str:
        value = value.strip()
        if value:
            parse_listen(value)
        return value

    @property
    def relay_address(self) -> tuple[str, int] | None:
        """Return where the NMEA relay listens, or None when it is off."""
        return parse_listen(self.relay_listen) if self.relay_listen else None

    @property
    def snapshot_path(self) -> Path:
        """Return where the engine snapshot lives (next to the SQLite file by default)."""
        return self.var_dir / "engine.snapshot"
