"""Engine snapshots on disk: written atomically, restored at start.

The file is replaced by rename, so a crash while writing leaves the previous snapshot intact;
a snapshot that cannot be read is set aside (``.bad``) and the engine starts empty, because a
service that refuses to start over a stale cache file helps no watch officer.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from geo.detectors.base import Place
from geo.engine import Engine, SnapshotError
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


def restore_or_new(
    path: Path,
    zones: Sequence[Zone],
    *,
    watchlist: Watchlist | None,
    places: Sequence[Place],
) -> tuple[Engine, bool]:
    """Return the engine from the snapshot at ``path`` if there is a good one, else a new one."""
    if path.is_file():
        try:
            engine = Engine.restore(path.read_bytes(), zones, watchlist=watchlist, places=places)
            return engine, True
        except (SnapshotError, KeyError, TypeError, ValueError, OSError) as exc:
            log.warning("engine snapshot %s unusable (%s); starting empty", path, exc)
            try:
                os.replace(path, path.with_suffix(path.suffix + ".bad"))
            except OSError:
                pass
    return Engine(zones, watchlist=watchlist, places=places), False
