"""Engine snapshots on disk: written atomically, restored at start.

The file is replaced by rename, so a crash while writing leaves the previous snapshot intact;
a snapshot that cannot be read is set aside (``.bad``) and the engine starts empty, because a
service that refuses to start over a stale cache file helps no watch officer.

Empty but for the receiver coverage it learnt: that is written beside the snapshot in a form
of its own (`geo.coverage.Coverage.hours_document`, hour by hour, stations by name) that does
not change with the engine's state, so a start without a usable snapshot (an upgrade that
reads older snapshots no more, a snapshot set aside, one deleted to start afresh) is not
blind at the edge of coverage for a day, calling every vessel that sails out of range dark.
Its hours leave the 24 h window when they would have.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from geo.detectors.base import Place
from geo.engine import Engine, SnapshotError
from geo.errors import CoverageMapError
from geo.watchlist import Watchlist
from geo.zones import Zone

log = logging.getLogger("app.pipeline")


def write_snapshot(path: Path, blob: bytes) -> None:
    """Write ``blob`` to ``path`` atomically (temporary file, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("wb") as fh:
        fh.write(blob)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def coverage_blob(engine: Engine) -> bytes:
    """Return the engine's learnt coverage as written beside its snapshot (`write_snapshot`)."""
    return json.dumps(engine.coverage.hours_document(), separators=(",", ":")).encode()


def restore_or_new(
    path: Path,
    zones: Sequence[Zone],
    *,
    watchlist: Watchlist | None,
    places: Sequence[Place],
    coverage_path: Path | None = None,
) -> tuple[Engine, bool]:
    """Return the engine from the snapshot at ``path`` if there is a good one, else a new one.

    A new one takes the coverage learnt before from ``coverage_path`` when there is one (see
    the module docstring); the snapshot carries it otherwise.
    """
    if path.is_file():
        try:
            engine = Engine.restore(path.read_bytes(), zones, watchlist=watchlist, places=places)
            return engine, True
        except (SnapshotError, KeyError, TypeError, ValueError, OSError) as exc:
            log.warning("engine snapshot %s unusable (%s); starting empty", path, exc)
            _set_aside(path)
    engine = Engine(zones, watchlist=watchlist, places=places)
    if coverage_path is not None and coverage_path.is_file():
        try:
            hours = engine.coverage.add_hours(json.loads(coverage_path.read_bytes()))
            log.info("receiver coverage: %d hours learnt before, from %s", hours, coverage_path)
        except (CoverageMapError, ValueError, OSError) as exc:
            log.warning("learnt coverage %s unusable (%s); learning afresh", coverage_path, exc)
            _set_aside(coverage_path)
    return engine, False


def _set_aside(path: Path) -> None:
    try:
        os.replace(path, path.with_suffix(path.suffix + ".bad"))
    except OSError:
        pass
