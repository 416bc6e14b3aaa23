"""``mare serve``: the API, the dashboard and the configured ingest sources.

The checks before uvicorn starts (port, files, database) and the server loop are public here
because `mare demo` is the same service on a simulated feed and uses them as they are.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from app.api.services import services_of
from app.cli import cli
from app.cli.console import err, fail, warn_legacy_database

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from app.settings import ServiceSettings

HostOpt = Annotated[str, typer.Option("--host", help="Address to listen on.")]
PortOpt = Annotated[int, typer.Option("--port", min=0, max=65535, help="HTTP port.")]
#: How long a start waits for a database that is down, retrying with backoff (0.5 s doubling,
#: at most 8 s apart): a PostgreSQL restart or a container starting beside Mare fits in it.
DB_WAIT_S = 30.0
DbWaitOpt = Annotated[
    float,
    typer.Option(
        "--db-wait", min=0, help="Seconds to keep retrying a database that is down at start."
    ),
]


def check_files(settings: ServiceSettings) -> None:
    """Read the zone, watchlist, assets and alert rules files before uvicorn starts.

    The service reads them again at start; a bad one found there ends in the lifespan's
    tracebacks, with the feature and reason buried in them. Here it is one line naming both.
    """
    from app.live.assets import AssetFileError, load_assets_file
    from geo.alert_rules import load_rules_file
    from geo.errors import GeoError
    from geo.watchlist import load_watchlist
    from geo.zones import load_zone_file

    try:
        if settings.zone_file.is_file():
            load_zone_file(settings.zone_file)
        if settings.watchlist_file is not None:
            load_watchlist(settings.watchlist_file)
        if settings.assets_file is not None:
            load_assets_file(settings.assets_file)
        load_rules_file(settings.alert_rules_file)
    except (GeoError, AssetFileError) as exc:
        raise fail(str(exc)) from None


def check_database(url: str, wait_s: float) -> str:
    """Open the store once before uvicorn starts; return the URL to show (no password).

    A database that is down is retried with backoff for ``wait_s`` seconds, one line a retry,
    and a PostGIS schema that is behind is refused at once: each ends in one error line rather
    than the lifespan's tracebacks. The service opens the store again when it starts.
    """
    from app.store import open_store
    from app.store.engine import one_line, redact, resolve_url
    from app.store.errors import StoreError, StoreUnavailable

    try:
        where = redact(resolve_url(url))
    except StoreError as exc:
        raise fail(str(exc)) from None
    deadline = time.monotonic() + wait_s
    delay = 0.5
    while True:
        try:
            open_store(url, attempts=1).close()
            return where
        except StoreUnavailable as exc:
            reason = one_line(exc.__cause__) if exc.__cause__ is not None else str(exc)
            left = deadline - time.monotonic()
            if left <= 0:
                raise fail(
                    f"database at {where} unavailable (waited {wait_s:g} s, --db-wait): {reason}"
                ) from None
            pause = min(delay, left)
            err.print(
                f"database at {where} unavailable, retrying in {pause:.1f} s: {reason}",
                soft_wrap=True,
                markup=False,
            )
            time.sleep(pause)
            delay = min(delay * 2, 8.0)
        except StoreError as exc:  # SchemaOutOfDate says to run `mare db upgrade`
            raise fail(str(exc)) from None


def check_port(host: str, port: int) -> None:
    """Refuse a port already taken in one line, before the service builds anything (0: any)."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


#: After a shutdown begins, how long open requests may still run before they are cancelled.
GRACEFUL_SHUTDOWN_S = 10


async def run_server(app: Any, host: str, port: int, on_started: object = None) -> None:
    """Serve ``app`` with uvicorn; call ``on_started(server)`` once it listens.

    A service whose lifespan failed ends in `RuntimeError` (the log above says why), so the
    command can say it in one line rather than exit 0.
    """
    import uvicorn

    from app.api.push.deflate import SharedDeflateProtocol
    from app.wiring import end_streams

    class Server(uvicorn.Server):
        """uvicorn that ends the app's open streams as its shutdown begins (`end_streams`)."""

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            end_streams(app)
            await super().shutdown(sockets)

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        lifespan="on",
        ws=SharedDeflateProtocol,  # one compression of a diff for all clients (bench.service)
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,  # then the snapshot, whatever hangs
    )
    server = Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started and not task.done():
        await asyncio.sleep(0.05)
    if server.started and callable(on_started):
        on_started(server)
    await task
    if not server.started:
        raise RuntimeError("the service did not start (see the log above)")


def relay_url(app: Starlette) -> str | None:
    """Return ``tcp://host:port`` of the running NMEA relay; None when it is off."""
    relay = services_of(app).relay
    address = relay.address if relay is not None else None
    if address is None:
        return None
    host, port = address
    return f"tcp://[{host}]:{port}" if ":" in host else f"tcp://{host}:{port}"


def bound_port(server: object) -> int | None:
    """Return the port uvicorn listens on (the real one when ``--port 0`` asked for any)."""
    for srv in getattr(server, "servers", []):
        for sock in getattr(srv, "sockets", []):
            return int(sock.getsockname()[1])
    return None


@cli.command()
def serve(
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    db_wait: DbWaitOpt = DB_WAIT_S,
    api_only: Annotated[
        bool,
        typer.Option(
            "--api-only",
            help="An API node on the bus (MARE_BUS_URL): the picture and alerts come from "
            "`mare worker store`; sources are read by `mare worker ingest`.",
        ),
    ] = False,
) -> None:
    """Run the API, the dashboard and the ingest sources of the configuration (MARE_*)."""
    from app.auth.errors import WeakSecretError
    from app.settings import ServiceSettings
    from app.wiring import check_secrets, create_app

    settings = ServiceSettings(mode="serve")
    if api_only and not settings.bus_url:
        raise fail("--api-only needs MARE_BUS_URL (e.g. nats://127.0.0.1:4222)")
    if settings.bus_url and not api_only:
        err.print("MARE_BUS_URL is set: serving as an API node; the stages run as "
                  "`mare worker ingest|engine|store` (docs/scaling.md)", markup=False)  # fmt: skip
    settings = ServiceSettings(mode="serve", api_only=bool(settings.bus_url))
    try:
        check_secrets(settings)
    except WeakSecretError as exc:
        raise fail(str(exc)) from None
    check_port(host, port)
    warn_legacy_database(settings)
    check_files(settings)
    where = check_database(settings.resolved_database_url, db_wait)
    err.print(f"Mare on http://{host}:{port}  (database: {where})", soft_wrap=True, markup=False)
    if not settings.sources and not settings.api_only:
        err.print(
            "[yellow]warning:[/] no AIS source configured, nothing will be ingested: set "
            "MARE_SOURCES (comma-separated, e.g. MARE_SOURCES=udp://0.0.0.0:10110)",
            soft_wrap=True,
        )
    app = create_app(settings)

    def started(server: object) -> None:
        relay = relay_url(app)
        if relay is not None:
            err.print(f"NMEA relay on {relay} (OpenCPN: add a TCP network connection to it)")

    with contextlib.suppress(KeyboardInterrupt):
        try:
            asyncio.run(run_server(app, host, port, started))
        except RuntimeError as exc:
            raise fail(str(exc)) from None
