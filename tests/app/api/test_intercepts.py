"""``/vessels/{mmsi}/intercepts``: solved from where the suspect is now, not from a guessed course.

The service's "now" is the engine's event time (`LiveClock`): another vessel's report three
minutes after the suspect's moves it on, so the suspect's fix is at least 180 s old when asked.
"""

from __future__ import annotations

from typing import Any

import pytest

from app.api.services import services_of
from geo.geodesy import haversine_nm, initial_bearing_deg
from geo.intercept import COURSE_UNKNOWN
from tests.app.api.conftest import Service
from tests.app.api.nmea import position

ZONE = {
    "type": "Feature",
    "properties": {"id": "tsea-x", "name": "Test sea X", "kind": "territorial_sea"},
    "geometry": {
        "type": "Polygon",
        "coordinates": [[[13.0, 35.0], [13.5, 35.0], [13.5, 36.0], [13.0, 36.0], [13.0, 35.0]]],
    },
}


def _asset(svc: Service, **body: Any) -> dict[str, Any]:
    r = svc.post("/api/v1/assets", "officer", json=body)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def _report(svc: Service, mmsi: int, lon: float, lat: float, **kw: float) -> int:
    """Send one fix of ``mmsi`` and one of a bystander 180 s later; return the fix's time (s)."""
    t = svc.event_time()
    svc.send([position(mmsi, lon, lat, t, **kw), position(247_000_999, 14.5, 34.0, t + 180)])
    svc.wait_for(
        lambda: (services_of(svc.app).live.get(mmsi) or {}).get("last_seen_ms") == t * 1000
    )
    svc.wait_for(lambda: services_of(svc.app).engine.now_ms() >= (t + 180) * 1000)
    return t


@pytest.fixture(scope="module")
def assets(shared_service: Service) -> list[dict[str, Any]]:
    # Both assets west of the suspects on 35.5 N; the cutter is faster than any of them.
    made = [
        _asset(shared_service, name="Cutter", kind="vessel", lat=35.5, lon=12.0, max_speed_kn=30),
        _asset(shared_service, name="Launch", kind="vessel", lat=35.5, lon=12.0, max_speed_kn=8),
    ]
    assert shared_service.post("/api/v1/zones", "officer", json=ZONE).status_code == 201
    return made


def test_unknown_course_gets_the_reason_not_a_northward_intercept(
    shared_service: Service, assets: list[dict[str, Any]]
) -> None:
    mmsi = 247_000_360
    # Course over ground 360 is AIS for "not available"; taken as 0 it would put the cutter
    # on an intercept north of a vessel that may be going anywhere.
    _report(shared_service, mmsi, 12.5, 35.5, speed=12.0, course=360.0)
    r = shared_service.get(f"/api/v1/vessels/{mmsi}/intercepts").json()
    target = r["target"]
    assert target["course"] is None and target["motion"] == "course_unknown"
    assert target["reason"] == COURSE_UNKNOWN
    assert target["fix_age_s"] >= 180.0
    assert target["position"] == {"lat": 35.5, "lon": 12.5} and target["projected_nm"] == 0.0
    assert {i["asset"] for i in r["intercepts"]} == {"Cutter", "Launch"}
    for row in r["intercepts"]:
        assert row["intercept"] is None and row["reason"] == COURSE_UNKNOWN
        assert row["position_source"] == "configured" and row["fix_age_s"] is None
    # Instead: how soon each asset reaches where it could be since its fix (as if dark).
    reach = {a["asset"]: a for a in r["area_reach"]}
    assert set(reach) == {"Cutter", "Launch"}
    assert 0.0 < reach["Cutter"]["nearest_h"] < reach["Launch"]["nearest_h"]
    # A cargo ship (type unknown here) may do more than the 8 kn launch: it cannot cover it.
    assert reach["Launch"]["cover_h"] is None and reach["Launch"]["reason"]
    # No zone entry on a course it does not have.
    assert r["zone_entries"] == [] and r["zone_entries_reason"] == COURSE_UNKNOWN


