"""Workers' counters where the API nodes read them: JetStream's key-value store.

A ``mare worker`` process serves no HTTP, but what it drops must be counted and visible in
``/metrics`` like the single process's counters. So every worker writes its counters, every
`REPORT_S` seconds and when it stops, under its name in the bucket ``<P>_WORKERS``: ``ingest``,
``store``, ``engine.<k>`` for each partition (whichever worker owns it now; a new owner's
counters start again from zero, which Prometheus reads as a counter reset). Each API node reads
the bucket as often (`WorkerReports`) and serves the counters with a ``worker`` label
(`app.api.collector`), beside the age of each report, so a worker that died shows as a report
that stops getting younger. Reports older than a day leave the bucket.

Gauges ride along: how long a partition has been waiting at a slice close for the other
partitions' parts (`app.bus.slice_exchange`), which is how a dead engine worker shows while
every partition waits for its replacement (docs/scaling.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
from collections.abc import Callable
from typing import Any

import nats.errors
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig
from nats.js.errors import BucketNotFoundError, NotFoundError
from nats.js.kv import KeyValue

from app.bus.connect import retrying
from app.bus.subjects import Layout

log = logging.getLogger("app.bus.stats")

#: Seconds between two reports of a worker (and two reads of an API node).
REPORT_S = 5.0
#: Seconds a report stays in the bucket: a worker gone for longer drops out of /metrics.
KEEP_S = 24 * 3600.0

#: What a report holds: counters (only go up while the worker lives) and gauges.
Report = dict[str, dict[str, float]]
Reports = Callable[[], dict[str, Report]]


async def reports_bucket(js: JetStreamContext, layout: Layout) -> KeyValue:
    """Return the deployment's bucket of worker reports (made if missing)."""
    try:
        return await js.key_value(layout.reports_bucket)
    except BucketNotFoundError:
        cfg: Any = KeyValueConfig(bucket=layout.reports_bucket, history=1, ttl=KEEP_S)
        return await js.create_key_value(cfg)


async def drop_reports(js: JetStreamContext, layout: Layout) -> None:
    """Delete the bucket (tests and benchmarks clean up with it)."""
    with contextlib.suppress(BucketNotFoundError, NotFoundError):
        await js.delete_key_value(layout.reports_bucket)


def _body(report: Report) -> bytes:
    return json.dumps(
        {"at": time.time(), "process": f"{socket.gethostname()}:{os.getpid()}", **report},
        separators=(",", ":"),
    ).encode()


async def write_reports(kv: KeyValue, reports: Reports) -> None:
    """Write each report once (a NATS away now is a report missed, not a worker stopped)."""
    for key, report in reports().items():
        try:
            await kv.put(key, _body(report))
        except (nats.errors.Error, OSError, TimeoutError) as exc:
            log.debug("report %s not written: %s", key, exc)


async def report_until(
    js: JetStreamContext, layout: Layout, reports: Reports, stop: asyncio.Event
) -> None:
    """Write the worker's reports every `REPORT_S` until ``stop``, then once more."""
    kv = await retrying(lambda: reports_bucket(js, layout), "reports bucket")
    while not stop.is_set():
        await write_reports(kv, reports)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), REPORT_S)
    await write_reports(kv, reports)


class WorkerReports:
    """An API node's copy of every worker's latest report (read every `REPORT_S`)."""

    def __init__(self) -> None:
        self.latest: dict[str, dict[str, Any]] = {}
        #: Reports that were not one (a bucket written by hand): skipped, counted.
        self.bad = 0

    async def read(self, js: JetStreamContext, layout: Layout, kv: KeyValue) -> None:
        """Read every report now.

        The keys come from the bucket's stream (its subjects), not from `KeyValue.keys`, whose
        watcher may end its listing early while workers write.
        """
        info = await js.stream_info(f"KV_{layout.reports_bucket}", subjects_filter=">")
        prefix = f"$KV.{layout.reports_bucket}."
        keys = sorted(s.removeprefix(prefix) for s in (info.state.subjects or {}))
        out: dict[str, dict[str, Any]] = {}
        for key in keys:
            try:
                entry = await kv.get(key)
                body = json.loads(entry.value or b"")
                out[key] = {
                    "at": float(body["at"]),
                    "counters": {str(k): float(v) for k, v in body["counters"].items()},
                    "gauges": {str(k): float(v) for k, v in body.get("gauges", {}).items()},
                }
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                self.bad += 1
                log.error("worker report %s skipped: %s", key, exc)
            except NotFoundError:  # gone between the listing and the read
                continue
        self.latest = out

    async def follow(self, js: JetStreamContext, layout: Layout) -> None:
        """Read the reports every `REPORT_S` (until cancelled; NATS away: the last ones stay)."""
        kv: KeyValue | None = None
        while True:
            try:
                kv = kv or await reports_bucket(js, layout)
                await self.read(js, layout, kv)
            except (nats.errors.Error, OSError, TimeoutError) as exc:
                log.debug("worker reports not read: %s", exc)
            await asyncio.sleep(REPORT_S)
