"""The demo's feeder: plans before it knows where to send, then sends the lead minutes at once."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

from app.cli.demo_feed import DEFAULT_LAG_S, REPORT_LAG_S, UdpFeeder
from geo.contacts import Contact


def _c(line: str) -> int:
    return int(line.split("c:")[1].split("*")[0])


def test_the_lead_minutes_arrive_at_once_then_the_feed_runs_in_real_time() -> None:
    lead = 240.0
    feeder = UdpFeeder(speed=1.0, hours=0.5, seed=2, vessels=30, lead=lead)
    feeder.start()  # planning, nowhere to send yet
    assert feeder.ready.wait(120)
    assert feeder.datagrams_sent == 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        # At speed 1 the lead's 4 simulated minutes would take 4 minutes in real time; the
        # receive timeout below is far shorter, so they can only have come as a burst.
        sock.settimeout(60)
        feeder.aim("127.0.0.1", sock.getsockname()[1])
        try:
            times: list[int] = []
            mmsis: set[str] = set()
            while not times or times[-1] - times[0] < lead - 30:
                data, _ = sock.recvfrom(65536)
                for line in data.decode("ascii").splitlines():
                    if "c:" in line:
                        times.append(_c(line))
                    sentence = line.split("\\")[-1]
                    if sentence.startswith("!AIVDM,1,1,"):
                        mmsis.add(sentence.split(",")[5][:7])  # type and MMSI bits
        finally:
            feeder.stop()
    assert feeder.error is None
    assert times == sorted(times)
    assert len(mmsis) >= 30  # every vessel reported in the lead, ships at anchor (3 min) too


def test_contacts_are_posted_once_each_in_the_order_their_reports_reach_the_room() -> None:
    posted: list[list[Contact]] = []
    # from 03:00 UTC: the 05:05 SAR pass and its scene (an hour later) are inside the 6 h
    feeder = UdpFeeder(
        speed=900.0,
        hours=6,
        seed=3,
        vessels=30,
        lead=0,
        scenario="smuggling",
        start_ms=int(datetime(2026, 6, 1, 3, 0, tzinfo=UTC).timestamp() * 1000),
    )
    feeder.post_contacts(posted.append)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        feeder.aim("127.0.0.1", sock.getsockname()[1])
        feeder.start()
        assert feeder.finished.wait(300)
    assert feeder.error is None
    got = [c for cs in posted for c in cs]
    assert got and len(got) == feeder.contacts_sent
    assert len({(c.time_ms, c.lat, c.lon) for c in got}) == len(got)  # once each
    assert {c.kind.value for c in got} >= {"aircraft", "sar"}

    def due(c: Contact) -> float:
        return c.time_ms + REPORT_LAG_S.get(c.kind.value, DEFAULT_LAG_S) * 1000

    for before, after in zip(posted, posted[1:], strict=False):
        assert max(map(due, before)) <= min(map(due, after))  # a SAR scene an hour late
