"""Two agencies, two real Mare services (``mare serve`` processes) sharing over CISE.

Agency A (an Italian operations room) has agency B (Malta) as a partner whose agreement covers
zone ``alpha``; B has A as a partner too, with an agreement covering everything. AIS goes into
A over real UDP; A's alert for alpha reaches B as a CISE Push over real HTTP and appears in
B's alerts (with its position, for B's map) with A named as its source. B's acknowledgement
stays B's: A's alert is still new. What B received is not echoed back to A, and A's alert for
zone beta, outside the agreement, never reaches B.
"""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.app.api.conftest import IN_ALPHA, IN_BETA, T0, ZONES, crossing
from tests.app.api.nmea import static
from tests.app.processes import interrupt

pytestmark = pytest.mark.slow
MARE = str(Path(sys.executable).with_name("mare"))

EVERY_EVENT_RULES = Path(__file__).resolve().parents[3] / "data" / "rules" / "every_event.json"


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def until(check: Callable[[], Any], seconds: float = 60.0) -> Any:
    deadline = time.monotonic() + seconds  # a guard against a hang, not a measurement
    while not (got := check()):
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.1)
    return got


@dataclass
class Agency:
    name: str
    url: str
    token: str
    proc: subprocess.Popen[bytes]
    udp_port: int | None = None

    def get(self, path: str) -> Any:
        r = httpx.get(self.url + path, headers=self.auth(), timeout=30)
        assert r.status_code == 200, r.text
        return r.json()

    def post(self, path: str) -> Any:
        r = httpx.post(self.url + path, headers=self.auth(), timeout=30)
        assert r.status_code == 200, r.text
        return r.json()

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def launch(
    tmp: Path, name: str, port: int, partners: dict[str, Any], env: dict[str, str]
) -> Agency:
    home = tmp / name
    home.mkdir()
    (home / "partners.json").write_text(json.dumps(partners))
    (home / "zones.geojson").write_text(json.dumps(ZONES))
    token = secrets.token_urlsafe(32)
    full = {
        k: v for k, v in os.environ.items() if not k.startswith("MARE_")
    } | {
        "MARE_DATABASE_URL": f"sqlite:///{home / 'mare.sqlite'}",
        "MARE_VAR_DIR": str(home / "var"),
        "MARE_ZONE_FILE": str(home / "zones.geojson"),
        "MARE_BOOTSTRAP_ADMIN_TOKEN": token,
        "MARE_CISE_PARTNERS_FILE": str(home / "partners.json"),
        "MARE_BATCH_SECONDS": "0.05",
        "MARE_RETENTION_DAYS": "36500",
        # every event an alert: this is about the exchange, not about which events alert
        "MARE_ALERT_RULES_FILE": str(EVERY_EVENT_RULES),
        **env,
    }  # fmt: skip
    proc = subprocess.Popen(
        [MARE, "serve", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=full,
    )
    agency = Agency(name, f"http://127.0.0.1:{port}", token, proc)

    def ready() -> bool:
        assert proc.poll() is None, f"mare serve ({name}) exited"
        try:
            return httpx.get(agency.url + "/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    until(ready, 90)
    return agency


@pytest.fixture
def agencies(tmp_path: Path) -> Iterator[tuple[Agency, Agency]]:
    port_a, port_b, udp_a = free_port(), free_port(), free_port(socket.SOCK_DGRAM)
    a_from_b, b_from_a = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    url_a, url_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    a_partners = {"partners": [{
        "id": "mt-afm", "authority": "Armed Forces of Malta", "service_id": "mt.afm.mare",
        "url": f"{url_b}/api/v1/cise/push", "outbound_token": b_from_a,
        "inbound_token": a_from_b, "send": {"zones": ["alpha"]},
    }]}  # fmt: skip
    b_partners = {"partners": [{
        "id": "it-roc", "authority": "Italian Navy ROC", "service_id": "it.roc.mare",
        "url": f"{url_a}/api/v1/cise/push", "outbound_token": a_from_b,
        "inbound_token": b_from_a, "send": {},
    }]}  # fmt: skip
    a = launch(tmp_path, "a", port_a, a_partners, {
        "MARE_SOURCES": f"udp://127.0.0.1:{udp_a}", "MARE_CISE_SERVICE_ID": "it.roc.mare",
        "MARE_CISE_AUTHORITY": "Italian Navy ROC", "MARE_CISE_ALLOWLIST": f"{url_b}/api/v1/cise",
    })  # fmt: skip
    a.udp_port = udp_a
    try:
        b = launch(tmp_path, "b", port_b, b_partners, {
            "MARE_CISE_SERVICE_ID": "mt.afm.mare", "MARE_CISE_AUTHORITY": "Armed Forces of Malta",
            "MARE_CISE_ALLOWLIST": f"{url_a}/api/v1/cise",
        })  # fmt: skip
        try:
            yield a, b
        finally:
            interrupt(b.proc)
    finally:
        interrupt(a.proc)


def test_an_alert_of_agency_a_reaches_agency_b_and_b_acts_on_its_own_copy(
    agencies: tuple[Agency, Agency],
) -> None:
    a, b = agencies
    lines = static(IN_ALPHA, "ALFA STAR", T0, callsign="IABC")
    lines += static(IN_BETA, "BRAVO", T0, callsign="IBCD")
    lines += crossing(IN_BETA, 12.95, 35.2) + crossing(IN_ALPHA, 11.95, 35.2)
    assert a.udp_port is not None
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for line in lines:
            s.sendto((line + "\r\n").encode("ascii"), ("127.0.0.1", a.udp_port))

    def a_alerts() -> dict[str, dict[str, Any]] | None:
        items = a.get("/api/v1/alerts?kind=zone_entry")["items"]
        found = {x["zone"]: x for x in items}
        return found if {"alpha", "beta"} <= set(found) else None

    mine = until(a_alerts)

    def b_alerts() -> list[dict[str, Any]] | None:
        items = b.get("/api/v1/alerts")["items"]
        return [x for x in items if (x["details"].get("source") or {}).get("via") == "cise"]

    [theirs] = until(b_alerts)
    assert theirs["kind"] == "zone_entry" and theirs["mmsi"] == IN_ALPHA
    assert theirs["start"] == mine["alpha"]["start"]
    assert (theirs["lat"], theirs["lon"]) == pytest.approx(
        (mine["alpha"]["lat"], mine["alpha"]["lon"]), abs=1e-5
    )
    source = theirs["details"]["source"]
    assert source["authority"] == "Italian Navy ROC" and source["partner"] == "it-roc"
    assert theirs["details"]["summary"].startswith("Italian Navy ROC: entered Alpha box")
    assert theirs["details"]["partner_zone"]["id"] == "alpha"
    assert theirs["severity"] == mine["alpha"]["severity"]

    acked = b.post(f"/api/v1/alerts/{theirs['id']}/acknowledge")
    assert acked["state"] == "acknowledged"
    assert a.get(f"/api/v1/alerts/{mine['alpha']['id']}")["state"] == "new"

    sent = a.get(f"/api/v1/alerts/{mine['alpha']['id']}/audit")
    assert "cise.push.sent" in [e["action"] for e in sent]
    assert not [e for e in a.get(f"/api/v1/alerts/{mine['beta']['id']}/audit")
                if e["action"].startswith("cise.")]  # fmt: skip
    received = b.get("/api/v1/cise/exchanges")
    assert [e["action"] for e in received] == ["cise.push.received"]
    # B agreed to send A everything, but what came from A is not echoed back
    assert b.get("/api/v1/cise/partners")["outbound"].get("ok", 0) == 0
    assert [e["action"] for e in a.get("/api/v1/cise/exchanges")] == ["cise.push.sent"]
    assert len(b_alerts() or []) == 1  # and beta never arrived
