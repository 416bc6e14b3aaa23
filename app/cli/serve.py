"""``mare serve``, ``mare demo`` and ``mare users add``: the live service from the command line."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import secrets
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from app.api.services import services_of
from app.cli import cli
from app.cli.console import warn_legacy_database

if TYPE_CHECKING:
    from app.settings import ServiceSettings

err = Console(stderr=True)
out = Console(soft_wrap=True)

users_cli = typer.Typer(help="Manage users.", no_args_is_help=True)
cli.add_typer(users_cli, name="users")

HostOpt = Annotated[str, typer.Option("--host", help="Address to listen on.")]
PortOpt = Annotated[int, typer.Option("--port", min=0, max=65535, help="HTTP port.")]
#: Where `mare demo` puts its NMEA relay: 10110, the port AIS tools use by habit, or the next.
RELAY_PORTS = range(10110, 10130)
#: How long a start waits for a database that is down, retrying with backoff (0.5 s doubling,
#: at most 8 s apart): a PostgreSQL restart or a container starting beside Mare fits in it.
DB_WAIT_S = 30.0
DbWaitOpt = Annotated[
    float,
    typer.Option(
        "--db-wait", min=0, help="Seconds to keep retrying a database that is down at start."
    ),
]


def _fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    return typer.Exit(2)


def _check_files(settings: ServiceSettings) -> None:
    """Read the zone, watchlist, assets and CISE partners files before uvicorn starts.

    The service reads them again at start; a bad one found there ends in the lifespan's
    tracebacks, with the feature and reason buried in them. Here it is one line naming both.
    """
    from app.exchange.cise.partners import CisePartnerFileError, load_partners
    from app.live.assets import AssetFileError, load_assets_file
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
        if settings.cise_partners_file is not None:
            load_partners(settings.cise_partners_file)
    except (GeoError, AssetFileError, CisePartnerFileError) as exc:
        raise _fail(str(exc)) from None


def _check_database(url: str, wait_s: float) -> str:
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
        raise _fail(str(exc)) from None
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
                raise _fail(
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
            raise _fail(str(exc)) from None


def _check_port(host: str, port: int) -> None:
    if port == 0:
        return
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


#: After a shutdown begins, how long open requests may still run before they are cancelled.
GRACEFUL_SHUTDOWN_S = 10


async def _serve(app: Any, host: str, port: int, on_started: object = None) -> None:
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


@cli.command()
def serve(
    host: HostOpt = "127.0.0.1", port: PortOpt = 8000, db_wait: DbWaitOpt = DB_WAIT_S
) -> None:
    """Run the API, the dashboard and the ingest sources of the configuration (MARE_*)."""
    from app.auth.errors import WeakSecretError
    from app.settings import ServiceSettings
    from app.wiring import check_secrets, create_app

    settings = ServiceSettings(mode="serve")
    try:
        check_secrets(settings)
    except WeakSecretError as exc:
        raise _fail(str(exc)) from None
    _check_port(host, port)
    warn_legacy_database(settings)
    _check_files(settings)
    where = _check_database(settings.resolved_database_url, db_wait)
    err.print(f"Mare on http://{host}:{port}  (database: {where})", soft_wrap=True, markup=False)
    if not settings.sources:
        err.print(
            "[yellow]warning:[/] no AIS source configured, nothing will be ingested: set "
            "MARE_SOURCES (comma-separated, e.g. MARE_SOURCES=udp://0.0.0.0:10110)",
            soft_wrap=True,
        )
    app = create_app(settings)

    def started(server: object) -> None:
        relay = _relay_url(app)
        if relay is not None:
            err.print(f"NMEA relay on {relay} (OpenCPN: add a TCP network connection to it)")

    with contextlib.suppress(KeyboardInterrupt):
        try:
            asyncio.run(_serve(app, host, port, started))
        except RuntimeError as exc:
            raise _fail(str(exc)) from None


@cli.command()
def demo(
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    speed: Annotated[float, typer.Option("--speed", min=0.01, help="Simulated time factor.")] = 1.0,
    hours: Annotated[float, typer.Option("--hours", min=0.1, help="Simulated hours.")] = 24.0,
    seed: Annotated[int, typer.Option("--seed", help="Simulation seed.")] = 1,
    vessels: Annotated[
        int | None, typer.Option("--vessels", min=1, help="Ordinary vessels at once.")
    ] = None,
    var_dir: Annotated[Path, typer.Option("--var", help="Where the SQLite file lives.")] = Path(
        "var/demo"
    ),
) -> None:
    """Run simulated central-Med traffic over real UDP through the real pipeline, on SQLite."""
    from app.cli.demo_feed import UdpFeeder, demo_password
    from app.settings import ServiceSettings
    from app.wiring import create_app
    from geo import shipped

    _check_port(host, port)
    token = "mare_t_" + secrets.token_urlsafe(32)
    password = demo_password()
    settings = ServiceSettings(  # MARE_DATABASE_URL when set, else a SQLite file in --var
        mode="demo",
        var_dir=var_dir,
        sources=["udp://127.0.0.1:0"],
        zone_file=shipped.ZONE_FILE,
        watchlist_file=shipped.WATCHLIST_SAMPLE,
        assets_file=shipped.ASSETS_SAMPLE,
        bootstrap_admin_token=token,
    )
    _check_files(settings)
    where = _check_database(settings.resolved_database_url, DB_WAIT_S)
    _refuse_foreign_database(settings.resolved_database_url, where)
    if not settings.relay_listen:  # MARE_RELAY_LISTEN chooses; else the first free of a few
        settings.relay_listen = f"127.0.0.1:{_free_tcp_port('127.0.0.1', RELAY_PORTS)}"
    # Planning starts now, while the service starts; lines go out once its UDP port is known.
    feeder = UdpFeeder(speed=speed, hours=hours, seed=seed, vessels=vessels)
    feeder.start()
    app = create_app(settings)

    def started(server: object) -> None:
        auth = services_of(app).auth
        auth.repo.audit("demo", DEMO_MARK, target="database", detail={"seed": seed})
        if auth.repo.password_hash("admin") is not None:
            auth.repo.update_user("admin", password_hash=_hash(password), role=None, zones=None)
        address = services_of(app).pipeline.address
        if address is None:
            raise RuntimeError("the demo's UDP source did not bind")
        feeder.aim("127.0.0.1", address[1])
        bound = _bound_port(server) or port
        out.print(f"Mare demo: http://{host}:{bound}/  (database: {where})", markup=False)
        out.print(f"  login: admin / {password}")
        out.print(f"  token: {token}")
        out.print(f"  wall display: http://{host}:{bound}/#token={token}")
        out.print(f"  AIS over UDP on 127.0.0.1:{address[1]} (speed x{speed:g}); Ctrl-C stops")
        relay = _relay_url(app)
        if relay is not None:
            out.print(f"  NMEA relay: {relay} (OpenCPN: add a TCP network connection to it)")
        out.file.flush()  # a pipe (a test, a log collector) must see the login at once

    with contextlib.suppress(KeyboardInterrupt):
        try:
            asyncio.run(_serve(app, host, port, started))
        except RuntimeError as exc:
            raise _fail(str(exc)) from None
        finally:
            feeder.stop()


#: The audit action a demo leaves in its database: a database with users and without it is
#: someone's real one, which the demo refuses (see `_refuse_foreign_database`).
DEMO_MARK = "demo.start"


def _refuse_foreign_database(url: str, where: str) -> None:
    """Refuse a database that holds users but was never a demo's.

    The demo loads its zones, watchlist and assets, writes simulated traffic and resets the
    admin's password: harmless in a fresh or earlier demo database, a disaster in an
    operations room's one that MARE_DATABASE_URL happens to point at.
    """
    from sqlalchemy import func, select

    from app.store import open_store

    store = open_store(url, attempts=1)
    try:
        users, audit = store.tables["users"], store.tables["audit_log"]
        with store.engine.connect() as c:
            people = c.execute(select(func.count()).select_from(users)).scalar_one()
            demo = c.execute(
                select(func.count()).select_from(audit).where(audit.c.action == DEMO_MARK)
            ).scalar_one()
    finally:
        store.close()
    if people and not demo:
        raise _fail(
            f"the database at {where} has users and was never a demo's: the demo would load "
            "its zones and simulated traffic there and reset admin's password; point "
            "MARE_DATABASE_URL at a fresh database (or unset it for the demo's own SQLite)"
        )


def _hash(password: str) -> str:
    from app.auth.passwords import hash_password

    return hash_password(password)


def _free_tcp_port(host: str, ports: range) -> int:
    """Return the first port of ``ports`` free on ``host`` a moment ago; 0 (any) if none is."""
    for port in ports:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((host, port))
            except OSError:
                continue
            return port
    return 0


def _relay_url(app: Any) -> str | None:
    """Return ``tcp://host:port`` of the running NMEA relay; None when it is off."""
    relay = services_of(app).relay
    address = relay.address if relay is not None else None
    if address is None:
        return None
    host, port = address
    return f"tcp://[{host}]:{port}" if ":" in host else f"tcp://{host}:{port}"


