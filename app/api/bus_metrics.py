"""What ``/metrics`` of an API node reports of the bus workers, which serve no HTTP themselves.

Each worker writes its counters to the key-value store and the node reads them
(`app.bus.worker_stats`); here they become Prometheus families with a ``worker`` label.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from app.bus.api_feed import ApiFeed


def bus_metrics(feed: ApiFeed | None) -> Iterator[Metric]:
    """Yield every bus worker's counters on an API node, by worker (`app.bus.worker_stats`)."""
    if feed is None:
        return
    reports = feed.reports.latest
    families: dict[str, CounterMetricFamily | GaugeMetricFamily] = {}
    for worker in sorted(reports):
        report = reports[worker]
        for kind, make in (("counters", CounterMetricFamily), ("gauges", GaugeMetricFamily)):
            for name, value in sorted(report[kind].items()):
                help_text = BUS_HELP.get(name, f"{name} as the worker counts it")
                fam = families.setdefault(
                    f"{kind}:{name}", make(f"mare_bus_{name}", help_text, labels=["worker"])
                )
                fam.add_metric([worker], value)
    yield from families.values()
    age = GaugeMetricFamily(
        "mare_bus_report_age_seconds",
        "Seconds since each worker last reported (every 5 s): one that grows is a worker gone",
        labels=["worker"],
    )
    now = time.time()
    for worker in sorted(reports):
        age.add_metric([worker], max(0.0, now - reports[worker]["at"]))
    yield age
    bad = CounterMetricFamily(
        "mare_bus_node_bad_messages",
        "Messages from the bus this API node skipped as not what their subject carries",
    )
    bad.add_metric([], feed.bad + feed.reports.bad)
    yield bad


#: Help of the bus workers' counters and gauges (`app.bus.worker_stats`), by name.
BUS_HELP = {
    "messages": "Messages a bus worker took in",
    "records": "Records a bus worker took in (ingest: published)",
    "events": "Events an engine partition published (store: stored)",
    "bad_messages": "Messages a bus worker skipped as not what their subject carries (logged)",
    "skipped_published": "Record messages replayed whose events were published already",
    "snapshots": "Engine snapshots written to the key-value store",
    "snapshot_failures": "Periodic engine snapshots that failed (logged; the last one stands)",
    "closes": "Slice closes and encounter steps an engine partition exchanged",
    "close_wait_seconds": "Seconds an engine partition waited for others' parts at closes",
    "close_waiting_seconds": "Seconds an engine partition has been waiting at the present close "
    "for another partition's part (0: not waiting); past a few, that partition's worker is "
    "dead or stuck and every partition waits for it (docs/scaling.md)",
    "positions_offered": "Positions the store worker was given",
    "positions_stored": "Positions the store worker stored (new ones)",
    "alerts": "Alerts the store worker stored and published",
    "contacts_fused": "Stored contacts the store worker recorded as fused",
    "batches": "Decoded batches ingest published",
    "ticks": "Live-clock ticks ingest published",
    "contacts": "Contacts ingest gave to the partitions",
    "rule_changes": "Alert rules saved on an API node that ingest gave to the partitions",
}
