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
