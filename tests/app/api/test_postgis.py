"""The same service on a real PostgreSQL + PostGIS: pipeline, scoping, lifecycle, history."""

from __future__ import annotations

import pytest

from tests.app.api.checks import check_history
from tests.app.api.conftest import IN_ALPHA, IN_BETA, Service, feed_scenario

pytestmark = pytest.mark.postgis


def test_service_on_postgis_stores_and_answers_like_sqlite(pg_service: Service) -> None:
    assert pg_service.app.state.repo.dialect == "postgresql"
    ids = feed_scenario(pg_service)
    vessels = {v["mmsi"]: v for v in pg_service.get("/api/v1/vessels").json()["items"]}
    assert vessels[IN_ALPHA]["name"] == "ALFA STAR"
    assert pg_service.get(f"/api/v1/alerts/{ids['beta']}", "liaison").status_code == 404
    assert [v["mmsi"] for v in pg_service.get("/api/v1/vessels", "liaison").json()["items"]] == [
        IN_ALPHA
    ]
    ack = pg_service.post(f"/api/v1/alerts/{ids['alpha']}/acknowledge", "officer").json()
    assert ack["state"] == "acknowledged"
    assert pg_service.get(f"/api/v1/alerts/{ids['alpha']}/audit").json()[0]["user"] == "officer1"
    # Positions and alerts are stored by separate queues: wait for the track before reading it.
    pg_service.wait_for(
        lambda: len(pg_service.get(f"/api/v1/vessels/{IN_BETA}/track").json()["times"]) == 12
    )
    assert pg_service.get(f"/api/v1/vessels/{IN_BETA}/track").json()["lon"][0] == 12.95

    def stored() -> bool:
        return len(pg_service.get(f"/api/v1/vessels/{IN_ALPHA}/track").json()["times"]) == 12

    pg_service.wait_for(stored)
    check_history(pg_service)


def test_zone_saved_by_another_process_reaches_the_running_engine(
    pg_service: Service, postgis_url: str
) -> None:
    from shapely.geometry import MultiPolygon, Polygon

    from app.store import open_store
    from app.store.zones import load_zones, save_zones
    from geo.zones import Zone, ZoneKind

    engine = pg_service.app.state.engine
    assert "gamma" not in {z.id for z in engine.zones}
    other = open_store(postgis_url)  # another process's store: its own connections
    try:
        gamma = Zone(
            id="gamma",
            name="Gamma",
            kind=ZoneKind.PORT,
            geometry=MultiPolygon([Polygon([(14.0, 35.0), (14.2, 35.0), (14.2, 35.2)])]),
        )
        save_zones(other, [*load_zones(other), gamma], now_ms=1)
    finally:
        other.close()
    pg_service.wait_for(lambda: "gamma" in {z.id for z in engine.zones})
    assert pg_service.app.state.zone_watch.reloads >= 1
