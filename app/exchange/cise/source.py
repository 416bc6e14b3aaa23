"""What the store holds for an export: events by window and zone, and their vessels' facts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select

from app.exchange.cise.entities import VesselFacts
from app.store.repo import AlertFilter, Repo
from app.store.store import Store


def stored_events(
    store: Store,
    *,
    t0_ms: int | None,
    t1_ms: int | None,
    zones: Sequence[str] | None = None,
    kinds: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Return the contract form of the episodes overlapping [t0, t1) in these zones."""
    f = AlertFilter(
        kinds=list(kinds or []),
        zones=list(zones) if zones else None,
        start_ms=t0_ms,
        end_ms=None if t1_ms is None else t1_ms - 1,
    )
    return Repo(store).episodes(f)


def stored_vessels(store: Store, mmsis: Iterable[int]) -> dict[int, VesselFacts]:
    """Return the vessels table's latest state and static data for these MMSIs."""
    wanted = sorted(set(mmsis))
    if not wanted:
        return {}
    v = store.tables["vessels"]
    out: dict[int, VesselFacts] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        q = select(v).where(v.c.mmsi.in_(chunk))
        for r in store.read(lambda c, q=q: c.execute(q).all()):
            out[r.mmsi] = _facts(r)
    return out


def _dimension(a: Any, b: Any) -> int | None:
    """Return a length or beam from its two AIS parts; None when either is unknown (0)."""
    if not a or not b:
        return None
    return int(a) + int(b)


def _facts(r: Any) -> VesselFacts:
    length = _dimension(r.to_bow, r.to_stern)
    return VesselFacts(
        mmsi=r.mmsi,
        name=(r.name or "").strip() or None,
        callsign=(r.callsign or "").strip() or None,
        imo=r.imo or None,
        ship_type=r.ship_type,
        flag=r.flag,
        length_m=float(length) if length is not None else None,
        beam_m=_dimension(r.to_port, r.to_starboard),
        draught_m=float(r.draught) if r.draught else None,
        lat=r.lat,
        lon=r.lon,
        time_ms=r.time,
        sog=None if r.sog is None else round(float(r.sog), 1),
        cog=None if r.cog is None else round(float(r.cog), 1),
        heading=r.heading,
        nav_status=r.status,
    )
