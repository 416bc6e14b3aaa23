from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from app.live.hub import Hub, HubClosed, in_bbox


def vessel(mmsi: int, lon: float, lat: float, **extra: Any) -> dict[str, Any]:
    return {"mmsi": mmsi, "lon": lon, "lat": lat, **extra}


def alert(kind: str = "zone_entry", zone: str | None = "z1", mmsi: int = 1) -> dict[str, Any]:
    return {"kind": kind, "zone": zone, "mmsi": mmsi}


def test_in_bbox_edges_missing_position_and_antimeridian() -> None:
    box = (10.0, 30.0, 20.0, 40.0)
    assert in_bbox(vessel(1, 10.0, 40.0), box)
    assert not in_bbox(vessel(1, 9.99, 35.0), box)
    assert not in_bbox({"mmsi": 1, "lon": None, "lat": None}, box)
    assert in_bbox({"mmsi": 1, "lon": None, "lat": None}, None)
    assert in_bbox(vessel(1, 179.5, 0.0), (170.0, -10.0, -170.0, 10.0))
    assert not in_bbox(vessel(1, 0.0, 0.0), (170.0, -10.0, -170.0, 10.0))


async def test_snapshot_then_diff_carries_only_the_newest_state_in_view() -> None:
    hub = Hub()
    hub.publish_vessels([vessel(1, 12.0, 35.0), vessel(2, 0.0, 0.0)])
    sub = hub.subscribe("websocket", bbox=(10.0, 30.0, 20.0, 40.0))
    assert [v["mmsi"] for v in sub.snapshot()] == [1]
    hub.publish_vessels([vessel(1, 12.1, 35.0, speed=1.0)])
    hub.publish_vessels([vessel(1, 12.2, 35.0, speed=2.0), vessel(3, 13.0, 36.0)])
    diff = sub.take_diff()
    assert sorted((v["mmsi"], v["lon"]) for v in diff.upsert) == [(1, 12.2), (3, 13.0)]
    assert diff.remove == []
    assert hub.drops["websocket_superseded"] == 1
    assert sub.take_diff().upsert == []


async def test_vessel_leaving_the_view_or_the_picture_is_removed_once() -> None:
    hub = Hub()
    sub = hub.subscribe("websocket", bbox=(10.0, 30.0, 20.0, 40.0))
    hub.publish_vessels([vessel(1, 12.0, 35.0), vessel(2, 13.0, 35.0)])
    assert len(sub.take_diff().upsert) == 2
    hub.publish_vessels([vessel(1, 25.0, 35.0)])
    hub.remove_vessels([2])
    diff = sub.take_diff()
    assert diff.upsert == [] and sorted(diff.remove) == [1, 2]
    hub.publish_vessels([vessel(1, 26.0, 35.0)])
    assert sub.take_diff().remove == []


async def test_readers_with_one_view_share_the_diff_but_each_removes_what_it_holds() -> None:
    hub = Hub()
    box = (10.0, 30.0, 20.0, 40.0)
    a = hub.subscribe("websocket", bbox=box)
    b = hub.subscribe("websocket", bbox=box)
    a.snapshot([vessel(9, 12.0, 35.0)])  # a holds vessel 9, b does not
    b.snapshot([])
    hub.publish_vessels([vessel(1, 12.0, 35.0), vessel(9, 25.0, 35.0)])
    da, db = a.take_diff(), b.take_diff()
    assert da.upsert_joined is db.upsert_joined
    assert da.upsert_joined == '{"mmsi":1,"lon":12.0,"lat":35.0}'
    assert (da.remove, db.remove) == ([9], [])
    assert hub.drops["websocket_superseded"] == 0


async def test_reader_behind_the_log_is_resynchronised_from_latest_states() -> None:
    hub = Hub(vessel_log_size=4)
    sub = hub.subscribe("websocket")
    hub.publish_vessels([vessel(1, 1.0, 1.0)])
    hub.publish_vessels([vessel(2, 2.0, 2.0)])
    for i in range(5):
        hub.publish_vessels([vessel(3, 3.0 + i, 3.0)])
    diff = sub.take_diff()
    assert sorted((v["mmsi"], v["lon"]) for v in diff.upsert) == [(1, 1.0), (2, 2.0), (3, 7.0)]
    assert hub.drops["websocket_resync"] == 1


