from __future__ import annotations

import asyncio
import json

import httpx
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import connect

from app.api.services import services_of
from tests.app.push.conftest import Service, position, service_fixture, until  # noqa: F401

Metrics = dict[str, dict[tuple[tuple[str, str], ...], float]]


def scrape(svc: Service, token: str | None = None) -> Metrics:
    """Return {sample name: {label values: value}} from /metrics, via the Prometheus parser."""
    headers = {"Authorization": f"Bearer {token or svc.tokens['admin']}"}
    r = httpx.get(f"{svc.base}/metrics", headers=headers, timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    out: Metrics = {}
    for fam in text_string_to_metric_families(r.text):
        for s in fam.samples:
            out.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return out


def value(m: Metrics, name: str, **labels: str) -> float:
    return m[name][tuple(sorted(labels.items()))]


def test_metrics_need_an_admin_or_the_metrics_token(service: Service) -> None:
    url = f"{service.base}/metrics"
    assert httpx.get(url, timeout=10).status_code == 401
    for role in ("officer", "analyst", "liaison"):
        r = httpx.get(url, headers=service.headers(role), timeout=10)
        assert r.status_code == 403, role
    token = services_of(service.app).settings.metrics_token
    assert "mare_ingest_lines_total" in scrape(service, token)


def test_ingest_counters_by_reason_follow_the_lines_sent(service: Service) -> None:
    before = scrape(service)
    good = position(320000001, 12.3, 35.3)
    bad = good[:-2] + ("00" if not good.endswith("00") else "11")  # wrong checksum
    service.send_udp([good, bad, "not nmea at all"])
    lines0 = value(before, "mare_ingest_lines_total")

    def after() -> Metrics | None:
        m = scrape(service)
        return m if value(m, "mare_ingest_lines_total") >= lines0 + 3 else None

    m = until(after)
    delta = {
        o: value(m, "mare_ingest_outcome_total", outcome=o)
        - value(before, "mare_ingest_outcome_total", outcome=o)
        for o in ("records", "bad_checksum", "bad_framing")
    }
    assert delta == {"records": 1, "bad_checksum": 1, "bad_framing": 1}
    assert value(m, "mare_queue_depth", queue="engine") >= 0
    assert ("stage", "store") in {k[0] for k in m["mare_pipeline_dropped_records_total"]}
    assert value(m, "mare_vessels_live") >= 1


async def test_clients_alerts_and_delivery_latency_are_exposed(service: Service) -> None:
    async with connect(f"ws://127.0.0.1:{service.port}/api/v1/live") as ws:
        await ws.send(json.dumps({"type": "auth", "token": service.tokens["admin"]}))
        await ws.send(json.dumps({"type": "subscribe", "bbox": None}))
        m = await asyncio.to_thread(scrape, service)
        assert value(m, "mare_clients_connected", kind="websocket") == 1
        service.publish_alert(mmsi=321000001, kind="loitering")
        async with asyncio.timeout(10):
            while json.loads(await ws.recv())["type"] != "alert":
                pass
    m = await asyncio.to_thread(scrape, service)
    assert value(m, "mare_alerts_total", kind="loitering") >= 1
    assert value(m, "mare_delivery_latency_seconds_count", stage="websocket_alert") >= 1
    assert (("outcome", "gave_up"),) in m["mare_webhook_attempts_total"]


def test_every_datagram_sent_is_a_source_line_or_a_counted_drop(service: Service) -> None:
    (source,) = services_of(service.app).pipeline.opened
    before = scrape(service)
    sent = 2_000
    service.send_udp([f"junk {i}" for i in range(sent)])

    def accounted() -> Metrics | None:
        m = scrape(service)
        total = sum(
            value(m, name, **labels) - value(before, name, **labels)
            for name, labels in (
                ("mare_source_lines_total", {"source": source.name}),
                ("mare_source_datagrams_dropped_total", {"source": source.name, "where": "kernel"}),
                ("mare_source_datagrams_dropped_total", {"source": source.name, "where": "queue"}),
            )
        )
        return m if total == sent else None

    until(accounted)
