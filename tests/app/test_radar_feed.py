"""Radar feeds: options, thinning per target, and a live feed over a real UDP socket."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from ais_ingest.errors import SourceURLError
from ais_ingest.radar import parse_radar_source
from app.api.services import services_of
from app.live.radar import RadarStats, RadarTracks
from tests.app.api.conftest import T0, Service, make_settings, start


def _cs(body: str) -> str:
    x = 0
    for ch in body:
        x ^= ord(ch)
    return f"${body}*{x:02X}"


def _hms(t_s: int) -> str:
    s = t_s % 86_400
    return f"{s // 3600:02d}{s % 3600 // 60:02d}{s % 60:02d}"


def ttm(number: int, t_s: int, status: str = "T") -> str:
    return _cs(f"RATTM,{number:02d},3.0,0.0,T,5.0,0.0,T,,,N,TGT,{status},,{_hms(t_s)},A")


def test_radar_options_are_split_from_the_source_url() -> None:
    s = parse_radar_source("tcp://radar.local:4001?name=coast&lat=35&lon=12&radius=150")
    assert s.url == "tcp://radar.local:4001?name=coast" and s.radius_m == 150.0
    with pytest.raises(SourceURLError, match="both lat and lon"):
        parse_radar_source("udp://0.0.0.0:10120?lat=35")
    with pytest.raises(SourceURLError, match="every must be"):
        parse_radar_source("udp://0.0.0.0:10120?lat=35&lon=12&every=0")


def test_one_contact_per_target_per_period_and_lost_targets_dropped() -> None:
    stats = RadarStats()
    tracks = RadarTracks(parse_radar_source("udp://:1?name=c&lat=35&lon=12&every=60"), stats)
    t0 = T0 - T0 % 86_400 + 43_200
    kept = [tracks.take(ttm(1, t0 + k * 10), t0 * 1000) for k in range(13)]  # 2 min at 10 s
    got = [c for c in kept if c is not None]
    assert [c.time_ms // 1000 - t0 for c in got] == [0, 60, 120]
    assert got[0].ref == "c:1" and got[0].source == "c" and got[0].kind.value == "radar"
    assert got[0].lat == pytest.approx(35.05, abs=1e-3) and got[0].speed_kn == 5.0
    assert tracks.take(ttm(1, t0 + 200, "L"), t0 * 1000) is None
    assert tracks.take("$RATTM,garbage*00", t0 * 1000) is None
    assert (stats.contacts, stats.thinned, stats.lost, dict(stats.refused)) == (
        3, 10, 1, {"bad_checksum": 1})  # fmt: skip


def test_live_radar_feed_stores_contacts(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        f"sqlite:///{tmp_path / 'mare.sqlite'}",
        radar_sources=["udp://127.0.0.1:0?name=coast&lat=35.2&lon=12.2&every=30"],
    )
    for svc in start(settings):
        radar = services_of(svc.app).radar
        assert radar is not None
        address = radar.addresses[0]
        assert address is not None
        t0 = svc.event_time()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for k in range(7):  # a minute at 10 s: at 0, 30 and 60 s kept
                s.sendto((ttm(4, t0 + 10 * k) + "\r\n").encode(), address)

        def contacts(svc: Service = svc) -> list[dict[str, Any]]:
            got: list[dict[str, Any]] = svc.get("/api/v1/contacts").json()
            return got if len(got) >= 3 else []

        got = svc.wait_for(contacts)
        assert {(c["kind"], c["source"], c["ref"], c["created_by"]) for c in got} == {
            ("radar", "coast", "coast:4", "radar:coast")
        }
        assert [c["zones"] for c in got] == [["alpha"]] * 3
        metrics = svc.client.get("/metrics", headers=svc.headers("admin")).text
        assert 'mare_radar_lines_total{outcome="contact"} 3.0' in metrics
