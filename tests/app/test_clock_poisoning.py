"""Issue 15: ten valid sentences over UDP whose tag block says one year ahead moved event time
to next year (279 false "went dark" alerts). The whole service, a real UDP socket."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ais_ingest.decoder import Decoder
from ais_ingest.sources import merge_chunks
from ais_ingest.stream import decode_stream
from geo.events import parse_time
from tests.app.push.conftest import Service, position, running, until
from tests.app.test_detect_cli import tagged
from tests.app.test_metrics import scrape, value

YEAR_S = 365 * 86_400
FLEET = [320_100_000 + k for k in range(30)]


@pytest.fixture(scope="module", name="service")
def service_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    with running(tmp_path_factory.mktemp("poison")) as svc:
        yield svc


def fleet_report(t_s: int, step: int) -> list[str]:
    """One report of every vessel of the fleet, stamped ``t_s`` by a receiver's tag block."""
    return [
        tagged(t_s, position(m, 12.0 + step * 0.001, 34.0 + k / 50)) for k, m in enumerate(FLEET)
    ]


def event_time_s(svc: Service) -> float:
    r = httpx.get(f"{svc.base}/api/v1/stats", headers=svc.headers(), timeout=10)
    assert r.status_code == 200, r.text
    return parse_time(r.json()["event_time"]) / 1000


def test_ten_forged_sentences_a_year_ahead_do_not_move_event_time(service: Service) -> None:
    before = scrape(service)
    now = int(time.time())
    service.send_udp(fleet_report(now, 0))
    until(lambda: value(scrape(service), "mare_vessels_live") >= len(FLEET))
    forged = [tagged(now + YEAR_S, position(m, 13.5, 35.5)) for m in FLEET[:10]]
    service.send_udp(forged)
    service.send_udp(fleet_report(now + 2, 1))

    def settled() -> dict[str, dict[tuple[tuple[str, str], ...], float]] | None:
        m = scrape(service)
        lines = value(m, "mare_ingest_lines_total") - value(before, "mare_ingest_lines_total")
        return m if lines >= 2 * len(FLEET) + 10 else None

    m = until(settled)
    restamped = value(m, "mare_ingest_event_time_total", source="restamped") - value(
        before, "mare_ingest_event_time_total", source="restamped"
    )
    assert restamped == 10
    assert value(m, "mare_ingest_event_time_total", source="own") >= 2 * len(FLEET)
    wall = time.time()
    assert value(m, "mare_engine_event_time_seconds") <= wall + 300
    assert event_time_s(service) <= wall + 300
    time.sleep(2.5)  # ticks of the live clock: a year ahead, every vessel would now be dark
    m = scrape(service)
    assert m.get("mare_alerts_total", {}).get((("kind", "ais_gap"),), 0.0) == 0.0
    assert value(m, "mare_vessels_live") >= len(FLEET)
    assert value(m, "mare_engine_records_unused_total", reason="future_time") == 0
    assert value(m, "mare_engine_records_held") == 0


def test_every_record_held_or_not_used_is_in_metrics_by_reason(service: Service) -> None:
    m = scrape(service)
    reasons = {dict(k)["reason"] for k in m["mare_engine_records_unused_total"]}
    assert reasons == {"future_time", "same_time", "out_of_order", "no_position", "stale_repeat"}
    sources = {dict(k)["source"] for k in m["mare_ingest_event_time_total"]}
    assert sources == {"own", "receive", "restamped"}
    assert "mare_engine_clock_jumps_total" in m and "mare_engine_records_held" in m
    assert m["mare_engine_stations_down"] == {(): 0.0}  # one feed, talking
    assert m["mare_engine_silences_in_outages_total"] == {(): 0.0}


def test_a_replayed_capture_is_not_restamped(tmp_path: Path) -> None:
    """Lines of a file source are heard whenever the file was recorded: their own time rules."""
    capture = tmp_path / "future.nmea"
    later = int(time.time()) + 3 * 86_400  # a simulation planned for the days ahead
    capture.write_text("\n".join(fleet_report(later, 0)) + "\n")

    async def decode() -> list[int]:
        dec = Decoder()
        out: list[int] = []
        chunks = merge_chunks([f"file:{capture}"])
        async for batch in decode_stream(chunks, dec, batch_size=2048, batch_seconds=0.1):
            out += batch.positions.time_ms.tolist()
        assert dec.stats.times["restamped"] == 0
        return out

    times = asyncio.run(decode())
    assert times and set(times) == {later * 1000}
