"""The live picture: every vessel's latest state as the API's ``Vessel`` JSON, kept in memory.

The pipeline updates it per batch (one vectorised pass picks each vessel's latest fix) before
anything is stored, so the WebSocket and the vessel list show a fix as soon as the engine has
seen it, whatever the database's pace. At start it is reloaded from the store, so a restart
does not empty the map. Routes read it from worker threads while the event loop writes it,
hence the lock; every value handed out is a copy.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

import numpy as np

from ais_ingest.mmsi import classify_mmsi, flag_of
from ais_ingest.records import Batch, ais_class_of, iso_utc
from app.live.shiptypes import ship_type_text
from geo.events import Event, EventKind

#: Fields of the API's Vessel object, in the order docs/api.md lists them.
VESSEL_FIELDS = (
    "mmsi", "name", "callsign", "imo", "ship_type", "ship_type_text", "flag", "mmsi_kind",
    "ais_class", "lat", "lon", "speed", "course", "heading", "status", "last_seen", "dark",
    "dark_since", "risk", "length", "beam",
)  # fmt: skip


def new_vessel(mmsi: int) -> dict[str, Any]:
    """Return an empty Vessel for an MMSI, with the flag and kind its digits give."""
    flag = flag_of(mmsi)
    out: dict[str, Any] = dict.fromkeys(VESSEL_FIELDS)
    out.update(
        mmsi=mmsi,
        flag=flag.iso_alpha2 if flag is not None else None,
        mmsi_kind=classify_mmsi(mmsi).value,
        dark=False,
        risk=0,
        last_seen_ms=None,
        destination=None,
    )
    return out


def vessel_from_row(row: Any) -> dict[str, Any]:
    """Return a Vessel entry from a store ``vessels`` row (latest fix and static data).

    For vessels the store holds but the live picture never saved (stored by ``mare ingest``,
    or before ``vessel_states`` existed): without this they would be missing from the map
    until they report again.
    """
    v = new_vessel(int(row.mmsi))
    t = row.time if row.time is not None else row.last_seen
    length = None if row.to_bow is None or row.to_stern is None else row.to_bow + row.to_stern
    beam = (
        None if row.to_port is None or row.to_starboard is None else row.to_port + row.to_starboard
    )
    v.update(
        name=row.name or None,
        callsign=row.callsign or None,
        imo=row.imo,
        ship_type=row.ship_type,
        ship_type_text=ship_type_text(row.ship_type),
        ais_class=None if row.msg_type is None else ais_class_of(int(row.msg_type)).value,
        lat=None if row.lat is None else round(row.lat, 6),
        lon=None if row.lon is None else round(row.lon, 6),
        speed=None if row.sog is None else round(row.sog, 1),
        course=None if row.cog is None else round(row.cog, 1),
        heading=row.heading,
        status=row.status,
        last_seen=None if t is None else iso_utc(t - t % 1000),
        last_seen_ms=t,
        length=length or None,
        beam=beam or None,
        destination=row.destination or None,
        risk=0 if row.risk is None else round(row.risk),
    )
    return v


def public(v: dict[str, Any]) -> dict[str, Any]:
    """Return the Vessel JSON of a stored entry (internal keys dropped)."""
    return {k: v[k] for k in VESSEL_FIELDS}


class LivePicture:
    """Latest state per MMSI; see the module docstring."""

    def __init__(self) -> None:
        self._v: dict[int, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._v)

    def get(self, mmsi: int) -> dict[str, Any] | None:
        with self._lock:
            v = self._v.get(mmsi)
            return None if v is None else dict(v)

    def all(self) -> list[dict[str, Any]]:
        """Return copies of every entry (internal keys kept: ``last_seen_ms``, ``destination``)."""
        with self._lock:
            return [dict(v) for v in self._v.values()]

    def load(self, vessels: Iterable[dict[str, Any]]) -> None:
        """Seed from stored vessels (at start); entries carry the Vessel fields."""
        with self._lock:
            for row in vessels:
                v = new_vessel(int(row["mmsi"]))
                v.update({k: row[k] for k in row if k in v})
                self._v[v["mmsi"]] = v

    def fix_times(self) -> dict[int, int | None]:
        """Return each held vessel's latest fix time (ms), to compare with the store's."""
        with self._lock:
            return {m: v["last_seen_ms"] for m, v in self._v.items()}

    def adopt(self, entries: Iterable[dict[str, Any]]) -> set[int]:
        """Take entries stored by another process: new vessels, or later fixes than held.

        Fields the entry lacks (None) keep what is held, so a static report seen here first is
        not erased by another writer's row without one; dark flags and risk stay this engine's.
        """
        changed: set[int] = set()
        with self._lock:
            for e in entries:
                mmsi = int(e["mmsi"])
                v = self._v.get(mmsi)
                if v is None:
                    self._v[mmsi] = dict(e)
                    changed.add(mmsi)
                    continue
                t = e.get("last_seen_ms")
                if t is None or (v["last_seen_ms"] is not None and t <= v["last_seen_ms"]):
                    continue
                keep = ("dark", "dark_since", "risk")
                v.update({k: x for k, x in e.items() if x is not None and k not in keep})
                changed.add(mmsi)
        return changed

    def apply_batch(self, batch: Batch) -> set[int]:
        """Take each vessel's latest fix and any static data; return the MMSIs changed."""
        changed: set[int] = set()
        pos = batch.positions
        with self._lock:
            if len(pos):
                ok = np.isfinite(pos.lat) & np.isfinite(pos.lon) & (pos.mmsi > 0)
                rows = np.flatnonzero(ok)
                if len(rows):
                    order = rows[np.lexsort((pos.time_ms[rows], pos.mmsi[rows]))]
                    mm = pos.mmsi[order]
                    last = order[np.r_[mm[1:] != mm[:-1], True]]
                    self._apply_fixes(pos, last, changed)
            for rep in batch.statics:
                v = self._v.get(rep.mmsi)
                if v is None:
                    v = self._v[rep.mmsi] = new_vessel(rep.mmsi)
                for key, value in (
                    ("name", rep.name),
                    ("callsign", rep.callsign),
                    ("imo", rep.imo),
                    ("ship_type", rep.ship_type),
                    ("length", rep.length),
                    ("beam", rep.beam),
                    ("destination", rep.destination),
                ):
                    if value is not None and value != "":
                        v[key] = value
                v["ship_type_text"] = ship_type_text(v["ship_type"])
                if v["ais_class"] is None:
                    v["ais_class"] = rep.ais_class.value
                changed.add(rep.mmsi)
        return changed

    def _apply_fixes(self, pos: Any, rows: np.ndarray[Any, Any], changed: set[int]) -> None:
        """Apply the fixes at ``rows`` (one per vessel), skipping any not newer than held.

        Columns are read as lists once: per-item numpy access, a datetime per fix and a class
        lookup per fix were most of this loop (py-spy, bench.service at 2,000 fixes/s).
        """
        seconds: dict[int, str] = {}
        classes: dict[int, str] = {}
        held = self._v
        for mmsi, t, lat, lon, speed, course, heading, status, msg_type in zip(
            pos.mmsi[rows].tolist(),
            pos.time_ms[rows].tolist(),
            pos.lat[rows].tolist(),
            pos.lon[rows].tolist(),
            pos.speed[rows].tolist(),
            pos.course[rows].tolist(),
            pos.heading[rows].tolist(),
            pos.status[rows].tolist(),
            pos.msg_type[rows].tolist(),
            strict=True,
        ):
            v = held.get(mmsi)
            if v is None:
                v = held[mmsi] = new_vessel(mmsi)
            if v["last_seen_ms"] is not None and t <= v["last_seen_ms"]:
                continue
            second = t - t % 1000
            last_seen = seconds.get(second)
            if last_seen is None:
                last_seen = seconds[second] = iso_utc(second)
            ais_class = classes.get(msg_type)
            if ais_class is None:
                ais_class = classes[msg_type] = ais_class_of(msg_type).value
            v.update(
                lat=round(lat, 6),
                lon=round(lon, 6),
                speed=None if speed != speed else round(speed, 1),
                course=None if course != course else round(course, 1),
                heading=None if heading < 0 else heading,
                status=None if status < 0 else status,
                last_seen=last_seen,
                last_seen_ms=t,
                ais_class=ais_class,
                dark=False,
                dark_since=None,
            )
            changed.add(mmsi)

    def apply_events(self, events: Iterable[Event]) -> set[int]:
        """Mark vessels dark on an open ``ais_gap`` and back when it closes."""
        changed: set[int] = set()
        with self._lock:
            for ev in events:
                if ev.kind is not EventKind.AIS_GAP:
                    continue
                v = self._v.get(ev.mmsi)
                if v is None:
                    continue
                if ev.end_ms is None:
                    v["dark"] = True
                    v["dark_since"] = iso_utc(ev.start_ms - ev.start_ms % 1000)
                elif v["dark"]:
                    v["dark"] = False
                    v["dark_since"] = None
                changed.add(ev.mmsi)
        return changed

    def set_risk(self, scores: dict[int, int]) -> set[int]:
        """Store new risk scores; return the MMSIs whose score changed."""
        changed: set[int] = set()
        with self._lock:
            for mmsi, score in scores.items():
                v = self._v.get(mmsi)
                if v is not None and v["risk"] != score:
                    v["risk"] = score
                    changed.add(mmsi)
        return changed

    def entries(self, mmsis: Iterable[int]) -> list[dict[str, Any]]:
        """Return full copies (internal keys kept) of the given MMSIs' entries, for storage."""
        with self._lock:
            return [dict(self._v[m]) for m in sorted(mmsis) if m in self._v]

    def vessels(self, mmsis: Iterable[int]) -> list[dict[str, Any]]:
        """Return the Vessel JSON of the given MMSIs (those known)."""
        with self._lock:
            return [public(self._v[m]) for m in sorted(mmsis) if m in self._v]