async def test_alerts_are_never_coalesced_and_filtered_per_subscriber() -> None:
    hub = Hub()
    mine = hub.subscribe("sse", alert_filter=lambda a: a["zone"] == "z1")
    every = hub.subscribe("websocket")
    hub.publish_alert(alert(zone="z1"))
    hub.publish_alert(alert(zone="z2"))
    hub.publish_alert(alert(zone="z1", kind="zone_exit"))
    got = mine.take_alerts()
    assert [e.alert["kind"] for e in got] == ["zone_entry", "zone_exit"]
    assert len(every.take_alerts()) == 3
    seqs = [e.seq for e in hub.subscribe("sse", alerts_after=0).take_alerts()]
    assert len(seqs) == 3 and seqs == sorted(set(seqs))
    assert hub.alerts_by_kind == {"zone_entry": 2, "zone_exit": 1}


async def test_alert_ring_overflow_is_counted_and_resumption_says_incomplete() -> None:
    hub = Hub(alert_ring_size=3)
    start = hub.alert_seq
    sub = hub.subscribe("sse")
    for i in range(5):
        hub.publish_alert(alert(mmsi=i))
    got = sub.take_alerts()
    assert [e.alert["mmsi"] for e in got] == [2, 3, 4]
    assert hub.drops["sse_alerts"] == 2
    window = hub.subscribe("sse", alerts_after=start).take_alert_window()
    assert len(window.entries) == 3 and window.floor > start  # the ring lost the first two
    window = hub.subscribe("sse", alerts_after=got[0].seq).take_alert_window()
    assert [e.alert["mmsi"] for e in window.entries] == [3, 4] and window.floor <= got[0].seq


async def test_wait_wakes_on_publish_from_another_thread() -> None:
    hub = Hub()
    sub = hub.subscribe("websocket")
    assert not await sub.wait(0.01)
    t = threading.Thread(target=hub.publish_alert, args=(alert(),))
    t.start()
    assert await sub.wait(5.0)
    t.join()
    assert len(sub.take_alerts()) == 1


async def test_close_ends_waiting_subscribers() -> None:
    hub = Hub()
    sub = hub.subscribe("websocket")
    waiter = asyncio.ensure_future(sub.wait())
    await asyncio.sleep(0)
    await hub.close()
    with pytest.raises(HubClosed):
        await waiter
    assert hub.clients() == {}
    hub.publish_alert(alert())
    with pytest.raises(HubClosed):
        hub.subscribe("sse")


async def test_clients_are_counted_by_kind_until_they_leave() -> None:
    hub = Hub()
    a = hub.subscribe("websocket")
    hub.subscribe("sse")
    assert hub.clients() == {"websocket": 1, "sse": 1}
    a.close()
    assert hub.clients() == {"sse": 1}


async def test_snapshot_from_the_full_live_picture_then_diffs_from_there() -> None:
    hub = Hub()
    sub = hub.subscribe("websocket", bbox=(10.0, 30.0, 20.0, 40.0))
    picture = [vessel(1, 12.0, 35.0), vessel(2, 0.0, 0.0), vessel(3, 13.0, 36.0)]
    assert [v["mmsi"] for v in sub.snapshot(picture)] == [1, 3]
    hub.publish_vessels([vessel(3, 30.0, 36.0)])
    assert sub.take_diff().remove == [3]


async def test_throttled_wait_ignores_vessel_changes_but_not_alerts_or_pokes() -> None:
    hub = Hub()
    sub = hub.subscribe("websocket")
    hub.publish_vessels([vessel(1, 1.0, 1.0)])
    assert await sub.wait(0.0)
    await sub.wait(0.01, vessels=False)  # the publish's wake-up, not yet consumed
    assert not await sub.wait(0.01, vessels=False)
    sub.poke()
    assert await sub.wait(1.0, vessels=False)
    hub.publish_alert(alert())
    assert await sub.wait(0.0, vessels=False)


async def test_alert_only_subscriber_is_not_woken_by_vessel_changes() -> None:
    hub = Hub()
    sub = hub.subscribe("sse", vessels=False)
    hub.publish_vessels([vessel(1, 1.0, 1.0)])
    assert not await sub.wait(0.01)
    hub.publish_alert(alert())
    assert await sub.wait(0.0)
