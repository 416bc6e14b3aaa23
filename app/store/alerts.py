"""Events as alerts: one row per episode (`Event.key`), its lifecycle and comments.

The engine emits an open episode and later its closed version under the same key; the second
updates the row (end, details, severity) and keeps the lifecycle a person gave it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Table, and_, bindparam, case, func, or_, select, update

from app.store.cases import active_cases_of, with_case
from app.store.repo_base import RepoBase
from app.wallclock import now_ms
from geo.alert_rules import Decision, Narrowing
from geo.events import Event, EventKind, Severity, format_time
from geo.triage import Triaged, situation_key

WATCH = EventKind.WATCHLIST_MATCH
SEVERITY_RANK = {s.value: i for i, s in enumerate(Severity)}
#: Most stored alerts one stream resumption replays (the most recently written).
RESUME_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class AlertFilter:
    """Filters of ``GET /alerts`` (all optional; lists are OR, fields AND)."""

    kinds: list[str] = field(default_factory=list)
    #: None: any zone; an empty list: none at all (a liaison asking outside its scope).
    zones: list[str] | None = None
    mmsi: int | None = None
    min_severity: str | None = None
    states: list[str] = field(default_factory=list)
    start_ms: int | None = None
    end_ms: int | None = None
    #: False: events that are not alerts too (a vessel's history).
    alerts_only: bool = True
    #: The asker's narrowings (`geo.alert_rules.Narrowing`): an alert must be kept by each.
    narrow: tuple[Narrowing, ...] = ()


def as_triaged(ev: Event | Triaged) -> Triaged:
    """Return an event as triaged (without a decision: an alert of its own situation)."""
    if isinstance(ev, Triaged):
        return ev
    return Triaged(ev, Decision(True, None, ev.severity), situation_key(ev))


def event_key(ev: Event) -> str:
    """Return the row key of an episode."""
    kind, mmsi, other, zone, start = ev.key()
    return f"{kind}|{mmsi}|{other if other is not None else ''}|{zone or ''}|{start}"


def _iso(ms: int | None) -> str | None:
    return None if ms is None else format_time(ms)


def alert_json(r: Any) -> dict[str, Any]:
    """Return the API's ``Alert`` for a row (joined with the vessel name)."""
    return {
        "id": r.id,
        "kind": r.kind,
        "mmsi": r.mmsi,
        "other_mmsi": r.other_mmsi,
        "zone": r.zone,
        "start": format_time(r.start_time),
        "end": _iso(r.end_time),
        "lat": r.lat,
        "lon": r.lon,
        "severity": r.severity,
        "details": r.details,
        "state": r.state,
        "assignee": r.assignee,
        "acknowledged_by": r.acknowledged_by,
        "acknowledged_at": _iso(r.acknowledged_at),
        "resolved_by": r.resolved_by,
        "resolved_at": _iso(r.resolved_at),
        "comments": r.comments,
        "vessel_name": r.vessel_name,
        "alert": bool(r.alert),
        "rule": r.rule,
        "related": r.related or [],
    }


def provisional_alert(ev: Event | Triaged, vessel_name: str | None) -> dict[str, Any]:
    """Return the Alert JSON of an event the store has not taken yet (the database is away).

    It has no ``id`` (ids are the store's) and says ``stored: false``; its stored version
    follows, with its id, once the database is back. Clients tell the two apart, and match
    them, by the episode: ``kind``, ``mmsi``, ``other_mmsi``, ``zone`` and ``start``.
    """
    t = as_triaged(ev)
    ev = t.event
    return {
        "id": None,
        "stored": False,
        "kind": ev.kind.value,
        "mmsi": ev.mmsi,
        "other_mmsi": ev.other_mmsi,
        "zone": ev.zone,
        "start": format_time(ev.start_ms),
        "end": _iso(ev.end_ms),
        "lat": ev.lat,
        "lon": ev.lon,
        "severity": t.decision.severity.value,
        "details": ev.details,
        "state": "new",
        "assignee": None,
        "acknowledged_by": None,
        "acknowledged_at": None,
        "resolved_by": None,
        "resolved_at": None,
        "comments": [],
        "vessel_name": vessel_name,
        "alert": t.decision.alert,
        "rule": t.decision.rule,
        "related": [],
    }


