"""Fixtures of the API tests: the whole service on SQLite or on a real PostGIS, users per role.

The app runs in a real uvicorn on 127.0.0.1 (its own thread and event loop, lifespan and all:
store, engine, pipeline, hub); tests talk HTTP to it with httpx and send AIS to the pipeline's
UDP source, a real socket on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from app.api.push.deflate import SharedDeflateProtocol
from app.api.services import services_of
from app.auth.passwords import use_fast_hasher
from app.identity import Role
from app.settings import ServiceSettings
from app.wiring import create_app

use_fast_hasher()

PG_URL = os.environ.get("MARE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "correct horse battery"
ADMIN_TOKEN = "mare_t_" + "a" * 40

#: Rules under which every event is an alert (tests not about the rules themselves).
EVERY_EVENT_RULES = Path(__file__).resolve().parents[2] / "data" / "rules" / "every_event.json"


def box(a: float, b: float, c: float, d: float) -> dict[str, Any]:
    """Return a GeoJSON Polygon of the lon/lat box (a, b)-(c, d)."""
    return {"type": "Polygon", "coordinates": [[[a, b], [c, b], [c, d], [a, d], [a, b]]]}


#: Two boxes in the Sicily channel; the liaison of the tests is scoped to "alpha" only.
ZONES = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"id": "alpha", "name": "Alpha box", "kind": "patrol_area"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[12.0, 35.0], [12.5, 35.0], [12.5, 35.5], [12.0, 35.5], [12.0, 35.0]]
                ],
            },
        },
        {
            "type": "Feature",
            "properties": {"id": "beta", "name": "Beta box", "kind": "patrol_area"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[13.0, 35.0], [13.5, 35.0], [13.5, 35.5], [13.0, 35.5], [13.0, 35.0]]
                ],
            },
        },
    ],
}


@dataclass
class Service:
    """A running service and what a test needs to talk to it."""

    client: httpx.Client
    tokens: dict[str, str]
    udp_port: int
    app: Any

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def get(self, path: str, role: str = "admin", **kw: Any) -> Any:
        return self.client.get(path, headers=self.headers(role), **kw)

    def post(self, path: str, role: str = "admin", **kw: Any) -> Any:
        return self.client.post(path, headers=self.headers(role), **kw)

    def event_time(self) -> int:
        """Return an event time (epoch s) just after what the engine has seen.

        The engine holds back records stamped minutes ahead of its clock (a corrupt clock must
        not fire false alerts), so a test that moves on continues from the engine's time.
        """
        now: int = services_of(self.app).engine.now_ms() // 1000
        return max(T0, now) + 60

    def send(self, lines: list[str]) -> None:
        """Send NMEA lines to the service's UDP source, one datagram per line."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for line in lines:
                s.sendto((line + "\r\n").encode("ascii"), ("127.0.0.1", self.udp_port))

    def wait_for(self, check: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Poll ``check`` until it returns something truthy (or fail after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError("condition not met in time")
            time.sleep(0.05)


def make_settings(tmp: Path, database_url: str, **extra: Any) -> ServiceSettings:
    zone_file = tmp / "zones.geojson"
    zone_file.write_text(json.dumps(ZONES))
    values: dict[str, Any] = {
        "mode": "test",
        "database_url": database_url,
        "var_dir": tmp / "var",
        "sources": ["udp://127.0.0.1:0"],
        "zone_file": zone_file,
        # every event an alert: these tests are about the service, not about which events alert
        "alert_rules_file": EVERY_EVENT_RULES,
        "watchlist_file": None,
        "bootstrap_admin_token": ADMIN_TOKEN,
        "batch_seconds": 0.05,
        "snapshot_seconds": 3600.0,
        # the service applies retention against the wall clock; the scenarios' event times
        # are fixed dates, which a 90-day retention would one day delete under a running test
        "retention_days": 36500,
    }
    values.update(extra)
    return ServiceSettings(**values)


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Run ``app`` in uvicorn on a free port of 127.0.0.1; yield its base URL."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="on",
        ws=SharedDeflateProtocol,  # as `mare serve` runs it
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the service did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def start(settings: ServiceSettings) -> Iterator[Service]:
    """Run the service for the duration of a test, with a user and a login token per role."""
    app = create_app(settings)
    with serving(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        auth = services_of(app).auth
        tokens = {"admin": ADMIN_TOKEN}
        for role in (Role.OFFICER, Role.ANALYST, Role.LIAISON):
            name = f"{role.value}1"
            if auth.repo.get_user(name) is None:
                auth.create_user(name, PASSWORD, role, ["alpha"] if role is Role.LIAISON else None)
            r = client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD})
            assert r.status_code == 200, r.text
            tokens[role.value] = r.json()["token"]
        address = services_of(app).pipeline.address
        assert address is not None
        yield Service(client, tokens, address[1], app)


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> ServiceSettings:
    return make_settings(tmp_path, f"sqlite:///{tmp_path / 'mare.sqlite'}")


@pytest.fixture
def service(sqlite_settings: ServiceSettings) -> Iterator[Service]:
    """The service on SQLite."""
    yield from start(sqlite_settings)


@pytest.fixture(scope="session")
def postgis_url() -> Iterator[str]:
    """A fresh PostGIS database for this test session, dropped at the end."""
    import psycopg

    name = f"mare_api_test_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {PG_URL} is needed for the postgis tests: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_URL.rsplit("/", 1)[0]
    url = f"{base}/{name}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    yield url
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


#: The store's tables that hold the service's data (emptied per test).
MOVED_TABLES = (
    "watchlist",
    "api_tokens",
    "users",
    "assets",
    "zones",
    "events",
    "audit_log",
    "vessel_states",
    "contacts",
    "alert_rules",
    "cases",
    "case_notes",
    "case_links",
    "case_changes",
)


@pytest.fixture
def pg_service(tmp_path: Path, postgis_url: str) -> Iterator[Service]:
    """The service on PostGIS (tables emptied first: the database lives for the session)."""
    empty_postgis(postgis_url)
    yield from start(make_settings(tmp_path, postgis_url))


def empty_postgis(url: str) -> None:
    """Empty the session's PostGIS database of what earlier tests stored (`mare db upgrade`
    first, as a deployment runs it): the service's tables and the positions and vessels, so a
    test sees only its own traffic whatever ran before it."""
    from sqlalchemy import text

    from app.store import open_store

    store = open_store(url, upgrade=True)
    with store.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(MOVED_TABLES)} RESTART IDENTITY CASCADE"))
        conn.execute(text("TRUNCATE vessels, vessel_identities, positions CASCADE"))
    store.close()


