"""The whole service (create_app on SQLite) in a real uvicorn, with the push routers included.

One service per test module (starting it costs a second); tests use their own MMSIs and
publish alerts into the running hub, or send AIS over the pipeline's real UDP socket.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pyais import encode_dict

from app.api.services import services_of
from app.auth.passwords import use_fast_hasher
from app.identity import Role, User
from app.settings import ServiceSettings
from app.wiring import create_app
from tests.app.push.servers import Receiver, serve

use_fast_hasher()

ADMIN_TOKEN = "mare_t_" + "p" * 40
#: Two boxes in the Sicily channel; the liaison is scoped to "alpha".
ZONES = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"id": zid, "name": f"{zid.title()} box", "kind": "patrol_area"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[x, 35.0], [x + 0.5, 35.0], [x + 0.5, 35.5], [x, 35.5], [x, 35.0]]
                ],
            },
        }
        for zid, x in (("alpha", 12.0), ("beta", 13.0))
    ],
}

#: Rules under which every event is an alert (tests not about the rules themselves).
EVERY_EVENT_RULES = Path(__file__).resolve().parents[2] / "data" / "rules" / "every_event.json"


def push_routers() -> list[Any]:
    from app.api.metrics import router as metrics_router
    from app.api.ogc.routes import router as ogc_router
    from app.api.push.sse import router as sse_router
    from app.api.push.webhooks import router as webhooks_router
    from app.api.push.websocket import router as ws_router

    return [sse_router, ws_router, webhooks_router, ogc_router, metrics_router]


def build_app(settings: ServiceSettings) -> FastAPI:
    """Return create_app(settings) with the push routers (once app.api.routes lists them itself)."""
    from starlette.routing import Mount

    from app.api.routers import ROUTERS

    app = create_app(settings)
    for router in push_routers():
        if router not in ROUTERS:
            app.include_router(router)
    # the dashboard's static mount at "/" must stay last, after every API route
    app.router.routes.sort(key=lambda r: isinstance(r, Mount))
    return app


@dataclass
class Service:
    base: str
    port: int
    app: FastAPI
    tokens: dict[str, str]
    receiver: Receiver
    receiver_port: int

    def headers(self, role: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def client(self, role: str = "admin") -> httpx.Client:
        return httpx.Client(base_url=self.base, headers=self.headers(role), timeout=20)

    @property
    def udp_port(self) -> int:
        address = services_of(self.app).pipeline.address
        assert address is not None
        return int(address[1])

    def send_udp(self, lines: list[str]) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for line in lines:
                s.sendto((line + "\r\n").encode("ascii"), ("127.0.0.1", self.udp_port))

    def publish_alert(self, **fields: Any) -> None:
        alert: dict[str, Any] = {
            "id": None,
            "kind": "zone_entry",
            "mmsi": 247000001,
            "other_mmsi": None,
            "zone": "alpha",
            "start": "2026-06-01T03:10:00Z",
            "end": None,
            "lat": 35.2,
            "lon": 12.2,
            "severity": "high",
            "details": {},
            "state": "new",
        }
        alert.update(fields)
        services_of(self.app).hub.publish_alert(alert)

    def publish_vessels(self, vessels: list[dict[str, Any]]) -> None:
        """Change vessels as the pipeline does: the live picture, then the hub."""
        live = services_of(self.app).live
        live.load(vessels)
        extra: dict[int, dict[str, Any]] = {
            v["mmsi"]: {k: v[k] for k in ("note", "round") if k in v} for v in vessels
        }
        services_of(self.app).hub.publish_vessels(
            [{**v, **extra[v["mmsi"]]} for v in live.vessels(extra)]
        )


def position(mmsi: int, lon: float, lat: float, speed: float = 5.0) -> str:
    """Return one type 1 sentence (a single line)."""
    sentences = encode_dict(
        {"msg_type": 1, "mmsi": mmsi, "lon": lon, "lat": lat, "speed": speed, "course": 90.0},
        talker_id="AI",
    )
    assert len(sentences) == 1
    return str(sentences[0])


def vessel(mmsi: int, lon: float, lat: float, **extra: Any) -> dict[str, Any]:
    return {"mmsi": mmsi, "lon": lon, "lat": lat, "name": f"V{mmsi}", **extra}


def until(cond: Callable[[], Any], seconds: float = 10.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        got = cond()
        if got:
            return got
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


@contextmanager
def running(tmp: Path, database_url: str | None = None) -> Iterator[Service]:
    """Run the whole service in uvicorn (SQLite in ``tmp`` unless ``database_url``).

    Starting it again on the same database is a restart: users are kept, tokens added.
    """
    zone_file = tmp / "zones.geojson"
    zone_file.write_text(json.dumps(ZONES))
    receiver = Receiver()
    with serve(receiver) as rport:
        settings = ServiceSettings(
            mode="test",
            database_url=database_url or f"sqlite:///{tmp / 'mare.sqlite'}",
            var_dir=tmp / "var",
            sources=["udp://127.0.0.1:0"],
            zone_file=zone_file,
            alert_rules_file=EVERY_EVENT_RULES,
            watchlist_file=None,
            land_file=tmp / "no-land.geojson",
            bootstrap_admin_token=ADMIN_TOKEN,
            metrics_token="metrics-" + "m" * 30,
            batch_seconds=0.05,
            snapshot_seconds=3600.0,
            webhook_allowlist=f"http://127.0.0.1:{rport}/hooks",
        )
        app = build_app(settings)
        with serve(app) as port:
            auth = services_of(app).auth
            tokens = {"admin": ADMIN_TOKEN}
            for role in (Role.OFFICER, Role.ANALYST, Role.LIAISON):
                name = f"{role.value}1"
                zones = ["alpha"] if role is Role.LIAISON else None
                if auth.repo.get_user(name) is None:
                    auth.create_user(name, "correct horse battery", role, zones)
                owner = User(name, role, tuple(zones) if zones else None)
                token, _ = auth.create_api_token(owner, "tests", None, 1)
                tokens[role.value] = token
            yield Service(f"http://127.0.0.1:{port}", port, app, tokens, receiver, rport)


@pytest.fixture(scope="module", name="service", params=["sqlite", "postgis"])
def service_fixture(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    """The service for a module, once on SQLite and once on PostGIS (production's)."""
    if request.param == "sqlite":
        with running(tmp_path_factory.mktemp("push")) as svc:
            yield svc
        return
    from app.store import open_store
    from tests.app.store.conftest import create_database, drop_database

    url = create_database("mare_push")
    try:
        open_store(url, upgrade=True).close()  # `mare db upgrade`
        with running(tmp_path_factory.mktemp("push"), url) as svc:
            yield svc
    finally:
        drop_database(url)