def _bound_port(server: object) -> int | None:
    for srv in getattr(server, "servers", []):
        for sock in getattr(srv, "sockets", []):
            return int(sock.getsockname()[1])
    return None


@users_cli.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option("--role", help="admin, officer, analyst or liaison.")],
    zones: Annotated[
        str | None, typer.Option("--zones", help="Liaison's zone ids, comma-separated.")
    ] = None,
    password: Annotated[
        str | None, typer.Option("--password", help="Password (prompted when omitted).")
    ] = None,
) -> None:
    """Create a user in the configured database (MARE_DATABASE_URL)."""
    from app.auth.passwords import MIN_PASSWORD
    from app.auth.service import AuthService
    from app.identity import Role
    from app.settings import ServiceSettings
    from app.store.repo import Repo

    try:
        r = Role(role)
    except ValueError:
        raise _fail(f"unknown role {role!r} (admin, officer, analyst, liaison)") from None
    zone_ids = [z.strip() for z in (zones or "").split(",") if z.strip()]
    if r is Role.LIAISON and not zone_ids:
        raise _fail("a liaison needs --zones")
    if r is not Role.LIAISON and zone_ids:
        raise _fail("only a liaison takes --zones")
    if password is None:
        password = getpass.getpass(f"password for {username}: ")
        if getpass.getpass("again: ") != password:
            raise _fail("the passwords differ")
    if len(password) < MIN_PASSWORD:
        raise _fail(f"the password must have at least {MIN_PASSWORD} characters")
    settings = ServiceSettings()
    warn_legacy_database(settings)
    try:
        repo = Repo.open(settings.resolved_database_url)
    except Exception as exc:  # noqa: BLE001 - one clear line, whatever the driver raised
        raise _fail(f"cannot open the database: {exc}") from None
    try:
        if repo.get_user(username) is not None:
            raise _fail(f"user {username} already exists")
        known = {z.id for z in repo.list_zones()}
        unknown = sorted(set(zone_ids) - known)
        if unknown:
            raise _fail(f"unknown zones: {', '.join(unknown)}")
        AuthService(repo).create_user(username, password, r, zone_ids or None)
    finally:
        repo.close()
    out.print(f"user {username} ({r.value}) created")