@pytest.fixture(params=["sqlite", "postgis"])
def svc(request: pytest.FixtureRequest) -> Service:
    """The service on each backend in turn: SQLite (the desk default) and PostGIS (production)."""
    name = "service" if request.param == "sqlite" else "pg_service"
    found: Service = request.getfixturevalue(name)
    return found


#: Event time of the scenario's first fix (2026-09-21T14:13:20Z); the live clock follows it.
T0 = 1_790_000_000
IN_ALPHA = 247_000_001
IN_BETA = 247_000_002


def crossing(mmsi: int, lon0: float, lat: float, steps: int = 12, t0: int = T0) -> list[str]:
    """Lines of a vessel at 10 kn due east, one fix every 3 min (0.01° of longitude)."""
    from tests.app.api.nmea import position

    return [position(mmsi, lon0 + 0.01 * i, lat, t0 + 180 * i) for i in range(steps)]


def feed_scenario(svc: Service) -> dict[str, int]:
    """Vessel IN_ALPHA enters zone alpha, IN_BETA enters beta; return their alert ids."""
    from tests.app.api.nmea import static

    lines = static(IN_ALPHA, "ALFA STAR", T0, callsign="IABC")
    lines += static(IN_BETA, "BRAVO", T0, callsign="IBCD")
    lines += crossing(IN_ALPHA, 11.95, 35.2) + crossing(IN_BETA, 12.95, 35.2)
    svc.send(lines)

    def alerts() -> dict[str, int] | None:
        items = svc.get("/api/v1/alerts?kind=zone_entry").json()["items"]
        found = {a["zone"]: a["id"] for a in items}
        return found if {"alpha", "beta"} <= set(found) else None

    def stored(mmsi: int) -> bool:  # the store stage runs apart from the alerts': wait for both
        return len(svc.get(f"/api/v1/vessels/{mmsi}/track").json()["times"]) == 12

    found = svc.wait_for(alerts)
    svc.wait_for(lambda: stored(IN_ALPHA) and stored(IN_BETA))
    return {"alpha": found["alpha"], "beta": found["beta"]}


@pytest.fixture(scope="module")
def shared_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """One service on SQLite for a whole module (tests that only read, or clean up)."""
    tmp = tmp_path_factory.mktemp("svc")
    yield from start(make_settings(tmp, f"sqlite:///{tmp / 'mare.sqlite'}"))


@pytest.fixture(scope="module")
def scenario(shared_service: Service) -> dict[str, int]:
    """The shared service with the two-vessel scenario fed in."""
    return feed_scenario(shared_service)