def test_reporting_suspect_is_met_where_it_is_now_not_at_its_last_fix(
    shared_service: Service, assets: list[dict[str, Any]]
) -> None:
    mmsi = 247_000_420
    _report(shared_service, mmsi, 12.5, 35.5, speed=20.0, course=90.0)
    r = shared_service.get(f"/api/v1/vessels/{mmsi}/intercepts").json()
    target = r["target"]
    assert target["motion"] == "underway" and target["reason"] is None
    age = target["fix_age_s"]
    assert age >= 180.0
    # Moved on along 090 by 20 kn x its age: 1 nm for 180 s.
    run = 20.0 * age / 3600.0
    assert target["projected_nm"] == pytest.approx(run, abs=2e-3)
    here = target["position"]
    moved = float(haversine_nm(35.5, 12.5, here["lat"], here["lon"]))
    assert moved == pytest.approx(run, abs=2e-3)
    assert initial_bearing_deg(35.5, 12.5, here["lat"], here["lon"]) == pytest.approx(
        90.0, abs=0.01
    )
    # The cutter runs it down from astern from the projected position; the launch cannot.
    cutter, launch = r["intercepts"]
    assert cutter["asset"] == "Cutter" and launch["asset"] == "Launch"
    assert launch["intercept"] is None and launch["reason"]
    meet = cutter["intercept"]
    ahead = float(haversine_nm(35.5, 12.0, here["lat"], here["lon"]))
    # Stern chase: closing at 10 kn from `ahead` nm; the sphere moves it by well under 0.1 %.
    assert meet["time_h"] == pytest.approx(ahead / 10.0, rel=1e-3)
    assert meet["target_run_nm"] == pytest.approx(20.0 * meet["time_h"], rel=1e-6)
    assert cutter["position"] == {"lat": 35.5, "lon": 12.0}
    # Its entry into the territorial sea (13.0 E) is timed from where it is now, too.
    (entry,) = r["zone_entries"]
    to_zone = float(haversine_nm(here["lat"], here["lon"], 35.5, 13.0))
    assert entry["zone"] == "tsea-x" and entry["hours"] == pytest.approx(to_zone / 20.0, rel=2e-3)
    assert r["zone_entries_reason"] is None


def test_an_asset_on_ais_is_taken_where_its_own_fix_puts_it_now(
    shared_service: Service, assets: list[dict[str, Any]]
) -> None:
    suspect, patrol = 247_000_421, 247_000_422
    made = _asset(shared_service, name="Patrol AIS", kind="vessel", mmsi=patrol, max_speed_kn=25)
    t = shared_service.event_time()
    shared_service.send(
        [
            position(patrol, 12.0, 35.2, t, speed=12.0, course=0.0),
            position(suspect, 12.4, 35.2, t, speed=0.0, course=360.0),  # stopped, no course
            position(247_000_999, 14.5, 34.0, t + 180),
        ]
    )
    live = services_of(shared_service.app).live
    shared_service.wait_for(lambda: (live.get(patrol) or {}).get("last_seen_ms") == t * 1000)
    shared_service.wait_for(lambda: (live.get(suspect) or {}).get("last_seen_ms") == t * 1000)
    shared_service.wait_for(
        lambda: services_of(shared_service.app).engine.now_ms() >= (t + 180) * 1000
    )
    r = shared_service.get(f"/api/v1/vessels/{suspect}/intercepts").json()
    assert r["target"]["motion"] == "stationary" and r["target"]["reason"] is None
    row = next(i for i in r["intercepts"] if i["asset"] == "Patrol AIS")
    assert row["position_source"] == "ais" and row["fix_age_s"] >= 180.0
    assert row["projected_nm"] == pytest.approx(12.0 * row["fix_age_s"] / 3600.0, abs=2e-3)
    pos = row["position"]
    assert pos["lon"] == pytest.approx(12.0, abs=1e-6) and pos["lat"] > 35.2
    # A stopped suspect is met where it lies.
    meet = row["intercept"]
    assert (meet["lat"], meet["lon"]) == pytest.approx((35.2, 12.4), abs=1e-6)
    gone = shared_service.client.delete(
        f"/api/v1/assets/{made['id']}", headers=shared_service.headers("officer")
    )
    assert gone.status_code == 204
