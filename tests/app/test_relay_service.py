"""The NMEA relay end to end: AIS over real UDP into the service, sentences out over real TCP.

The whole service (create_app on SQLite) runs in a real uvicorn with ``MARE_RELAY_LISTEN`` on a
free port; a plain TCP client reads what a chart plotter would.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pyais import encode_dict

from ais_ingest.decoder import Decoder
from ais_ingest.timestamps import nmea_checksum
from app.api.services import services_of
from app.live.relay import NmeaRelay
from app.settings import ServiceSettings
from app.wiring import create_app, start_relay
from tests.app.push.servers import serve

METRICS_TOKEN = "metrics-" + "r" * 30


def until(cond: Callable[[], Any], seconds: float = 15.0) -> Any:
    deadline = time.monotonic() + seconds
    while not (got := cond()):
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)
    return got


def encode(data: dict[str, Any], seq: int | None = None) -> list[str]:
    return [str(s) for s in encode_dict(data, talker_id="AI", sentence_type="VDM", seq_id=seq)]


def position(mmsi: int) -> str:
    (line,) = encode({"msg_type": 1, "mmsi": mmsi, "lon": 12.2, "lat": 35.2, "speed": 5.0})
    return line


@pytest.fixture(name="app")
def app_fixture(tmp_path: Path) -> Iterator[FastAPI]:
    settings = ServiceSettings(
        mode="test",
        database_url=f"sqlite:///{tmp_path / 'mare.sqlite'}",
        var_dir=tmp_path / "var",
        sources=["udp://127.0.0.1:0"],
        relay_listen="127.0.0.1:0",
        zone_file=tmp_path / "no-zones.geojson",
        watchlist_file=None,
        land_file=tmp_path / "no-land.geojson",
        metrics_token=METRICS_TOKEN,
        batch_seconds=0.05,
        snapshot_seconds=3600.0,
    )
    app = create_app(settings)
    with serve(app) as port:
        app.state.test_port = port
        relay = services_of(app).relay
        assert relay is not None
        address = relay.address
        assert address is not None and address[1] != 0
        yield app
    assert relay.address is None  # stopped with the service: the port is closed
    with pytest.raises(OSError):
        socket.create_connection(address, timeout=5).close()


def metrics(app: FastAPI) -> dict[str, float]:
    """Return the relay's samples from /metrics (name with labels -> value)."""
    r = httpx.get(
        f"http://127.0.0.1:{app.state.test_port}/metrics",
        headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
        timeout=10,
    )
    r.raise_for_status()
    out = {}
    for line in r.text.splitlines():
        if "relay" in line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def test_a_tcp_client_gets_the_valid_deduplicated_sentences_with_crlf(app: FastAPI) -> None:
    relay = services_of(app).relay
    assert isinstance(relay, NmeaRelay)
    relay_address = relay.address
    udp_address = services_of(app).pipeline.address
    assert relay_address is not None and udp_address is not None
    first, last = position(247_100_001), position(247_100_002)
    part1, part2 = encode({"msg_type": 5, "mmsi": 247_100_003, "shipname": "ALFA"}, seq=2)
    bad = f"{first[:-2]}{int(first[-2:], 16) ^ 1:02X}"
    tag = f"s:other,c:{int(time.time())}"
    heard_again = f"\\{tag}*{nmea_checksum(tag):02X}\\{first}"  # another station's copy
    decoder = services_of(app).pipeline.decoder
    assert decoder.on_accepted is None  # nobody listens: the decoder collects nothing
    with socket.create_connection(relay_address, timeout=10) as client:
        until(lambda: relay.clients == 1)
        assert decoder.on_accepted == relay.feed
        assert metrics(app)['mare_clients_connected{kind="relay"}'] == 1
        lines = [first, bad, first, part1, part2, last]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.sendto(("\r\n".join(lines) + "\r\n").encode("ascii"), udp_address)
            udp.sendto((heard_again + "\r\n").encode("ascii"), udp_address)
            udp.sendto((last + "\r\n").encode("ascii"), udp_address)  # a duplicate too
            udp.sendto((position(247_100_004) + "\r\n").encode("ascii"), udp_address)
        received = b""
        want = [first, part1, part2, last, position(247_100_004)]
        expected = "".join(line + "\r\n" for line in want).encode("ascii")
        deadline = time.monotonic() + 15
        while len(received) < len(expected) and time.monotonic() < deadline:
            chunk = client.recv(65536)
            if not chunk:
                break
            received += chunk
    assert received == expected
    until(lambda: relay.clients == 0)
    assert decoder.on_accepted is None
    samples = metrics(app)
    assert samples["mare_relay_lines_sent_total"] == len(want)
    assert samples['mare_clients_connected{kind="relay"}'] == 0
    assert samples['mare_push_dropped_total{stage="relay"}'] == 0
    counts = services_of(app).pipeline.decoder.stats.counts
    assert counts["duplicate"] == 3 and counts["bad_checksum"] == 1


def test_without_the_setting_there_is_no_relay(tmp_path: Path) -> None:
    settings = ServiceSettings(
        mode="test",
        database_url=f"sqlite:///{tmp_path / 'mare.sqlite'}",
        var_dir=tmp_path / "var",
        zone_file=tmp_path / "no-zones.geojson",
        watchlist_file=None,
        land_file=tmp_path / "no-land.geojson",
    )
    assert settings.relay_address is None
    app = create_app(settings)
    with serve(app):
        assert services_of(app).relay is None
        assert services_of(app).pipeline.decoder.on_accepted is None


def test_relay_listen_is_checked() -> None:
    with pytest.raises(ValueError, match="host:port"):
        ServiceSettings(relay_listen="10111")
    assert ServiceSettings(relay_listen=" [::1]:10111 ").relay_address == ("::1", 10111)


async def test_a_relay_port_in_use_is_a_clear_start_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = ServiceSettings(mode="test", relay_listen=f"127.0.0.1:{port}")
        decoder = Decoder()
        with pytest.raises(RuntimeError, match="MARE_RELAY_LISTEN"):
            await start_relay(settings, decoder)
        assert decoder.on_accepted is None