def _related(ev: Event, severity: str) -> dict[str, Any]:
    """Return an event folded into its situation's alert, as the alert lists it."""
    return {
        "key": event_key(ev),
        "kind": ev.kind.value,
        "start": format_time(ev.start_ms),
        "end": _iso(ev.end_ms),
        "severity": severity,
        "summary": ev.details.get("summary"),
    }


def _worse(a: str, b: str) -> str:
    return a if SEVERITY_RANK.get(a, -1) >= SEVERITY_RANK.get(b, -1) else b


def _alert_select(ev: Table, vs: Table) -> Any:
    return select(*ev.c, vs.c.name.label("vessel_name")).select_from(
        ev.outerjoin(vs, vs.c.mmsi == ev.c.mmsi)
    )


def _rank(ev: Table) -> Any:
    """Return the severity's rank as SQL (low < medium < high < critical)."""
    return case(SEVERITY_RANK, value=ev.c.severity, else_=-1)


class AlertsRepo(RepoBase):
    """Alerts (the store's ``events``): written by the pipeline, read and acted on by people."""

    @property
    def _events(self) -> Table:
        return self.store.tables["events"]

    def write_events(self, evs: Sequence[Event | Triaged]) -> list[dict[str, Any]]:
        """Store episodes and fold each into its situation's alert; return the alerts written.

        An episode the rules made an alert opens its situation's alert unless the situation
        has one: then it (and any event of the situation, alert or not) is kept as an event and
        folded into that alert (listed in ``related``; the worse severity), which is returned
        to be published again. An episode stored as an event becomes an alert when a later
        version of it is decided one (the vessel's risk rose); an alert stays an alert.
        """
        return self.write_keyed_events([(event_key(as_triaged(e).event), e) for e in evs])

    def write_keyed_events(
        self, keyed: Sequence[tuple[str, Event | Triaged]]
    ) -> list[dict[str, Any]]:
        """Write events under the caller's keys; otherwise as `write_events`.

        A partner's report is keyed by the partner's identity of it, so it never overwrites an
        episode of Mare's own and its later versions update it; it is a situation of its own.
        """
        if not keyed:
            return []
        latest: dict[str, Triaged] = {}
        for key, item in keyed:
            t = as_triaged(item)
            if key != event_key(t.event):
                t = Triaged(t.event, t.decision, key)
            latest[key] = t
        keys = list(latest)
        sits = sorted({t.situation for t in latest.values()})
        recorded = now_ms()
        e = self._events

        def run(c: Any) -> list[Any]:
            hits = [t.event.mmsi for t in latest.values() if t.event.kind is WATCH]
            cases = active_cases_of(c, self.store.tables, hits)
            cols = (e.c.id, e.c.key, e.c.alert, e.c.situation, e.c.severity, e.c.end_time,
                    e.c.start_time, e.c.related)  # fmt: skip
            known = {r.key: r for r in c.execute(select(*cols).where(e.c.key.in_(keys)))}
            hosts: dict[str, dict[str, Any]] = {}
            for r in c.execute(select(*cols).where(e.c.situation.in_(sits), e.c.alert)):
                hosts.setdefault(r.situation, r._asdict())
            touched: dict[int, dict[str, Any]] = {}
            for key, t in latest.items():
                ev, d = t.event, t.decision
                host = hosts.get(t.situation)
                row = known.get(key)
                mine = row is not None and row.alert
                values = {
                    "end_time": ev.end_ms,
                    "lat": ev.lat,
                    "lon": ev.lon,
                    "severity": d.severity.value,
                    "details": with_case(ev.kind.value, ev.details, cases.get(ev.mmsi)),
                    "updated_at": recorded,
                }
                if mine:
                    assert row is not None
                    values["severity"] = _worse(d.severity.value, row.severity)
                    c.execute(update(e).where(e.c.id == row.id).values(**values))
                    touched[row.id] = {}
                    continue
                becomes_alert = d.alert and (
                    host is None or (row is not None and host["id"] == row.id)
                )
                if row is not None:
                    if becomes_alert:
                        values.update(alert=True, rule=d.rule)
                    c.execute(update(e).where(e.c.id == row.id).values(**values))
                    if becomes_alert:
                        touched[row.id] = {}
                        hosts[t.situation] = {"id": row.id, "related": [], "severity":
                                              d.severity.value, "end_time": ev.end_ms}  # fmt: skip
                else:
                    res = c.execute(
                        e.insert().values(
                            key=key,
                            kind=ev.kind.value,
                            mmsi=ev.mmsi,
                            other_mmsi=ev.other_mmsi,
                            zone=ev.zone,
                            start_time=ev.start_ms,
                            state="new",
                            comments=[],
                            created_at=recorded,
                            alert=becomes_alert,
                            rule=d.rule,
                            situation=t.situation,
                            related=[],
                            **values,
                        )
                    )
                    if becomes_alert:
                        new_id = int(res.inserted_primary_key[0])
                        touched[new_id] = {}
                        hosts[t.situation] = {"id": new_id, "related": [], "severity":
                                              d.severity.value, "end_time": ev.end_ms}  # fmt: skip
                if host is not None and not becomes_alert:
                    self._fold(c, host, ev, d.severity.value, recorded)
                    touched[host["id"]] = {}
            if not touched:
                return []
            return list(
                c.execute(
                    _alert_select(e, self.store.tables["vessel_states"]).where(
                        e.c.id.in_(sorted(touched))
                    )
                ).all()
            )

        rows = self.store.write(run, "writing alerts")
        return [alert_json(r) for r in sorted(rows, key=lambda r: r.id)]

    def _fold(self, c: Any, host: dict[str, Any], ev: Event, severity: str, recorded: int) -> None:
        """Fold event ``ev`` into its situation's alert ``host`` (a dict kept current)."""
        e = self._events
        item = _related(ev, severity)
        related = [x for x in (host.get("related") or []) if x.get("key") != item["key"]]
        related.append(item)
        related.sort(key=lambda x: (x["start"], x["kind"]))
        worse = _worse(severity, host["severity"])
        # the row's own start and end stay its episode's (exports read them as the event)
        c.execute(
            update(e)
            .where(e.c.id == host["id"])
            .values(related=related, severity=worse, updated_at=recorded)
        )
        host.update(related=related, severity=worse)

    def _where(self, q: Any, f: AlertFilter) -> Any:
        ev = self._events
        e = ev.c
        if f.alerts_only:
            q = q.where(e.alert)
        if f.kinds:
            q = q.where(e.kind.in_(f.kinds))
        if f.zones is not None:
            q = q.where(e.zone.in_(f.zones))
        if f.mmsi is not None:
            q = q.where(or_(e.mmsi == f.mmsi, e.other_mmsi == f.mmsi))
        if f.min_severity is not None:
            q = q.where(_rank(ev) >= SEVERITY_RANK[f.min_severity])
        if f.states:
            q = q.where(e.state.in_(f.states))
        q = self._narrowed(q, f.narrow)
        if f.start_ms is not None:  # overlaps the window: still open or ended after its start
            q = q.where(or_(e.end_time.is_(None), e.end_time >= f.start_ms))
        if f.end_ms is not None:
            q = q.where(e.start_time <= f.end_ms)
        return q

    def _narrowed(self, q: Any, narrow: Sequence[Narrowing]) -> Any:
        """Keep only the alerts every narrowing keeps (`geo.alert_rules.keeps`, in SQL)."""
        ev = self._events
        zones = self.store.tables["zones"]
        for n in narrow:
            if n.kinds:
                q = q.where(ev.c.kind.in_(sorted(n.kinds)))
            if n.zones:
                q = q.where(ev.c.zone.in_(sorted(n.zones)))
            if n.zone_kinds:
                of_kind = select(zones.c.id).where(zones.c.kind.in_(sorted(n.zone_kinds)))
                q = q.where(ev.c.zone.in_(of_kind))
            if n.min_severity is not None:
                q = q.where(_rank(ev) >= SEVERITY_RANK[n.min_severity.value])
        return q

    def _rows(self, q: Any) -> list[Any]:
        return list(self.store.read(lambda c: c.execute(q).all()))

    def episodes(self, f: AlertFilter) -> list[dict[str, Any]]:
        """Return every episode the filter matches in the event contract's form, by start.

        For exports (CISE, reports): the episode as ``mare detect`` writes it, without the
        alert's lifecycle (state, assignee, comments), which is the desk's, not the event's.
        Every episode, alert or not: which ones the desk handles is the desk's too.
        """
        e = self._events
        q = self._where(select(e), replace(f, alerts_only=False)).order_by(e.c.start_time, e.c.id)
        return [
            {
                "kind": r.kind,
                "mmsi": r.mmsi,
                "other_mmsi": r.other_mmsi,
                "zone": r.zone,
                "start": format_time(r.start_time),
                "end": _iso(r.end_time),
                "lat": None if r.lat is None else round(r.lat, 5),
                "lon": None if r.lon is None else round(r.lon, 5),
                "severity": r.severity,
                "details": r.details,
            }
            for r in self._rows(q)
        ]

    def list_alerts(
        self, f: AlertFilter, *, limit: int, before_id: int | None = None
    ) -> list[dict[str, Any]]:
        e = self._events
        q = self._where(_alert_select(e, self.store.tables["vessel_states"]), f)
        if before_id is not None:
            q = q.where(e.c.id < before_id)
        q = q.order_by(e.c.id.desc()).limit(limit)
        return [alert_json(r) for r in self._rows(q)]

    def get_alert(self, alert_id: int) -> dict[str, Any] | None:
        e = self._events
        rows = self._rows(
            _alert_select(e, self.store.tables["vessel_states"]).where(e.c.id == alert_id)
        )
        return alert_json(rows[0]) if rows else None

    def alerts_for_vessel(self, mmsi: int, limit: int) -> list[dict[str, Any]]:
        """Return a vessel's latest events, alerts or not (``alert`` tells which)."""
        return self.list_alerts(AlertFilter(mmsi=mmsi, alerts_only=False), limit=limit)

    def alerts_published_between(
        self, after: int, upto: int, fresh_from: int
    ) -> list[tuple[int, dict[str, Any]]]:
        """Return ``(seq, alert)`` for alerts last published in ``(after, upto]``, in seq order.

        A row's publication is its ``stream_seq`` (`record_stream_seqs`). A row without one, or
        written again since (``updated_at`` past it: a publication lost in a crash, a row from
        before migration 0010 or from a program without a hub), counts as published at its
        ``updated_at`` unless that is ``fresh_from`` or later (the running hub's start: this
        process is about to publish it). At most `RESUME_LIMIT` rows, the most recently
        written: a resume point further back gets only those.
        """
        e = self._events
        c = e.c
        q = (
            _alert_select(e, self.store.tables["vessel_states"])
            .add_columns(c.stream_seq.label("pub_seq"), c.updated_at.label("written_ms"))
            .where(c.alert)
            .where(
                or_(
                    and_(c.stream_seq > after, c.stream_seq <= upto),
                    and_(c.updated_at > after, c.updated_at <= upto, c.updated_at < fresh_from),
                )
            )
            .order_by(c.updated_at.desc(), c.id.desc())
            .limit(RESUME_LIMIT)
        )
        out: list[tuple[int, int, dict[str, Any]]] = []
        for r in self._rows(q):
            seq = r.pub_seq
            if seq is None or seq < r.written_ms:
                if r.written_ms >= fresh_from:
                    continue
                seq = r.written_ms
            if after < seq <= upto:
                out.append((seq, r.id, alert_json(r)))
        out.sort(key=lambda t: (t[0], t[1]))
        return [(seq, alert) for seq, _, alert in out]

    def record_stream_seqs(self, published: list[tuple[int, int]]) -> None:
        """Record ``(alert id, seq)`` publications; a row keeps the highest seq it was given."""
        latest: dict[int, int] = {}
        for alert_id, seq in published:
            latest[alert_id] = max(seq, latest.get(alert_id, seq))
        if not latest:
            return
        e = self._events
        stmt = (
            update(e)
            .where(e.c.id == bindparam("aid"))
            .where(or_(e.c.stream_seq.is_(None), e.c.stream_seq < bindparam("seq")))
            .values(stream_seq=bindparam("seq"))
        )
        rows = [{"aid": a, "seq": s} for a, s in latest.items()]
        self.store.write(lambda conn: conn.execute(stmt, rows), "recording alert sequence ids")

    def max_stream_seq(self) -> int | None:
        """Return the highest sequence id recorded (a new hub numbers on from there)."""
        c = self._events.c
        return self.store.read(  # type: ignore[no-any-return]
            lambda conn: conn.execute(select(func.max(c.stream_seq))).scalar()
        )

    def mmsis_with_alerts(self, zones: frozenset[str]) -> set[int]:
        if not zones:
            return set()
        e = self._events.c
        rows = self._rows(select(e.mmsi, e.other_mmsi).where(e.zone.in_(sorted(zones)), e.alert))
        out: set[int] = set()
        for m, o in rows:
            out.add(int(m))
            if o is not None:
                out.add(int(o))
        return out

    def alert_counts(
        self, zones: frozenset[str] | None, narrow: Sequence[Narrowing] = ()
    ) -> tuple[dict[str, int], int]:
        """Return alerts by kind and how many are not resolved (within ``zones`` if given).

        ``narrow``: the asker's narrowings, so a count is of the alerts the asker gets.
        """
        e = self._events.c
        q = select(e.kind, e.state, func.count()).where(e.alert).group_by(e.kind, e.state)
        if zones is not None:
            q = q.where(e.zone.in_(sorted(zones)))
        q = self._narrowed(q, narrow)
        by_kind: Counter[str] = Counter()
        open_n = 0
        for kind, state, n in self._rows(q):
            by_kind[kind] += n
            if state != "resolved":
                open_n += n
        return dict(by_kind), open_n

    # -- lifecycle ----------------------------------------------------------------------------

    def _change(
        self, alert_id: int, user: str, action: str, values: dict[str, Any], detail: Any = None
    ) -> dict[str, Any]:
        """Apply a person's change and its audit entry in one transaction."""
        e = self._events

        def run(c: Any) -> None:
            if values:
                stmt = update(e).where(e.c.id == alert_id)
                c.execute(stmt.values(**values, updated_at=now_ms()))
            self._audit(c, user, action, f"alert:{alert_id}", detail)  # type: ignore[attr-defined]

        self.store.write(run, "changing an alert")
        alert = self.get_alert(alert_id)
        assert alert is not None
        return alert

    def acknowledge(self, alert_id: int, user: str) -> dict[str, Any]:
        return self._change(
            alert_id,
            user,
            "acknowledge",
            {"state": "acknowledged", "acknowledged_by": user, "acknowledged_at": now_ms()},
        )

    def assign(self, alert_id: int, user: str, assignee: str | None) -> dict[str, Any]:
        return self._change(
            alert_id, user, "assign", {"assignee": assignee}, {"assignee": assignee}
        )

    def resolve(self, alert_id: int, user: str, note: str | None) -> dict[str, Any]:
        current = self.get_alert(alert_id)
        assert current is not None
        ms = now_ms()
        values: dict[str, Any] = {"state": "resolved", "resolved_by": user, "resolved_at": ms}
        if current["acknowledged_by"] is None:
            values.update(acknowledged_by=user, acknowledged_at=ms)
        if note:
            values["comments"] = [
                *current["comments"],
                {"user": user, "time": format_time(ms), "text": note},
            ]
        return self._change(alert_id, user, "resolve", values, {"note": note} if note else None)

    def comment(self, alert_id: int, user: str, text: str) -> dict[str, Any]:
        current = self.get_alert(alert_id)
        assert current is not None
        comments = [
            *current["comments"],
            {"user": user, "time": format_time(now_ms()), "text": text},
        ]
        return self._change(alert_id, user, "comment", {"comments": comments}, {"text": text})

    def known_keys(self, keys: list[str]) -> set[str]:
        """Return which of the episode keys (`event_key`) the store holds already."""
        if not keys:
            return set()
        e = self._events.c
        return {r.key for r in self._rows(select(e.key).where(e.key.in_(keys)))}
