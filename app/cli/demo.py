"""``mare demo``: simulated central-Med traffic over real UDP through the real service."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from app.api.services import services_of
from app.cli import cli
from app.cli.console import fail, out
from app.cli.serve import (
    DB_WAIT_S,
    HostOpt,
    PortOpt,
    bound_port,
    check_database,
    check_files,
    check_port,
    relay_url,
    run_server,
)

#: Where `mare demo` puts its NMEA relay: 10110, the port AIS tools use by habit, or the next.
RELAY_PORTS = range(10110, 10130)


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
    from app.cli.demo_feed import ContactPoster, UdpFeeder, demo_password
    from app.settings import ServiceSettings
    from app.wiring import create_app
    from geo import shipped

    check_port(host, port)
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
    check_files(settings)
    where = check_database(settings.resolved_database_url, DB_WAIT_S)
    _refuse_foreign_database(settings.resolved_database_url, where)
    if not settings.relay_listen:  # MARE_RELAY_LISTEN chooses; else the first free of a few
        settings.relay_listen = f"127.0.0.1:{_free_tcp_port('127.0.0.1', RELAY_PORTS)}"
    # Planning starts now, while the service starts; lines go out once its UDP port is known.
    feeder = UdpFeeder(speed=speed, hours=hours, seed=seed, vessels=vessels)
    feeder.start()
    app = create_app(settings)
    closing: list[Callable[[], None]] = []

    def started(server: object) -> None:
        auth = services_of(app).auth
        auth.repo.audit("demo", DEMO_MARK, target="database", detail={"seed": seed})
        if auth.repo.password_hash("admin") is not None:
            auth.repo.update_user("admin", password_hash=_hash(password), role=None, zones=None)
        address = services_of(app).pipeline.address
        if address is None:
            raise RuntimeError("the demo's UDP source did not bind")
        feeder.aim("127.0.0.1", address[1])
        bound = bound_port(server) or port
        poster = ContactPoster(f"http://{_loopback(host)}:{bound}", token)
        closing.append(poster.close)
        feeder.post_contacts(poster)
        out.print(f"Mare demo: http://{host}:{bound}/  (database: {where})", markup=False)
        out.print(f"  login: admin / {password}")
        out.print(f"  token: {token}")
        out.print(f"  wall display: http://{host}:{bound}/#token={token}")
        out.print(f"  AIS over UDP on 127.0.0.1:{address[1]} (speed x{speed:g}); Ctrl-C stops")
        out.print("  boats without AIS: sightings, hotline calls and SAR passes via the API")
        relay = relay_url(app)
        if relay is not None:
            out.print(f"  NMEA relay: {relay} (OpenCPN: add a TCP network connection to it)")
        out.file.flush()  # a pipe (a test, a log collector) must see the login at once

    with contextlib.suppress(KeyboardInterrupt):
        try:
            asyncio.run(run_server(app, host, port, started))
        except RuntimeError as exc:
            raise fail(str(exc)) from None
        finally:
            feeder.stop()
            for close in closing:
                close()


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
        raise fail(
            f"the database at {where} has users and was never a demo's: the demo would load "
            "its zones and simulated traffic there and reset admin's password; point "
            "MARE_DATABASE_URL at a fresh database (or unset it for the demo's own SQLite)"
        )


def _loopback(host: str) -> str:
    """Return an address of this machine where a server bound to ``host`` answers."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


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
