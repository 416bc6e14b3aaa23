"""``/readyz``: 503 with the reasons while the database does not answer or a stage died.

``/healthz`` (liveness) stays 200 meanwhile; readiness comes back by itself with the database.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.api.services import services_of
from tests.app.api.conftest import Service, make_settings
from tests.app.api.dbstate import maintained, refuse_connections, running, seed
from tests.app.store.conftest import create_database, drop_database


def test_readiness_fails_while_the_sqlite_file_is_gone(service: Service) -> None:
    assert service.client.get("/readyz").json() == {"status": "ready"}
    service.wait_for(lambda: maintained(service), 30)  # its run opens connections: not meanwhile
    path = Path(services_of(service.app).store.engine.url.database)
    moved = path.with_name(path.name + ".moved")
    os.rename(path, moved)
    try:
        r = service.client.get("/readyz")
        assert r.status_code == 503
        assert r.json()["status"] == "not ready"
        assert r.json()["reasons"][0].startswith("database unreachable")
        assert service.client.get("/healthz").status_code == 200  # liveness does not change
    finally:
        os.rename(moved, path)
    assert service.client.get("/readyz").status_code == 200


@pytest.mark.postgis
def test_readiness_fails_while_postgis_refuses_connections(tmp_path: Path) -> None:
    url = create_database("mare_ready")
    try:
        seed(url)
        with running(make_settings(tmp_path, url)) as svc:
            assert svc.client.get("/readyz").status_code == 200
            svc.wait_for(lambda: maintained(svc), 30)
            refuse_connections(url, True)
            try:
                r = svc.client.get("/readyz")
                assert r.status_code == 503, r.text
                assert "not currently accepting connections" in r.json()["reasons"][0]
            finally:
                refuse_connections(url, False)
            assert svc.wait_for(lambda: svc.client.get("/readyz").status_code == 200)
    finally:
        drop_database(url)


def test_readiness_fails_when_a_pipeline_stage_died(service: Service) -> None:
    pipeline = services_of(service.app).pipeline
    engine_task = next(t for t in pipeline._tasks if t.get_name() == "pipeline engine")
    loop = pipeline._loop
    assert loop is not None
    loop.call_soon_threadsafe(engine_task.cancel)
    r = service.wait_for(lambda: (r := service.client.get("/readyz")).status_code == 503 and r)
    assert r.json() == {"status": "not ready", "reasons": ["pipeline engine stopped"]}
    assert service.client.get("/healthz").json() == {"status": "ok"}
