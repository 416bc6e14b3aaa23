"""One connection to NATS, and the streams and bucket a deployment needs (made if missing).

Every stage reconnects on its own (nats-py retries forever here): a NATS restart is a pause,
not a crash. JetStream keeps what was published and acknowledged, so a stage that comes back
carries on from its consumer's position (`app.bus.engine_worker` from its snapshot).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, TypeVar

import nats
import nats.errors
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType, StreamConfig
from nats.js.errors import BucketNotFoundError, NotFoundError
from nats.js.kv import KeyValue

from app.bus.subjects import Layout

log = logging.getLogger("app.bus")

T = TypeVar("T")
#: Pause between attempts of a step NATS did not take (it is reconnecting meanwhile).
RETRY_S = 0.5

#: Window in which JetStream drops a message published again under the same ``Nats-Msg-Id``
#: (a publish retried after a lost acknowledgement). The engine worker does not rely on it
#: for a replay after a restart (it skips what it published, `app.bus.engine_worker`).
DUPLICATE_WINDOW_S = 120.0
#: The contacts stream's window: an API node that sends a stored POST again (its outbox,
#: `app.bus.contact_outbox`) within it is dropped by JetStream, not given twice.
CONTACTS_DUPLICATE_WINDOW_S = 3600.0
#: How long the streams keep messages: long enough for a store worker that was away a day.
MAX_AGE_S = 2 * 24 * 3600.0
#: Stored alerts as the API nodes hear them: an API node reads the store for anything older.
ALERTS_MAX_AGE_S = 3600.0


async def connect(url: str, *, name: str) -> Client:
    """Connect to ``url`` (comma-separated servers of a cluster), reconnecting forever."""

    async def disconnected() -> None:  # also at every close: the reconnect is the news
        log.info("%s: disconnected from NATS", name)

    async def reconnected() -> None:
        log.warning("%s: reconnected to NATS", name)

    async def error(exc: Exception) -> None:
        log.debug("%s: NATS: %s", name, exc)

    servers = [u.strip() for u in url.split(",") if u.strip()]
    return await nats.connect(
        servers,
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.25,
        connect_timeout=2,
        disconnected_cb=disconnected,
        reconnected_cb=reconnected,
        error_cb=error,
    )


async def retrying(fn: Callable[[], Awaitable[T]], what: str) -> T:
    """Run ``fn`` until NATS takes it: a NATS restart is a pause, never a lost step.

    Each step a worker retries is one it must not skip (an event publish before its record
    message's ack, an ack, a snapshot), so it waits for NATS rather than going on without.
    """
    while True:
        try:
            return await fn()
        except (nats.errors.Error, OSError, TimeoutError) as exc:
            log.debug("%s: retrying after %s", what, exc)
            await asyncio.sleep(RETRY_S)


async def ensure_layout(js: JetStreamContext, layout: Layout) -> KeyValue:
    """Create the streams and the snapshot bucket if missing; give a stream its subjects.

    A stream made by an earlier release with other subjects (the exchange's chunks) is
    updated in place: its messages stay, what is published now lands in it.
    """
    dup = DUPLICATE_WINDOW_S
    contacts = [layout.contacts_subject, layout.rules_subject]
    for name, subjects, max_age, window in (
        (layout.records_stream, [layout.records_subject("*")], MAX_AGE_S, dup),
        (layout.events_stream, [layout.events_subject("*")], MAX_AGE_S, dup),
        (layout.alerts_stream, [layout.alerts_subject], ALERTS_MAX_AGE_S, dup),
        (layout.exchange_stream, [layout.exchange_subject("*", "*", "*") + ".*"], MAX_AGE_S, dup),
        (layout.contacts_stream, contacts, MAX_AGE_S, CONTACTS_DUPLICATE_WINDOW_S),
    ):
        cfg = StreamConfig(
            name=name,
            subjects=subjects,
            storage=StorageType.FILE,
            duplicate_window=window,
            max_age=max_age,
        )
        try:
            info = await js.stream_info(name)
        except NotFoundError:
            await js.add_stream(cfg)
            continue
        made = info.config
        if list(made.subjects or []) != subjects or made.duplicate_window != window:
            # made by an earlier release: updated in place
            await js.update_stream(replace(made, subjects=subjects, duplicate_window=window))
    try:
        return await js.key_value(layout.snapshot_bucket)
    except BucketNotFoundError:
        kv_cfg: Any = KeyValueConfig(bucket=layout.snapshot_bucket, history=1)
        return await js.create_key_value(kv_cfg)


async def drop_layout(js: JetStreamContext, layout: Layout) -> None:
    """Delete a deployment's streams and bucket (tests and benchmarks clean up with it)."""
    for name in (
        layout.records_stream,
        layout.events_stream,
        layout.alerts_stream,
        layout.exchange_stream,
        layout.contacts_stream,
    ):
        try:
            await js.delete_stream(name)
        except NotFoundError:
            pass
    for bucket in (layout.snapshot_bucket, layout.reports_bucket):
        try:
            await js.delete_key_value(bucket)
        except (BucketNotFoundError, NotFoundError):
            pass
