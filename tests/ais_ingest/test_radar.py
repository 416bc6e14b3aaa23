"""TTM and TLL radar target sentences: units, times, refusals."""

from __future__ import annotations

import pytest

from ais_ingest.radar import RadarSentenceError, parse_radar_line

DAY = 1_780_000_000_000 - 1_780_000_000_000 % 86_400_000  # a UTC midnight
NOON = DAY + 12 * 3_600_000


def _cs(body: str) -> str:
    x = 0
    for ch in body:
        x ^= ord(ch)
    return f"${body}*{x:02X}"


def test_tll_gives_the_targets_position_and_time_of_day() -> None:
    t = parse_radar_line(_cs("RATLL,07,3545.120,N,01210.500,E,BOAT,120030.00,T,"), NOON)
    assert t.number == 7 and t.name == "BOAT" and t.status == "T"
    assert (round(t.lat or 0, 4), round(t.lon or 0, 4)) == (35.752, 12.175)
    assert t.time_ms == NOON + 30_000


def test_ttm_range_and_bearing_from_the_radar_site_in_each_unit() -> None:
    nm = parse_radar_line(_cs("RATTM,01,2.0,90.0,T,6.0,45.0,T,,,N,,T,,120000,A"), NOON)
    assert nm.distance_m == pytest.approx(3704.0) and nm.speed_kn == pytest.approx(6.0)
    assert nm.course == 45.0 and nm.bearing_deg == 90.0
    km = parse_radar_line(_cs("RATTM,01,2.0,90.0,T,10.0,45.0,T,,,K,,T,,120000,A"), NOON)
    assert km.distance_m == pytest.approx(2000.0) and km.speed_kn == pytest.approx(5.3996, 1e-3)
    lat, lon = nm.position(35.0, 12.0)
    assert lat == pytest.approx(35.0, abs=1e-4) and lon > 12.04


def test_time_near_midnight_takes_the_nearer_day() -> None:
    late = parse_radar_line(_cs("RATLL,01,3500.0,N,01200.0,E,,235959,T,"), DAY + 5_000)
    assert late.time_ms == DAY - 1_000  # yesterday's 23:59:59, not tonight's
    tagged = "\\c:1780000123*00\\" + _cs("RATLL,01,3500.0,N,01200.0,E,,235959,T,")
    assert parse_radar_line(tagged, DAY).time_ms == 1_780_000_123_000


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("$RATLL,01,3500.0,N,01200.0,E,,120000,T,*00", "bad_checksum"),
        (_cs("RATTM,01,2.0,90.0,R,6.0,45.0,T,,,N,,T,,120000,A"), "relative_bearing"),
        (_cs("GPGGA,120000,3500.0,N,01200.0,E,1,08,0.9,10,M,,M,,"), "unsupported_type"),
        ("!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*24", "unsupported_type"),
        (_cs("RATTM,01,,90.0,T,6.0,45.0,T,,,N,,T,,120000,A"), "decode_error"),
        (_cs("RATLL,01,9500.0,N,01200.0,E,,120000,T,"), "decode_error"),
    ],
)
def test_unusable_lines_are_refused_with_a_reason(line: str, reason: str) -> None:
    with pytest.raises(RadarSentenceError) as info:
        parse_radar_line(line, NOON)
    assert info.value.reason == reason


def test_ttm_without_the_radar_site_has_no_position() -> None:
    t = parse_radar_line(_cs("RATTM,01,2.0,90.0,T,6.0,45.0,T,,,N,,T,,120000,A"), NOON)
    with pytest.raises(RadarSentenceError, match="radar's position"):
        t.position(None, None)
