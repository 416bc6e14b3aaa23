"""What the data says about a case's vessel: identity, track, timeline, suggested links.

The timeline runs from the vessel's first sighting: one entry per UTC day it was heard (how
many positions, from where to where), its events and alerts, and the case's own notes, status
changes and attachments, in time order. Suggested links are vessels the data ties to it: those
it met (encounters), those whose name was heard on its MMSI while the MMSI was shared by
several transmitters (and the reverse), and those that sent the same IMO number or callsign.
AIS carries no owner, so "same owner" is the IMO number (which stays with the hull).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import Connection, or_, select

from app.store import queries
from app.store.alerts import AlertFilter, AlertsRepo
from app.store.cases import CasesRepo
from geo.events import EventKind, format_time
from geo.geodesy import haversine_nm
from geo.watchlist import normalise_text

DAY_MS = 86_400_000
#: Most events a timeline lists (the newest): a vessel that crossed a zone line every hour for a
#: month still reads as a timeline, and the count says how many were left out.
MAX_EVENTS = 2000


def _order(kind: str) -> int:
    """Same-time entries in the order they happen: seen, then events, then people's acts."""
    return ["first_seen", "positions", "event", "alert", "contact", "status", "link", "note"].index(
        kind
    )


class CaseViewsRepo(CasesRepo, AlertsRepo):
    """Reads across the store for one case (part of `Repo`)."""

    def vessel_identity(self, mmsi: int) -> dict[str, Any]:
        """Return what the store holds of a vessel: static data, first and last seen, identities."""
        v, ids = self.store.tables["vessels"], self.store.tables["vessel_identities"]

        def run(c: Connection) -> dict[str, Any]:
            row = c.execute(select(v).where(v.c.mmsi == mmsi)).first()
            history = c.execute(
                select(ids.c.time, ids.c.name, ids.c.callsign, ids.c.imo)
                .where(ids.c.mmsi == mmsi)
                .order_by(ids.c.time, ids.c.id)
            ).all()
            out: dict[str, Any] = {"mmsi": mmsi, "known": row is not None}
            for key in ("name", "callsign", "imo", "ship_type", "flag", "destination"):
                out[key] = getattr(row, key) if row is not None else None
            out["length"] = (row.to_bow or 0) + (row.to_stern or 0) if row is not None else None
            out["first_seen"] = format_time(row.first_seen) if row is not None else None
            out["last_seen"] = format_time(row.last_seen) if row is not None else None
            out["last_position"] = (
                {"lat": row.lat, "lon": row.lon}
                if row is not None and row.lat is not None
                else None
            )
            seen: list[dict[str, Any]] = []
            for h in history:
                item = {"name": h.name, "callsign": h.callsign, "imo": h.imo}
                if not seen or {k: seen[-1][k] for k in item} != item:
                    seen.append({"time": format_time(h.time), **item})
            out["identities"] = seen
            return out

        result: dict[str, Any] = self.store.read(run, "reading a vessel")
        return result

    def case_track(self, mmsi: int) -> dict[str, list[Any]]:
        """Return every stored position of the vessel (time order), for the map and the days.

        Bounded by the vessel's first and last sighting, so PostGIS reads only those days'
        partitions.
        """
        v = self.store.tables["vessels"]
        q = select(v.c.first_seen, v.c.last_seen).where(v.c.mmsi == mmsi)
        seen = self.store.read(lambda c: c.execute(q).first(), "reading a vessel")
        if seen is None:
            return {"time_ms": [], "lon": [], "lat": []}
        cols = queries.track(self.store, mmsi, int(seen.first_seen), int(seen.last_seen) + 1)
        return {
            "time_ms": cols["time"].tolist(),
            "lon": cols["lon"].tolist(),
            "lat": cols["lat"].tolist(),
        }

    def case_events(self, mmsi: int, f: AlertFilter) -> tuple[list[dict[str, Any]], int]:
        """Return the vessel's events (alerts or not) the asker may see, oldest first.

        At most ``MAX_EVENTS`` (the newest); the count returned says how many there were, up
        to one more than that.
        """
        f = AlertFilter(mmsi=mmsi, alerts_only=False, zones=f.zones, narrow=f.narrow)
        items = self.list_alerts(f, limit=MAX_EVENTS + 1)
        return sorted(items[:MAX_EVENTS], key=lambda a: (a["start"], a["id"])), len(items)

    def timeline(
        self,
        case: dict[str, Any],
        identity: dict[str, Any],
        track: dict[str, list[Any]],
        events: list[dict[str, Any]],
        contacts: Sequence[dict[str, Any]] = (),
    ) -> list[dict[str, Any]]:
        """Return the case's timeline entries in time order (see the module docstring).

        ``contacts`` are the attached sightings (as the API shows them), each an entry at its
        time.
        """
        out: list[dict[str, Any]] = []
        times = np.asarray(track["time_ms"], dtype=np.int64)
        if identity["first_seen"] is not None or len(times):
            first = identity["first_seen"] or format_time(int(times[0]))
            where = ""
            if len(times):
                where = f" at {track['lat'][0]:.4f} N, {track['lon'][0]:.4f} E"
            out.append({"time": first, "kind": "first_seen", "text": f"first seen{where}"})
        if len(times):
            days = times // DAY_MS
            cuts = np.flatnonzero(np.diff(days)) + 1
            for a, b in zip([0, *cuts.tolist()], [*cuts.tolist(), len(times)], strict=True):
                lon = np.asarray(track["lon"][a:b], dtype=np.float64)
                lat = np.asarray(track["lat"][a:b], dtype=np.float64)
                dist = float(np.sum(haversine_nm(lat[:-1], lon[:-1], lat[1:], lon[1:])))
                out.append(
                    {
                        "time": format_time(int(times[a])),
                        "kind": "positions",
                        "text": (
                            f"{b - a} positions until {format_time(int(times[b - 1]))[11:16]} UTC, "
                            f"{lat[0]:.3f}, {lon[0]:.3f} to {lat[-1]:.3f}, {lon[-1]:.3f}, "
                            f"{dist:.1f} nm"
                        ),
                    }
                )
        for e in events:
            summary = (e.get("details") or {}).get("summary") or e["kind"].replace("_", " ")
            where = f" in {e['zone']}" if e.get("zone") else ""
            out.append(
                {
                    "time": e["start"],
                    "kind": "alert" if e["alert"] else "event",
                    "text": f"{e['kind']}{where}: {summary} ({e['severity']})",
                    "ref": e["id"],
                }
            )
        for ct in contacts:
            seen = f"{ct['kind']} contact at {ct['lat']:.4f}, {ct['lon']:.4f}"
            extra = [f"{ct['people']} people" if ct.get("people") else "", ct.get("note") or ""]
            more = "; ".join(x for x in extra if x)
            out.append(
                {
                    "time": ct["time"],
                    "kind": "contact",
                    "ref": ct["id"],
                    "text": seen
                    + (f" ({ct['source']})" if ct.get("source") else "")
                    + (f": {more}" if more else ""),
                }
            )
        for ch in case["changes"]:
            what = f"{ch['field']} {ch['old'] or '-'} -> {ch['new'] or '-'}"
            if ch["field"] == "status" and ch["old"] is None:
                what = f"case opened as {ch['new']}"
            text = what + (f": {ch['note']}" if ch["note"] and ch["note"] != "case opened" else "")
            out.append({"time": ch["time"], "kind": "status", "text": text, "by": ch["actor"]})
        for ln in case["links"]:
            text = f"{ln['kind']} {ln['ref']} attached" + (
                f": {ln['reason']}" if ln["reason"] else ""
            )
            out.append({"time": ln["added_at"], "kind": "link", "text": text, "by": ln["added_by"]})
        for n in case["notes"]:
            out.append(
                {
                    "time": n["time"],
                    "kind": "note",
                    "text": n["text"],
                    "by": n["author"],
                    "ref": n["id"],
                }
            )
        out.sort(key=lambda x: (x["time"], _order(x["kind"])))
        return out

    def suggested_links(self, mmsi: int) -> list[dict[str, Any]]:
        """Return vessels the data ties to ``mmsi``, each with its reasons in words."""
        ev, v, ids = (self.store.tables[n] for n in ("events", "vessels", "vessel_identities"))

        def run(c: Connection) -> dict[int, list[str]]:
            why: dict[int, list[str]] = defaultdict(list)
            met: dict[int, list[int]] = defaultdict(list)
            q = select(ev.c.mmsi, ev.c.other_mmsi, ev.c.start_time).where(
                ev.c.kind == EventKind.ENCOUNTER.value,
                or_(ev.c.mmsi == mmsi, ev.c.other_mmsi == mmsi),
            )
            for r in c.execute(q):
                other = r.other_mmsi if r.mmsi == mmsi else r.mmsi
                if other is not None and other != mmsi:
                    met[int(other)].append(int(r.start_time))
            for other, times in met.items():
                n = len(times)
                why[other].append(
                    f"met it at sea {n} time{'s' if n > 1 else ''}, last {format_time(max(times))}"
                )
            jumps = select(ev.c.mmsi, ev.c.details, ev.c.start_time).where(
                ev.c.kind == EventKind.POSITION_JUMP.value
            )
            shared = [
                r for r in c.execute(jumps) if (r.details or {}).get("cause") == "shared_mmsi"
            ]
            names = self._names_by_mmsi(c, v, ids) if shared else {}
            own = names.get(mmsi, set())
            for r in shared:
                d = r.details or {}
                heard = {
                    text for n in d.get("names") or [] if (text := normalise_text(n.get("name")))
                }
                when = format_time(r.start_time)
                if r.mmsi == mmsi:
                    for other, theirs in names.items():
                        if other != mmsi and heard & theirs:
                            same = sorted(heard & theirs)[0]
                            why[other].append(
                                f"its name {same} was heard on this MMSI while "
                                f"shared by several transmitters ({when})"
                            )
                elif heard & own:
                    why[int(r.mmsi)].append(
                        f"this vessel's name was heard on its MMSI while shared ({when})"
                    )
            for field, label in (("imo", "IMO"), ("callsign", "callsign")):
                mine = self._values(c, v, ids, field, mmsi)
                if not mine:
                    continue
                for other, value in self._sharing(c, v, ids, field, mine, mmsi):
                    text = f"sent the same {label} {value}"
                    if text not in why[other]:
                        why[other].append(text)
            return dict(why)

        why: dict[int, list[str]] = self.store.read(run, "suggesting links")
        vs = self.store.tables["vessels"]
        rows = self.store.read(
            lambda c: c.execute(
                select(vs.c.mmsi, vs.c.name).where(vs.c.mmsi.in_(sorted(why)))
            ).all()
        )
        names = {int(r.mmsi): r.name for r in rows}
        return [{"mmsi": m, "name": names.get(m), "reasons": why[m]} for m in sorted(why)]

    @staticmethod
    def _names_by_mmsi(c: Connection, v: Any, ids: Any) -> dict[int, set[str]]:
        """Return every name each MMSI has sent (normalised), from its statics and history."""
        out: dict[int, set[str]] = defaultdict(set)
        for t in (v, ids):
            for r in c.execute(select(t.c.mmsi, t.c.name).where(t.c.name.is_not(None))):
                name = normalise_text(r.name)
                if name is not None:
                    out[int(r.mmsi)].add(name)
        return out

    @staticmethod
    def _values(c: Connection, v: Any, ids: Any, field: str, mmsi: int) -> set[Any]:
        found = {getattr(r, field) for r in c.execute(select(v.c[field]).where(v.c.mmsi == mmsi))}
        found |= {
            getattr(r, field) for r in c.execute(select(ids.c[field]).where(ids.c.mmsi == mmsi))
        }
        found.discard(None)
        if field == "imo":
            found.discard(0)
        else:
            found = {normalise_text(x) for x in found} - {None}
        return found

    @staticmethod
    def _sharing(
        c: Connection, v: Any, ids: Any, field: str, values: set[Any], mmsi: int
    ) -> list[tuple[int, Any]]:
        out: set[tuple[int, Any]] = set()
        for t in (v, ids):
            col = t.c[field]
            if field == "imo":
                q = select(t.c.mmsi, col).where(col.in_(sorted(values)), t.c.mmsi != mmsi)
                out |= {(int(r.mmsi), r[1]) for r in c.execute(q)}
            else:  # callsigns are few per vessel; normalised in Python (padding, case)
                q = select(t.c.mmsi, col).where(col.is_not(None), t.c.mmsi != mmsi)
                out |= {
                    (int(r.mmsi), normalise_text(r[1]))
                    for r in c.execute(q)
                    if normalise_text(r[1]) in values
                }
        return sorted(out)
