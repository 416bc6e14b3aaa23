from __future__ import annotations

import threading

import pytest
from shapely.geometry import MultiPolygon, Polygon

from app.store import Store, open_store
from app.store.audit import recent
from app.store.errors import InvalidTransition, ZoneInvalid
from app.store.events import query_events, save_events, set_state
from app.store.notify import ZoneListener
from app.store.zones import load_zones, save_zones, zones_version
from geo.events import Event, EventKind, Severity
from geo.zones import Zone, ZoneAlert, ZoneKind

from .data import HOUR, T0

BOX = Polygon([(12, 35), (12.5, 35), (12.5, 35.5), (12, 35.5)])
BOWTIE = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])


def zone(zid: str, geom: object = BOX) -> Zone:
    return Zone(id=zid, name=zid.title(), kind=ZoneKind.PATROL_AREA, geometry=geom,
                alerts=frozenset({ZoneAlert.ENTRY}), dwell_minutes=30.0, severity=Severity.HIGH,
                note="n", country="MT")  # fmt: skip


def test_zones_round_trip_and_bump_the_version(store: Store) -> None:
    assert zones_version(store) == 0
    v = save_zones(store, [zone("alpha"), zone("beta")], now_ms=T0)
    got = load_zones(store)
    assert [z.id for z in got] == ["alpha", "beta"] and v == zones_version(store) == 1
    assert got[0].geometry.equals(MultiPolygon([BOX])) and got[0].alerts == {ZoneAlert.ENTRY}
    assert (got[0].severity, got[0].dwell_minutes, got[0].country) == (Severity.HIGH, 30.0, "MT")
    save_zones(store, [zone("gamma")], now_ms=T0, replace=True)
    assert [z.id for z in load_zones(store)] == ["gamma"] and zones_version(store) == 2


def test_invalid_zone_is_refused_with_id_and_reason_and_nothing_written(store: Store) -> None:
    save_zones(store, [zone("alpha")], now_ms=T0)
    with pytest.raises(ZoneInvalid) as err:
        save_zones(store, [zone("beta"), zone("bad", BOWTIE)], now_ms=T0, replace=True)
    assert err.value.zone_id == "bad" and "Self-intersection" in err.value.reason
    assert [z.id for z in load_zones(store)] == ["alpha"] and zones_version(store) == 1


@pytest.mark.postgis
def test_zone_change_is_announced_to_listeners(pg_url: str) -> None:
    store = open_store(pg_url)  # LISTEN/NOTIFY is PostGIS only; SQLite readers poll the version
    listener = ZoneListener(pg_url)
    got: list[int] = []
    t = threading.Thread(target=lambda: got.extend(listener.wait(10)))
    t.start()
    save_zones(store, [zone("alpha")], now_ms=T0)
    t.join()
    listener.close()
    assert got == [zones_version(store)]
    store.close()


def ev(kind: EventKind, mmsi: int, start: int, end: int | None, zone: str | None = None,
       sev: Severity = Severity.MEDIUM) -> Event:  # fmt: skip
    return Event(kind, mmsi, start, end, 35.0, 12.0, sev, zone=zone, details={"n": 1})


def test_event_updates_keep_one_row_and_its_lifecycle(store: Store) -> None:
    open_ = ev(EventKind.AIS_GAP, 1, T0, None)
    save_events(store, [open_], now_ms=T0)
    [stored] = query_events(store)
    set_state(store, stored.id, "acknowledged", actor="officer1", now_ms=T0 + 5)
    save_events(store, [ev(EventKind.AIS_GAP, 1, T0, T0 + HOUR)], now_ms=T0 + 10)
    [again] = query_events(store)
    assert again.id == stored.id and again.event.end_ms == T0 + HOUR
    assert (again.state, again.acknowledged_by, again.acknowledged_at_ms) == (
        "acknowledged",
        "officer1",
        T0 + 5,
    )
    done = set_state(store, stored.id, "resolved", actor="officer2", now_ms=T0 + 20)
    assert (done.state, done.resolved_by) == ("resolved", "officer2")
    with pytest.raises(InvalidTransition):
        set_state(store, stored.id, "acknowledged", actor="x", now_ms=T0 + 30)
    assert [e.action for e in recent(store)] == ["alert.resolved", "alert.acknowledged"]


def test_events_filtered_by_kind_zone_vessel_severity_state_and_window(store: Store) -> None:
    save_events(store, [
        ev(EventKind.ZONE_ENTRY, 1, T0, T0, "alpha", Severity.HIGH),
        ev(EventKind.ZONE_ENTRY, 2, T0 + HOUR, T0 + HOUR, "beta"),
        ev(EventKind.LOITERING, 1, T0 + 2 * HOUR, T0 + 3 * HOUR),
        ev(EventKind.AIS_GAP, 3, T0 + 4 * HOUR, None, sev=Severity.LOW),
    ], now_ms=T0)  # fmt: skip

    def keys(**kw: object) -> list[tuple[str, int]]:
        return [(e.event.kind.value, e.event.mmsi) for e in query_events(store, **kw)]  # type: ignore[arg-type]

    assert keys(kinds=["zone_entry"]) == [("zone_entry", 1), ("zone_entry", 2)]
    assert keys(zones=["beta"]) == [("zone_entry", 2)]
    assert keys(mmsi=1) == [("zone_entry", 1), ("loitering", 1)]
    assert keys(severities=["high", "low"]) == [("zone_entry", 1), ("ais_gap", 3)]
    assert keys(t0_ms=T0 + 2 * HOUR + 1, t1_ms=T0 + 10 * HOUR) == [("loitering", 1), ("ais_gap", 3)]
    first = query_events(store, kinds=["ais_gap"])[0]
    set_state(store, first.id, "acknowledged", actor="a", now_ms=T0)
    assert keys(states=["new"]) == [("zone_entry", 1), ("zone_entry", 2), ("loitering", 1)]
