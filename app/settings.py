"""Configuration from ``MARE_*`` environment variables; nothing else reads ``os.environ``.

(`app.defaults` keeps the decoder's defaults and only asks whether one is overridden, so that
the batch commands start without pydantic.)

One module, one default per knob: `Settings` holds what every command reads (database, batches,
dedupe), `ServiceSettings` adds what only the live service needs (sources, tokens, snapshot,
relay, the secrets serve mode refuses to run without). The shipped data files' defaults come
from `geo.shipped`, the one place that knows where the package keeps them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app import defaults
from geo import shipped

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
    batch_size: int = Field(default=defaults.BATCH_SIZE, ge=1)
    batch_seconds: float = Field(default=defaults.BATCH_SECONDS, gt=0)
    #: Lines per batch of ``mare ingest`` when every source is a file read at full speed: no
    #: alert waits on those, and the store pays its cost per batch (a transaction, the duplicate
    #: check, BRIN summary, vessel upsert) once per this many lines (bench.cli).
    file_batch_size: int = Field(default=defaults.FILE_BATCH_SIZE, ge=1)
    #: The same payload heard again within this many seconds (event time) is a duplicate.
    dedupe_seconds: float = Field(default=defaults.DEDUPE_SECONDS, ge=0)
    #: An unfinished multipart message is dropped after this many seconds (receive time).
    fragment_timeout_seconds: float = Field(default=defaults.FRAGMENT_TIMEOUT_SECONDS, gt=0)
    #: A line from a live feed stamped more than this many seconds after it was heard gets its
    #: receive time (a fast or forged clock; `ais_ingest.decoder.Decoder`); 0 turns it off.
    max_ahead_seconds: float = Field(default=defaults.MAX_AHEAD_SECONDS, ge=0)

    @property
    def decoder_max_ahead(self) -> float | None:
        """Return ``max_ahead_seconds`` as the decoder takes it (None: off)."""
        return self.max_ahead_seconds or None

    #: NATS servers of the bus (``nats://host:4222``, comma-separated for a cluster); unset:
    #: one process runs every stage (`mare serve`). Set: the stages run as ``mare worker
    #: ingest|engine|store`` and ``mare serve --api-only`` processes (docs/scaling.md).
    bus_url: str | None = None
    #: Partitions of the MMSI space, fixed for a deployment (each has its engine state; any
    #: number of engine workers share them). What crosses partitions (encounters, receiver
    #: coverage, the feed's sampling) is exchanged at every slice close, so any count gives
    #: exactly the events of one process; four let up to four engine workers share the load
    #: at a measured cost (docs/scaling.md).
    bus_partitions: int = Field(default=4, ge=1, le=1024)
    #: Prefix of the deployment's subjects, streams and bucket on a shared NATS.
    bus_prefix: str = Field(default="mare", pattern=r"^[A-Za-z0-9_-]+$")
    #: Seconds between snapshots of each partition's engine (JetStream key-value store): a
    #: replaced worker replays at most this much of the stream.
    bus_snapshot_seconds: float = Field(default=30.0, gt=0)

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

    # Its validator is built when the service first makes one, not when `mare ingest`, `db` or
    # `zones` import this module for `Settings` (half of the import: ~0.01 s of their start-up).
    model_config = SettingsConfigDict(env_prefix="MARE_", extra="ignore", defer_build=True)

    #: Ingest sources the pipeline reads (``udp://0.0.0.0:10110``, ``tcp://...``), comma list.
    sources: Annotated[list[str], NoDecode] = Field(default_factory=list)
    #: Radar track feeds (TTM/TLL target sentences), comma list of source URLs with the radar's
    #: options ``lat``, ``lon`` (its site, for TTM), ``every``, ``radius`` (`app.live.radar`).
    radar_sources: Annotated[list[str], NoDecode] = Field(default_factory=list)
    #: ``host:port`` on which the NMEA relay re-serves the accepted sentences over TCP
    #: (``127.0.0.1:10111``, ``[::1]:10111``; port 0 takes a free one); empty: no relay.
    relay_listen: str = ""
    #: Zone file loaded into an empty database at start (the shipped central-Med set).
    zone_file: Path = shipped.ZONE_FILE
    #: Alert rules (`geo.alert_rules`) in force until an admin saves others through the API;
    #: an invalid file stops the start, naming the rule and the reason.
    alert_rules_file: Path = shipped.ALERT_RULES_FILE
    #: Watchlist CSV loaded into an empty database at start; None for none.
    watchlist_file: Path | None = None
    #: Own assets (CSV or JSON: name, kind, mmsi and/or lat/lon, max_speed_kn) upserted by name
    #: at every start (`app.live.assets`); None for none. An invalid file stops the start.
    assets_file: Path | None = None
    #: Land polygons for reachable areas (GSHHG "h", about 200 m).
    land_file: Path = shipped.LAND_FILE
    #: Land and borders for the dashboard's basemap (Natural Earth 10m, the whole Mediterranean
    #: and its approaches: the map never shows land cut off at a data box).
    basemap_file: Path = shipped.BASEMAP_FILE
    #: Places for the engine's "38 nm N of Zuwara" wording.
    places_file: Path = shipped.PLACES_FILE
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
    #: Engine snapshot period in seconds; also written at shutdown, with the receiver
    #: coverage the engine learnt (`coverage_path`).
    snapshot_seconds: float = Field(default=60.0, gt=0)
    #: Receiver coverage learnt from a fuller feed (``mare detect --coverage-out`` of a run on
    #: it), which the live engine judges "went dark" with as well, as ``mare detect
    #: --coverage`` does; None: only what the service learns itself.
    coverage_file: Path | None = None
    #: Database maintenance period in seconds (partitions ahead, GiST of closed days,
    #: retention); it also runs at start and just after each UTC midnight.
    maintenance_seconds: float = Field(default=3600.0, gt=0)
    #: Daily situation reports (docs/reports.md): made just after each UTC midnight of the
    #: service's wall clock (this many seconds after it) for the whole area and each liaison.
    daily_reports: bool = True
    report_after_midnight_seconds: float = Field(default=300.0, ge=0, le=86_400)
    #: Capacity of each queue between pipeline stages, in batches.
    queue_batches: int = Field(default=64, ge=1)
    #: Largest request body accepted, in bytes (a zone import of the shipped set is 1.8 MB);
    #: checked before authentication, so an anonymous client cannot make the service hold a
    #: large body in memory. Sign-in routes accept at most 64 KiB whatever this says.
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    #: "serve" refuses weak secrets; "demo" and "test" generate or accept them.
    mode: str = "serve"
    #: An API node on the bus (``mare serve --api-only``): no sources, no engine of its own;
    #: the picture and the alerts come from the store worker over ``bus_url``.
    api_only: bool = False
    #: CISE partner agencies (JSON, docs/cise.md Partners): who Mare pushes alerts to, under
    #: which agreement, and whose pushes it accepts; None: no partners.
    cise_partners_file: Path | None = None
    #: This Mare's CISE service id (Sender of its pushes; its entities' UUIDs derive from it)
    #: and the authority named as their source.
    cise_service_id: str = Field(default="mare", min_length=1)
    cise_authority: str = Field(default="Mare", min_length=1)
    #: Partner endpoints an admin allows, comma-separated URL prefixes (as the webhook list);
    #: a partner elsewhere is never sent to. Empty allows none.
    cise_allowlist: str = ""

    @field_validator("sources", "radar_sources", mode="before")
    @classmethod
    def _split_sources(cls, value: Any) -> Any:
        """Accept ``MARE_SOURCES=udp://0.0.0.0:10110,tcp://host:4001`` (or a list)."""
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("radar_sources")
    @classmethod
    def _check_radar_sources(cls, value: list[str]) -> list[str]:
        from ais_ingest.radar import parse_radar_source

        for url in value:
            parse_radar_source(url)  # a SourceURLError (a ValueError) names the bad one
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

    @property
    def coverage_path(self) -> Path:
        """Return where the learnt coverage is kept, for a start without a usable snapshot."""
        return self.var_dir / "coverage.json"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the settings read once from the environment."""
    return Settings()
