"""Source URLs: every DESIGN.md form parses, every mistake is named."""

from __future__ import annotations

import pytest

from ais_ingest.errors import SourceURLError
from ais_ingest.sources import SourceSpec, parse_source_url


def test_udp_listen_url_with_defaults() -> None:
    spec = parse_source_url("udp://0.0.0.0:10110")
    assert (spec.kind, spec.host, spec.port) == ("udp", "0.0.0.0", 10110)
    assert parse_source_url("udp://:5000").host == "0.0.0.0"
    assert parse_source_url("udp://").port == 10110
    assert parse_source_url("UDP://127.0.0.1:0").port == 0


def test_tcp_client_url() -> None:
    spec = parse_source_url("tcp://data.aishub.net:4321?backoff_max=5&idle_timeout=120")
    assert (spec.kind, spec.host, spec.port) == ("tcp", "data.aishub.net", 4321)
    assert spec.option_float("backoff_max") == 5.0
    assert spec.option_float("idle_timeout") == 120.0
    assert spec.name == "tcp://data.aishub.net:4321"


def test_tcp_listen_url_and_ipv6() -> None:
    spec = parse_source_url("tcp-listen://[::]:6000")
    assert (spec.kind, spec.host, spec.port) == ("tcp-listen", "::", 6000)
    assert spec.name == "tcp-listen://[::]:6000"
    assert parse_source_url("tcp-listen://").host == "0.0.0.0"


def test_gpsd_url_defaults_to_local_gpsd() -> None:
    spec = parse_source_url("gpsd://")
    assert (spec.kind, spec.host, spec.port) == ("gpsd", "localhost", 2947)
    assert parse_source_url("gpsd://10.0.0.5").port == 2947


def test_file_urls_and_bare_paths() -> None:
    spec = parse_source_url("file:capture.nmea.gz?speed=10")
    assert spec == SourceSpec(kind="file", paths=("capture.nmea.gz",), speed=10.0)
    assert parse_source_url("file:///data/a%20b.nmea").paths == ("/data/a b.nmea",)
    assert parse_source_url("file:/data/x.nmea").paths == ("/data/x.nmea",)
    bare = parse_source_url("captures/2024-05-01T10:00.nmea")
    assert bare.kind == "file" and bare.paths == ("captures/2024-05-01T10:00.nmea",)
    assert bare.speed is None
    assert parse_source_url("file:x.nmea?name=lampedusa").name == "lampedusa"


def test_dash_is_stdin() -> None:
    assert parse_source_url("-").kind == "stdin"
    assert parse_source_url("-").name == "-"


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("", "empty"),
        ("http://example.com", "unknown scheme 'http'"),
        ("udp:10110", "expected udp://HOST:PORT"),
        ("tcp://:4000", "needs the host"),
        ("tcp://example.com", "needs a port"),
        ("tcp://0.0.0.0:4000", "tcp-listen://"),
        ("tcp://example.com:99999", "port must be a number"),
        ("tcp://example.com:http", "port must be a number"),
        ("tcp://example.com:0", "port 0"),
        ("udp://0.0.0.0:10110/feed", "unexpected path"),
        ("udp://0.0.0.0:10110?speed=2", "unknown option 'speed' for a udp source"),
        ("file:x.nmea?sped=2", "unknown option 'sped'"),
        ("file:x.nmea?speed=0", "speed must be a positive number"),
        ("file:x.nmea?speed=-3", "speed must be a positive number"),
        ("file:x.nmea?speed=fast", "speed must be a positive number"),
        ("file:x.nmea?speed=inf", "speed must be a positive number"),
        ("file:x.nmea?speed=2&speed=3", "given twice"),
        ("file:x.nmea?name=", "needs a value"),
        ("file://server/x.nmea", "host 'server'"),
        ("file:", "no file named"),
        ("tcp://user:pw@example.com:4000", "passwords"),
    ],
)
def test_bad_url_is_rejected_with_the_reason(url: str, fragment: str) -> None:
    with pytest.raises(SourceURLError) as caught:
        parse_source_url(url)
    assert fragment in str(caught.value)
    assert repr(url) in str(caught.value)


def test_spec_is_frozen_and_hashable() -> None:
    spec = parse_source_url("tcp://h:1?backoff_max=2")
    with pytest.raises(AttributeError):
        spec.port = 2  # type: ignore[misc]
    assert hash(spec) == hash(parse_source_url("tcp://h:1?backoff_max=2"))
    assert spec != parse_source_url("tcp://h:1")
