"""An API node's hub keeps the ids the store worker gave its alerts (`Hub.publish_alert`)."""

from __future__ import annotations

from app.live.hub import Hub


def alert(n: int) -> dict[str, object]:
    return {"id": n, "kind": "zone_entry", "mmsi": 247000000 + n}


async def test_alerts_numbered_elsewhere_keep_their_ids_and_a_repeat_is_skipped() -> None:
    hub = Hub()
    start = hub.alert_seq
    sub = hub.subscribe("sse", alerts_after=start)
    hub.publish_alert(alert(1), seq=start + 10)
    hub.publish_alert(alert(2), seq=start + 20)
    hub.publish_alert(alert(2), seq=start + 20)  # heard twice (a redelivery): once in the ring
    got = sub.take_alerts()
    assert [(e.seq, e.alert["id"]) for e in got] == [(start + 10, 1), (start + 20, 2)]


async def test_a_first_id_below_the_hubs_start_is_kept_another_machines_clock() -> None:
    hub = Hub()
    start = hub.alert_seq
    hub.publish_alert(alert(1), seq=start - 5_000)
    window = hub.subscribe("sse", alerts_after=start - 6_000).take_alert_window()
    assert [e.alert["id"] for e in window.entries] == [1]
    assert window.floor <= start - 5_001
