"""Own assets: the assets file loaded at start (upsert by name, refused whole when a row is bad)
and the ``/api/v1/assets`` routes (who may change them, the audit log, bad bodies)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from app.api.services import services_of
from app.live.assets import AssetFileError, load_assets_file, parse_assets
from app.wiring import start_service
from geo import shipped
from tests.app.api.conftest import Service, make_settings, start
from tests.app.api.nmea import position

HEADER = "name,kind,mmsi,lat,lon,max_speed_kn\n"


def _names(svc: Service) -> dict[str, dict[str, object]]:
    r = svc.get("/api/v1/assets", "analyst")
    assert r.status_code == 200, r.text
    return {a["name"]: a for a in r.json()}


def test_the_shipped_sample_is_valid_and_has_a_tracked_vessel_and_an_aircraft() -> None:
    assets = load_assets_file(shipped.ASSETS_SAMPLE)
    assert len(assets) >= 3
    assert any(a.mmsi is not None for a in assets)
    assert any(a.kind == "aircraft" and a.lat is not None for a in assets)


def test_the_samples_tracked_assets_are_patrols_of_the_demo_simulation() -> None:
    """`mare demo` feeds seed 1 over 24 h: its patrols must be the sample's MMSIs, or the demo's
    assets would sit at their fallback fixes instead of moving with the feed."""
    from simulate.fleet import Role
    from simulate.scenario import Simulation

    sim = Simulation(hours=24.0, seed=1, start_ms=1_790_000_000_000, zones=None, truth=False)
    next(sim.lines())  # plans the first window, where the patrols start their sweeps
    patrols = {a.vessel.mmsi for a in sim.plan.agents if a.vessel.role is Role.PATROL}
    tracked = {a.mmsi for a in load_assets_file(shipped.ASSETS_SAMPLE) if a.mmsi}
    assert tracked and tracked <= patrols


@pytest.mark.parametrize(
    ("text", "json_form", "expected"),
    [
        (HEADER + "P1,vessel,,35,12,25\nP2,boat,,35,12,25\n", False, "row 2: kind"),
        (HEADER + "P1,vessel,,,,25\n", False, "row 1: an asset without an MMSI needs lat and lon"),
        (HEADER + "P1,vessel,,35,,25\n", False, "row 1: lat and lon go together"),
        (HEADER + "P1,vessel,,35,12,-4\n", False, "row 1: max_speed_kn"),
        (HEADER + "P1,vessel,,95,12,25\n", False, "row 1: lat"),
        (HEADER + "P1,vessel,abc,35,12,25\n", False, "row 1: mmsi"),
        (HEADER + "P1,vessel,,35,12,25\nP1,vessel,,36,12,25\n", False, "row 2: name 'P1' twice"),
        ("name,kind\nP1,vessel\n", False, "no max_speed_kn column"),
        ('[{"name": "A", "lat": 35, "lon": 12}]', True, "row 1: max_speed_kn"),
        ('{"assets": 3}', True, "expected a list of objects"),
        ("{nope", True, "not JSON"),
    ],
)
def test_a_bad_row_refuses_the_file_naming_the_row_and_why(
    text: str, json_form: bool, expected: str
) -> None:
    with pytest.raises(AssetFileError, match=expected.replace("(", r"\(")):
        parse_assets(text, json_form=json_form)


def test_json_form_and_empty_csv_cells(tmp_path: Path) -> None:
    p = tmp_path / "assets.json"
    p.write_text(json.dumps({"assets": [{"name": "Air", "kind": "aircraft", "lat": 35.5,
                                         "lon": 12.6, "max_speed_kn": 200}]}))  # fmt: skip
    (air,) = load_assets_file(p)
    assert (air.kind, air.mmsi, air.lat) == ("aircraft", None, 35.5)
    (tracked,) = parse_assets(HEADER + " Cutter ,vessel,247000555,,,28\n", json_form=False)
    assert (tracked.name, tracked.mmsi, tracked.lat, tracked.lon) == (
        "Cutter",
        247000555,
        None,
        None,
    )


def test_an_invalid_file_stops_the_start_before_the_store_opens(tmp_path: Path) -> None:
    bad = tmp_path / "assets.csv"
    bad.write_text(HEADER + "P1,vessel,,35,12,25\nP2,vessel,,35,12,0\n")
    db = tmp_path / "mare.sqlite"
    settings = make_settings(tmp_path, f"sqlite:///{db}", assets_file=bad)
    with pytest.raises(AssetFileError, match=r"assets\.csv: row 2: max_speed_kn"):
        asyncio.run(start_service(FastAPI(), settings))
    assert not db.exists()


def test_the_file_is_upserted_by_name_at_every_start(tmp_path: Path) -> None:
    f = tmp_path / "assets.csv"
    f.write_text(HEADER + "Cutter,vessel,247000555,35.5,12.6,28\nFalco,aircraft,,35.5,12.6,200\n")
    url = f"sqlite:///{tmp_path / 'mare.sqlite'}"
    for svc in start(make_settings(tmp_path, url, assets_file=f)):
        first = _names(svc)
        assert set(first) == {"Cutter", "Falco"}
        # Heard on AIS, the tracked one is where its reports put it; the fixed one stays put.
        svc.send([position(247_000_555, 13.1, 35.2, svc.event_time())])
        svc.wait_for(lambda s=svc: _names(s)["Cutter"]["on_ais"])  # type: ignore[misc]
        now = _names(svc)
        assert (now["Cutter"]["lat"], now["Cutter"]["lon"]) == pytest.approx((35.2, 13.1), abs=1e-4)
        assert now["Falco"]["on_ais"] is False and now["Falco"]["lat"] == 35.5
        added = svc.post(
            "/api/v1/assets",
            "officer",
            json={"name": "By hand", "lat": 36.0, "lon": 14.0, "max_speed_kn": 20},
        )
        assert added.status_code == 201
    f.write_text(HEADER + "Cutter,vessel,247000555,35.5,12.6,32\nFalco,aircraft,,35.9,14.5,200\n")
    for svc in start(make_settings(tmp_path, url, assets_file=f)):
        again = _names(svc)
        assert set(again) == {"Cutter", "Falco", "By hand"}  # updated in place, none added
        assert again["Cutter"]["id"] == first["Cutter"]["id"]
        assert again["Cutter"]["max_speed_kn"] == 32
        assert (again["Falco"]["lat"], again["Falco"]["lon"]) == (35.9, 14.5)


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    tmp = tmp_path_factory.mktemp("assets")
    yield from start(make_settings(tmp, f"sqlite:///{tmp / 'mare.sqlite'}"))


BODY = {"name": "Patrol Test", "kind": "vessel", "lat": 35.1, "lon": 12.9, "max_speed_kn": 25}


@pytest.mark.parametrize("role", ["analyst", "liaison"])
def test_analysts_and_liaisons_may_not_change_assets(svc: Service, role: str) -> None:
    made = svc.post("/api/v1/assets", "officer", json=BODY).json()
    path = f"/api/v1/assets/{made['id']}"
    assert svc.post("/api/v1/assets", role, json=BODY).status_code == 403
    assert svc.client.put(path, headers=svc.headers(role), json=BODY).status_code == 403
    assert svc.client.delete(path, headers=svc.headers(role)).status_code == 403
    # A liaison sees only its zones' alerts: not the asset list either.
    assert svc.get("/api/v1/assets", role).status_code == (403 if role == "liaison" else 200)
    assert svc.client.delete(path, headers=svc.headers("officer")).status_code == 204


@pytest.mark.parametrize("role", ["officer", "admin"])
def test_officers_and_admins_add_move_and_delete_an_asset_with_an_audit_trail(
    svc: Service, role: str
) -> None:
    made = svc.post("/api/v1/assets", role, json=BODY)
    assert made.status_code == 201, made.text
    asset = made.json()
    assert asset["on_ais"] is False and asset["lat"] == 35.1
    path = f"/api/v1/assets/{asset['id']}"
    moved = svc.client.put(path, headers=svc.headers(role), json={**BODY, "lat": 35.6, "lon": 13.4})
    assert moved.status_code == 200 and (moved.json()["lat"], moved.json()["lon"]) == (35.6, 13.4)
    assert svc.client.delete(path, headers=svc.headers(role)).status_code == 204
    assert svc.client.delete(path, headers=svc.headers(role)).status_code == 404
    # SQLite hands a deleted row's id to the next asset: this one's trail is the last three.
    audit = services_of(svc.app).repo.audit_of(f"asset:{asset['id']}")[-3:]
    assert [a["action"] for a in audit] == ["asset.add", "asset.update", "asset.delete"]
    assert len({a["user"] for a in audit}) == 1
    if role == "officer":
        assert audit[0]["user"] == "officer1"


@pytest.mark.parametrize(
    "body",
    [
        {**BODY, "kind": "submarine"},
        {**BODY, "lat": None},
        {**BODY, "max_speed_kn": 0},
        {**BODY, "name": ""},
        {"name": "No place", "max_speed_kn": 10},
    ],
)
def test_a_bad_asset_is_a_422_and_nothing_is_stored(svc: Service, body: dict[str, object]) -> None:
    before = len(svc.get("/api/v1/assets").json())
    r = svc.post("/api/v1/assets", "officer", json=body)
    assert r.status_code == 422 and r.json()["error"] == "invalid_request", r.text
    assert len(svc.get("/api/v1/assets").json()) == before
