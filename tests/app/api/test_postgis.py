"""The same service on a real PostgreSQL + PostGIS: pipeline, scoping, lifecycle, history."""

from __future__ import annotations

import pytest

from app.api.services import services_of
from tests.app.api.checks import check_handling, check_history
from tests.app.api.conftest import IN_ALPHA, IN_BETA, Service, feed_scenario

pytestmark = pytest.mark.postgis


def test_service_on_postgis_stores_and_answers_like_sqlite(pg_service: Service) -> None:
    assert services_of(pg_service.app).repo.dialect == "postgresql"
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
    check_handling(pg_service, ids)
    # its own batches announced on mare_vessels are not news to it: nothing compared
    watch = services_of(pg_service.app).vessel_watch
    assert watch is not None and watch.checks == 0


def save_zone_elsewhere(url: str, zid: str, lon: float) -> None:
    """Add a zone through another process's store (its own connections), as `mare` would."""
    from shapely.geometry import MultiPolygon, Polygon

    from app.store import open_store
    from app.store.zones import load_zones, save_zones
    from geo.zones import Zone, ZoneKind

    other = open_store(url)
    try:
        ring = [(lon, 35.0), (lon + 0.2, 35.0), (lon + 0.2, 35.2)]
        z = Zone(
            id=zid, name=zid.title(), kind=ZoneKind.PORT, geometry=MultiPolygon([Polygon(ring)])
        )
        save_zones(other, [*load_zones(other), z], now_ms=1)
    finally:
        other.close()


def test_zone_saved_by_another_process_reaches_the_running_engine(
    pg_service: Service, postgis_url: str
) -> None:
    engine = services_of(pg_service.app).engine
    assert "gamma" not in {z.id for z in engine.zones}
    save_zone_elsewhere(postgis_url, "gamma", 14.0)
    pg_service.wait_for(lambda: "gamma" in {z.id for z in engine.zones})
    watch = services_of(pg_service.app).zone_watch
    assert watch is not None and watch.reloads >= 1


def test_zone_listener_reconnects_and_catches_up_after_losing_its_connection(
    pg_service: Service, postgis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    import psycopg

    from app.store.notify import APPLICATION_NAME

    caplog.set_level(logging.WARNING, logger="app.pipeline.zone_watch")
    engine = services_of(pg_service.app).engine
    watch = services_of(pg_service.app).zone_watch
    assert watch is not None

    with psycopg.connect(postgis_url, autocommit=True) as admin:
        killed = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = %s AND datname = current_database()",
            (APPLICATION_NAME,),
        ).fetchall()
    assert killed == [(True,)]
    # Saved while the listener may be down: its notification can be lost; the reload that
    # follows the reconnection must still bring it in.
    save_zone_elsewhere(postgis_url, "delta", 14.5)
    pg_service.wait_for(lambda: watch.reconnects == 1)
    pg_service.wait_for(lambda: "delta" in {z.id for z in engine.zones})
    # Listening again: a later change arrives by notification.
    save_zone_elsewhere(postgis_url, "epsilon", 15.0)
    pg_service.wait_for(lambda: "epsilon" in {z.id for z in engine.zones})
    outage = [r for r in caplog.records if r.name == "app.pipeline.zone_watch"]
    assert len(outage) == 2, [r.getMessage() for r in outage]  # one outage: two lines
    assert outage[0].getMessage().startswith("zone listener lost its connection")
    assert outage[1].getMessage().startswith("zone listener reconnected")
