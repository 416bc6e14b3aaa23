"""AIS lines for the API tests: real NMEA 0183 sentences with a tag block carrying event time."""

from __future__ import annotations

from typing import Any

from pyais.encode import encode_dict


def _checksum(text: str) -> str:
    cs = 0
    for ch in text:
        cs ^= ord(ch)
    return f"{cs:02X}"


def tagged(sentence: str, time_s: int, station: str = "test") -> str:
    """Prefix a sentence with a tag block ``s:station,c:time`` (checksummed)."""
    body = f"s:{station},c:{time_s}"
    return f"\\{body}*{_checksum(body)}\\{sentence}"


def position(
    mmsi: int, lon: float, lat: float, time_s: int, *, speed: float = 10.0, course: float = 90.0
) -> str:
    """Return one type 1 position report line at event time ``time_s`` (epoch seconds)."""
    data: dict[str, Any] = {
        "type": 1,
        "mmsi": mmsi,
        "lon": lon,
        "lat": lat,
        "speed": speed,
        "course": course,
        "heading": int(course) % 360,
        "status": 0,
        "second": time_s % 60,
    }
    (sentence,) = encode_dict(data, talker_id="AI")
    return tagged(sentence, time_s)


def static(
    mmsi: int, name: str, time_s: int, *, ship_type: int = 70, callsign: str = ""
) -> list[str]:
    """Return the lines of a type 5 static report (two fragments)."""
    data: dict[str, Any] = {
        "type": 5,
        "mmsi": mmsi,
        "shipname": name,
        "callsign": callsign,
        "ship_type": ship_type,
        "imo": 0,
        "to_bow": 50,
        "to_stern": 20,
        "to_port": 5,
        "to_starboard": 5,
        "destination": "VALLETTA",
    }
    return [tagged(s, time_s) for s in encode_dict(data, talker_id="AI")]
