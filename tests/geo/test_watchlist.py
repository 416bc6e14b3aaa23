import pytest

from geo.events import EventKind
from geo.watchlist import WatchlistError, load_watchlist, parse_watchlist
from tests.geo.engine_scenarios import of_kind, run, static, track

CSV = """mmsi,imo,name,callsign,note
642123456,,,,known mothership
,9123456,,,
,,"  Sea   star ",,renamed trawler
,,,5abc1,
"""


def test_parse_normalises_names_and_callsigns() -> None:
    wl = parse_watchlist(CSV)
    assert len(wl) == 4
    assert [e for e, how in wl.match(name="SEA STAR@@")][0].note == "renamed trawler"
    assert wl.match(callsign="5ABC1 ")[0][1] == "callsign"
    assert wl.match(mmsi=642123456)[0][0].line == 2


def test_an_imo_number_is_read_as_lists_write_it() -> None:
    """Sanctions lists write ``IMO 9123456``, MarineCadastre ``IMO9123456``."""
    for written in ("IMO 9123456", "IMO9123456", "imo: 9123456", " 9123456 "):
        wl = parse_watchlist(f"mmsi,imo,name,callsign,note\n,{written},,,\n")
        assert wl.match(imo=9123456)[0][1] == "imo", written
    with pytest.raises(WatchlistError, match="imo 'IMO 91234X6' is not a number"):
        parse_watchlist("mmsi,imo,name,callsign,note\n,IMO 91234X6,,,\n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("mmsi,name\n1,2\n", "header"),
        ("mmsi,imo,name,callsign,note\nabc,,,,\n", "line 2: mmsi"),
        ("mmsi,imo,name,callsign,note\n,,,,only a note\n", "line 2: no mmsi"),
    ],
)
def test_bad_watchlist_is_refused_naming_the_line(text: str, message: str) -> None:
    with pytest.raises(WatchlistError, match=message):
        parse_watchlist(text)


def test_load_watchlist_reads_a_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "w.csv"
    p.write_text(CSV, encoding="utf-8")
    assert len(load_watchlist(p)) == 4
    with pytest.raises(WatchlistError, match="cannot read"):
        load_watchlist(tmp_path / "missing.csv")


def test_watchlist_match_once_per_vessel_and_entry() -> None:
    wl = parse_watchlist(CSV)
    recs = track(642123456, 0, 3600, 10, 33.5, 12.5, 10.0)
    recs += track(247000001, 0, 3600, 10, 34.5, 12.5, 10.0)
    recs += [static(t, 247000001, name="sea star") for t in (5, 365, 725)]
    recs += [static(t, 642123456, imo=9123456) for t in (5, 365)]
    matches = of_kind(run(recs, watchlist=wl), EventKind.WATCHLIST_MATCH)
    got = sorted((e.mmsi, e.details["matched_on"]) for e in matches)
    assert got == [(247000001, "name"), (642123456, "imo"), (642123456, "mmsi")]
    assert all(e.lat is not None for e in matches)


def test_a_stray_carriage_return_is_refused_by_line_not_a_crash() -> None:
    import pytest

    from geo.watchlist import WatchlistError, parse_watchlist

    # schemathesis sent this shape to /watchlist/import: the CSV reader raised, a 500
    with pytest.raises(WatchlistError, match="line 3"):
        parse_watchlist("mmsi,imo,name,callsign,note\n1,,A\rB,,\n\x00")


def test_a_listed_name_matches_however_the_crew_types_it() -> None:
    """A registry's "SEA STAR 2" is the transponder's "F/V SEA STAR II"; EL AMAL 6 is not 9."""
    wl = parse_watchlist(
        "mmsi,imo,name,callsign,note\n,,Sea Star 2,,trawler\n,,EL AMAL 6,,\n,,,9HA-1234,\n"
    )
    assert [e.note for e, _ in wl.match(name="F/V SEA STAR II@@")] == ["trawler"]
    assert [e.note for e, _ in wl.match(name="SEASTAR 2")] == ["trawler"]
    assert wl.match(name="EL AMAL 9") == []
    assert wl.match(callsign="9HA1234")[0][0].line == 4
