"""After a restart from a snapshot, replay what the store took since: no alert raised twice.

The snapshot is up to ``MARE_SNAPSHOT_SECONDS`` old when a process dies without a shutdown
(``kill -9``, a power cut). The positions it stored meanwhile are in the database, but an engine
restored from the snapshot has not seen them: a vessel that entered a zone after the snapshot
is still outside to it, so its next fix raised the entry again under a new episode key (26
alerts re-raised in one crash test), and open loitering or encounter candidates restarted.
The engine runs on event time and is deterministic, so replaying those stored positions
through it brings it to where the dead process was. The events the replay yields are the
episodes already stored (same keys: the store updates them in place, nothing is pushed) plus
those whose write the crash cut off, which are stored now and published as new.

What a replay cannot restore is what never reached the database: records decoded in the last
moments before the crash (at most a store period and the queue in front of it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from ais_ingest.records import Batch, PositionColumns
from app.store.alerts import event_key
from geo.engine import Engine
from geo.events import Event, format_time

log = logging.getLogger("app.pipeline")

#: Rows read per step (one engine batch each).
CHUNK_ROWS = 50_000
#: Most rows replayed: ~15 minutes of a 2,000 msg/s feed. A snapshot older than that (the
#: service was down while another process stored positions) costs a start too long to wait
#: for; the engine then resumes from the snapshot as before, and the log says so.
MAX_ROWS = 2_000_000


class Store(Protocol):
    """The data functions a catch-up reads and writes (`app.store.repo.Repo`)."""

    def positions_after(self, after_ms: int, limit: int) -> PositionColumns: ...

    def known_keys(self, keys: list[str]) -> set[str]: ...

    def write_events(self, evs: list[Event]) -> list[dict[str, Any]]: ...


@dataclass
class CatchUp:
    """What a catch-up replayed, and the alerts it stored for the first time (to publish)."""

    records: int = 0
    events: int = 0
    new_alerts: list[dict[str, Any]] = field(default_factory=list)
    complete: bool = True


def _episode(alert: dict[str, Any]) -> tuple[Any, ...]:
    return (alert["kind"], alert["mmsi"], alert["other_mmsi"], alert["zone"], alert["start"])


def _split_at_last_time(cols: PositionColumns) -> tuple[PositionColumns, int]:
    """Return the rows before the chunk's last timestamp, and that timestamp.

    The next read starts after the last complete timestamp, so rows sharing a time across a
    chunk boundary are all read in the same step.
    """
    last = int(cols.time_ms[-1])
    keep = np.flatnonzero(cols.time_ms < last)
    if not len(keep):  # one timestamp fills the chunk: take it whole
        return cols, last
    return cols.take(keep), int(cols.time_ms[keep[-1]])


def catch_up(
    engine: Engine, store: Store, *, chunk: int = CHUNK_ROWS, max_rows: int = MAX_ROWS
) -> CatchUp:
    """Replay stored positions after the engine's event time through it; store its events."""
    out = CatchUp()
    after = engine.now_ms()
    if not after:
        return out  # a new engine: nothing to catch up with
    events: list[Event] = []
    while out.records < max_rows:
        cols = store.positions_after(after, chunk)
        if not len(cols):
            break
        if len(cols) == chunk:
            cols, after = _split_at_last_time(cols)
        else:
            after = int(cols.time_ms[-1])
        out.records += len(cols)
        events += engine.process(Batch(cols))
    else:
        out.complete = False
        log.warning(
            "catching up from the engine snapshot: stopped after %d positions; the engine "
            "resumes from there",
            out.records,
        )
    if not events:
        return out
    latest = {event_key(ev): ev for ev in events}
    known = store.known_keys(list(latest))
    new = {
        (ev.kind.value, ev.mmsi, ev.other_mmsi, ev.zone, format_time(ev.start_ms))
        for key, ev in latest.items()
        if key not in known
    }
    alerts = store.write_events(list(latest.values()))
    out.events = len(latest)
    out.new_alerts = [a for a in alerts if _episode(a) in new]
    log.info(
        "caught up from the engine snapshot: %d positions replayed, %d episodes (%d new)",
        out.records,
        out.events,
        len(out.new_alerts),
    )
    return out
