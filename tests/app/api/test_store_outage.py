"""The running service on PostGIS while its database goes away, and while it is slow.

Away: the database refuses connections mid-run (``ALLOW_CONNECTIONS false``, sessions ended).
Ingest goes on, an alert still reaches an SSE client (unstored, ``stored: false``), /metrics
shows the backlog; once the database accepts connections again the positions and the alert are
stored exactly once and the alert is published again with its id. Slow: a table lock held by
another session blocks every position write; ingest goes on, an alert queued behind the blocked
write goes out unstored, what overflows the store queue is kept in the backlog (the database
is then shown down, in /metrics and /readyz, and the log says so once), and once the lock goes
every position is stored and none dropped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from app.api.services import services_of
from tests.app.api.conftest import IN_ALPHA, T0, Service, crossing, make_settings
from tests.app.api.dbstate import maintained, refuse_connections, running
from tests.app.api.nmea import position, static
from tests.app.store.conftest import create_database, drop_database

pytestmark = pytest.mark.postgis

METRICS_TOKEN = "mare_m_" + "m" * 40
#: The store's own retries (7.5 s) and the backlog's backoff come before a write is seen again.
WAIT = 60.0


@pytest.fixture
def db_url() -> Iterator[str]:
    from app.store import open_store

    url = create_database("mare_outage")
    open_store(url, upgrade=True).close()  # `mare db upgrade`
    yield url
    drop_database(url)


def metric(svc: Service, name: str, **labels: str) -> float:
    """Return one sample of /metrics (scraped with the metrics token: no database needed)."""
    from prometheus_client.parser import text_string_to_metric_families

    r = svc.client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert r.status_code == 200, r.text
    for fam in text_string_to_metric_families(r.text):
        for s in fam.samples:
            if s.name == name and s.labels == labels:
                return float(s.value)
    raise AssertionError(f"no sample {name} {labels}")


def next_alert(lines: Iterator[str]) -> tuple[int, dict[str, Any]]:
    """Read SSE lines up to the next alert event; return its id and data."""
    seq, data = 0, None
    for line in lines:
        if line.startswith("id:"):
            seq = int(line.removeprefix("id:"))
        elif line.startswith("data:"):
            data = json.loads(line.removeprefix("data:").strip())
        elif line == "" and data is not None:
            return seq, data
    raise AssertionError("stream ended")


def count(url: str, query: str, *args: Any) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(query, args).fetchone()
    assert row is not None
    return int(row[0])


def test_alerts_reach_the_watch_while_the_database_is_away_and_are_stored_when_it_is_back(
    tmp_path: Path, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="app.pipeline")
    settings = make_settings(tmp_path, db_url, metrics_token=METRICS_TOKEN)
    with running(settings) as svc:
        svc.wait_for(lambda: maintained(svc), 30)  # its run opens connections: not meanwhile
        headers = svc.headers("officer")
        with svc.client.stream(
            "GET", "/api/v1/alerts/stream", headers=headers, timeout=WAIT
        ) as resp:
            assert resp.status_code == 200
            lines = resp.iter_lines()
            # the stream's first identity check reads the store: not while sessions are ended
            # (a connection made as its session is ended is never closed by the pool)
            svc.wait_for(lambda: getattr(services_of(svc.app).stream_auth, "_cache", None))
            refuse_connections(db_url, True)
            try:
                before = metric(svc, "mare_pipeline_records_total")
                svc.send(static(IN_ALPHA, "ALFA STAR", T0) + crossing(IN_ALPHA, 11.95, 35.2))
                seq, alert = next_alert(lines)  # the zone entry, while nothing can be stored
            except BaseException:
                refuse_connections(db_url, False)
                raise
        try:
            assert (alert["id"], alert["stored"]) == (None, False)
            assert (alert["kind"], alert["zone"], alert["mmsi"]) == (
                "zone_entry",
                "alpha",
                IN_ALPHA,
            )
            assert alert["vessel_name"] == "ALFA STAR"
            assert metric(svc, "mare_pipeline_records_total") >= before + 13  # ingest goes on
            svc.wait_for(lambda: metric(svc, "mare_store_down") == 1, WAIT)
            svc.wait_for(
                lambda: (
                    metric(svc, "mare_store_backlog_records", stage="alerts") >= 1
                    and metric(svc, "mare_store_backlog_records", stage="store") >= 12
                ),
                WAIT,
            )
            assert metric(svc, "mare_pipeline_alerts_unstored_total") >= 1
        finally:
            refuse_connections(db_url, False)

        svc.wait_for(lambda: metric(svc, "mare_store_down") == 0, WAIT)
        # a client resuming after the unstored alert gets the same episode with its id
        resume = {**headers, "Last-Event-ID": str(seq)}
        with svc.client.stream("GET", "/api/v1/alerts/stream", headers=resume) as resp:
            assert resp.status_code == 200
            _, stored = next_alert(resp.iter_lines())
        assert isinstance(stored["id"], int) and "stored" not in stored
        assert (stored["kind"], stored["zone"], stored["start"]) == (
            alert["kind"],
            alert["zone"],
            alert["start"],
        )
        svc.wait_for(lambda: metric(svc, "mare_store_down") == 0, WAIT)
        assert metric(svc, "mare_store_backlog_records", stage="store") == 0
        assert metric(svc, "mare_pipeline_dropped_records_total", stage="store") == 0
        positions = "SELECT count(*) FROM positions WHERE mmsi = %s"
        assert count(db_url, positions, IN_ALPHA) == 12
        alerts = "SELECT count(*) FROM events WHERE mmsi = %s AND kind = 'zone_entry'"
        assert count(db_url, alerts, IN_ALPHA) == 1
        got = svc.get(f"/api/v1/alerts/{stored['id']}").json()
        assert (got["zone"], got["vessel_name"]) == ("alpha", "ALFA STAR")

    said = [r.getMessage() for r in caplog.records if r.name == "app.pipeline"]
    assert len([m for m in said if "keeping writes in memory" in m]) == 1, said
    assert len([m for m in said if m.startswith("database back after")]) == 1, said
    assert not [m for m in said if m.startswith("storing")], said  # no line a failed write


def test_a_locked_table_never_stalls_ingest_or_alerts_and_loses_no_position(
    tmp_path: Path, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="app.pipeline")
    settings = make_settings(
        tmp_path, db_url, metrics_token=METRICS_TOKEN, queue_batches=8, batch_size=5
    )
    with running(settings) as svc:
        svc.wait_for(lambda: maintained(svc), 30)
        counters = services_of(svc.app).pipeline.counters
        t = T0
        mmsi = 248_000_000

        def burst(n_vessels: int) -> None:
            """Send one fix of each of ``n_vessels`` and wait until the engine took them."""
            nonlocal t
            t += 60
            seen = counters.positions
            svc.send([position(mmsi + i, 14.0 + i * 0.001, 36.0, t) for i in range(n_vessels)])
            svc.wait_for(lambda: counters.positions >= seen + n_vessels, WAIT)

        headers = svc.headers("officer")
        with (
            svc.client.stream("GET", "/api/v1/alerts/stream", headers=headers) as resp,
            psycopg.connect(db_url) as locker,
        ):
            lines = resp.iter_lines()
            svc.wait_for(lambda: getattr(services_of(svc.app).stream_auth, "_cache", None))
            locker.execute("LOCK TABLE positions IN ACCESS EXCLUSIVE MODE")
            svc.send(crossing(IN_ALPHA, 11.95, 35.2))  # positions only: every record a position
            _, alert = next_alert(lines)  # its write waits behind the positions: sent unstored
            assert (alert["id"], alert["stored"], alert["zone"]) == (None, False, "alpha")
            # within the queue: the writer is stuck, nothing is dropped
            for _ in range(2):
                burst(5)
            assert metric(svc, "mare_pipeline_dropped_records_total", stage="store") == 0
            # well beyond it: ingest goes on, the overflow is kept in memory, and it shows
            for _ in range(30):
                burst(5)
            assert metric(svc, "mare_pipeline_dropped_records_total", stage="store") == 0
            assert metric(svc, "mare_store_down") == 1
            assert metric(svc, "mare_store_backlog_records", stage="store") > 0
            ready = svc.client.get("/readyz")
            assert ready.status_code == 503
            assert any("database behind" in r for r in ready.json()["reasons"]), ready.text
            locker.rollback()  # the lock goes
            _, stored = next_alert(lines)
            assert isinstance(stored["id"], int) and stored["start"] == alert["start"]

        through: int = counters.positions
        positions = "SELECT count(*) FROM positions"
        svc.wait_for(lambda: count(db_url, positions) == through, WAIT)
        svc.wait_for(lambda: metric(svc, "mare_store_down") == 0, WAIT)
        assert svc.client.get("/readyz").status_code == 200
        for stage in ("engine", "store", "alerts"):
            assert metric(svc, "mare_pipeline_dropped_records_total", stage=stage) == 0
        assert count(db_url, "SELECT count(*) FROM events") == 1
        duplicates = "SELECT count(*) FROM (SELECT DISTINCT mmsi, time FROM positions) d"
        assert count(db_url, duplicates) == through

    said = [r.getMessage() for r in caplog.records if r.name == "app.pipeline"]
    assert len([m for m in said if "store queue is full" in m]) == 1, said
    assert len([m for m in said if m.startswith("database back after")]) == 1, said
