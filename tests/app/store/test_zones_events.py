from __future__ import annotations

import threading

import pytest
from shapely.geometry import MultiPolygon, Polygon

from app.store import Store, open_store
from app.store.errors import ZoneInvalid
from app.store.notify import ZoneListener
from app.store.zones import load_zones, save_zones, zones_version
from geo.events import Severity
from geo.zones import Zone, ZoneAlert, ZoneKind

from .data import T0

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


def test_replace_keeps_updates_and_deletes_by_id(store: Store) -> None:
    save_zones(store, [zone("alpha"), zone("beta")], now_ms=T0)
    renamed = Zone(id="beta", name="Beta again", kind=ZoneKind.PORT, geometry=MultiPolygon([BOX]))
    save_zones(store, [renamed, zone("gamma")], now_ms=T0 + 1, replace=True)
    got = {z.id: z for z in load_zones(store)}
    assert sorted(got) == ["beta", "gamma"] and zones_version(store) == 2
    assert (got["beta"].name, got["beta"].kind) == ("Beta again", ZoneKind.PORT)


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
