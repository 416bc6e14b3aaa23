"""Suspect cases: a vessel made a case, with notes, attachments and status changes (issue 17).

Every write here commits with its audit entry (`app.store.audit.record`) in one transaction, so
the log never lacks an act nor records one that did not happen. Notes are append-only: an edit
keeps the earlier texts in the note's ``revisions`` and the audit entry holds both texts.

The timeline and the suggested links (what the data says, not what a person added) are in
`app.store.case_timeline`; this module owns the rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Table, select, update
from sqlalchemy.exc import IntegrityError

from app.store.audit import record
from app.store.errors import AlreadyExists, NotFound
from app.store.repo_base import RepoBase
from app.wallclock import now_ms
from geo.events import EventKind, format_time

#: A case's life: open (being worked), monitoring (watched, nothing to do now), handed over
#: (to another agency; the dossier went with it), closed.
STATUSES = ("open", "monitoring", "handed_over", "closed")
#: What a case can have attached: a linked vessel (``ref`` an MMSI), a contact, an event.
LINK_KINDS = ("vessel", "contact", "event")
#: Statuses in which a watchlist hit of the vessel is linked to the case.
ACTIVE = ("open", "monitoring", "handed_over")


def _iso(ms: int | None) -> str | None:
    return None if ms is None else format_time(ms)


def case_json(r: Any) -> dict[str, Any]:
    """Return the API's case summary of a ``cases`` row."""
    return {
        "id": r.id,
        "mmsi": r.mmsi,
        "title": r.title,
        "status": r.status,
        "assignee": r.assignee,
        "watch_entry": r.watch_entry,
        "created_by": r.created_by,
        "created_at": format_time(r.created_at),
        "updated_at": format_time(r.updated_at),
    }


def note_json(r: Any) -> dict[str, Any]:
    """Return a note as the API shows it (earlier texts in ``revisions``)."""
    return {
        "id": r.id,
        "author": r.author,
        "time": format_time(r.time),
        "text": r.text,
        "edited_by": r.edited_by,
        "edited_at": _iso(r.edited_at),
        "revisions": list(r.revisions or []),
    }


def link_json(r: Any) -> dict[str, Any]:
    """Return an attachment (linked vessel, contact or event) as the API shows it."""
    return {
        "id": r.id,
        "kind": r.kind,
        "ref": int(r.ref),
        "reason": r.reason,
        "added_by": r.added_by,
        "added_at": format_time(r.added_at),
    }


def change_json(r: Any) -> dict[str, Any]:
    """Return a change of a case's status, assignee or title."""
    return {
        "time": format_time(r.time),
        "actor": r.actor,
        "field": r.field,
        "old": r.old,
        "new": r.new,
        "note": r.note,
    }


def active_cases_of(
    conn: Connection, tables: dict[str, Table], mmsis: Iterable[int]
) -> dict[int, int]:
    """Return, per MMSI, its newest case that is not closed (for linking a watchlist hit).

    Called inside the writer's transaction (`app.store.alerts`), so a hit stored just after a
    case was made carries its id.
    """
    wanted = sorted(set(mmsis))
    if not wanted:
        return {}
    t = tables["cases"]
    q = (
        select(t.c.mmsi, t.c.id)
        .where(t.c.mmsi.in_(wanted), t.c.status.in_(ACTIVE))
        .order_by(t.c.id)
    )
    return {int(r.mmsi): int(r.id) for r in conn.execute(q)}


def with_case(kind: str, details: dict[str, Any], case_id: int | None) -> dict[str, Any]:
    """Return an event's details with ``case_id`` where it is a watchlist hit of a case vessel."""
    if case_id is None or kind != EventKind.WATCHLIST_MATCH.value:
        return details
    return {**details, "case_id": case_id}


def _new_id(res: Any) -> int:
    """Return the id an INSERT gave its row."""
    key = res.inserted_primary_key
    assert key is not None
    return int(key[0])


class CasesRepo(RepoBase):
    """Cases as part of `Repo`; every method that writes is audited in its transaction."""

    def _t(self, name: str) -> Table:
        return self.store.tables[name]

    def _audit_case(
        self, c: Connection, actor: str, action: str, case_id: int, **details: Any
    ) -> None:
        record(
            c,
            self.store,
            actor=actor,
            action=action,
            target=f"case:{case_id}",
            details=details,
            now_ms=now_ms(),
        )

    def _case_row(self, c: Connection, case_id: int) -> Any:
        row = c.execute(select(self._t("cases")).where(self._t("cases").c.id == case_id)).first()
        if row is None:
            raise NotFound(f"case {case_id}")
        return row

    # -- cases ------------------------------------------------------------------------------------

    def create_case(
        self,
        *,
        mmsi: int,
        title: str,
        status: str,
        assignee: str | None,
        actor: str,
        watch: bool,
        note: str | None = None,
    ) -> dict[str, Any]:
        """Make a vessel a case; with ``watch``, put it on the watchlist in the same act.

        Watchlist hits already stored for the vessel get the new case's id, so a hit links to
        its case whether it came before or after the case.
        """
        cases, changes = self._t("cases"), self._t("case_changes")
        at = now_ms()

        def run(c: Connection) -> Any:
            entry = None
            res = c.execute(
                cases.insert().values(
                    mmsi=mmsi,
                    title=title,
                    status=status,
                    assignee=assignee,
                    created_by=actor,
                    created_at=at,
                    updated_at=at,
                )
            )
            case_id = _new_id(res)
            if watch:
                w = self._t("watchlist")
                entry = c.execute(
                    w.insert()
                    .values(mmsi=mmsi, note=f"case {case_id}: {title}"[:2000], created_at=at)
                    .returning(w.c.id)
                ).scalar_one()
                c.execute(update(cases).where(cases.c.id == case_id).values(watch_entry=entry))
            c.execute(
                changes.insert().values(
                    case_id=case_id,
                    time=at,
                    actor=actor,
                    field="status",
                    old=None,
                    new=status,
                    note="case opened",
                )
            )
            if note:
                c.execute(
                    self._t("case_notes")
                    .insert()
                    .values(case_id=case_id, author=actor, time=at, text=note, revisions=[])
                )
            self._link_past_hits(c, mmsi, case_id)
            self._audit_case(
                c,
                actor,
                "case.create",
                case_id,
                mmsi=mmsi,
                title=title,
                status=status,
                assignee=assignee,
                watch_entry=entry,
            )
            return self._case_row(c, case_id)

        return case_json(self.store.write(run, "creating a case"))

    def _link_past_hits(self, c: Connection, mmsi: int, case_id: int) -> None:
        ev = self._t("events")
        q = select(ev.c.id, ev.c.details).where(
            ev.c.mmsi == mmsi, ev.c.kind == EventKind.WATCHLIST_MATCH.value
        )
        for r in c.execute(q).all():
            if (r.details or {}).get("case_id") is None:
                details = {**(r.details or {}), "case_id": case_id}
                c.execute(update(ev).where(ev.c.id == r.id).values(details=details))

    def list_cases(
        self, *, status: str | None = None, mmsi: int | None = None
    ) -> list[dict[str, Any]]:
        """Return case summaries, newest first, each with its linked vessels' MMSIs."""
        t = self._t("cases")
        q = select(t).order_by(t.c.id.desc())
        if status is not None:
            q = q.where(t.c.status == status)
        if mmsi is not None:
            q = q.where(t.c.mmsi == mmsi)
        rows = self.store.read(lambda c: c.execute(q).all(), "reading cases")
        return [case_json(r) for r in rows]

    def case_reach(self, case_ids: Iterable[int]) -> dict[int, tuple[set[int], set[str]]]:
        """Return per case the MMSIs it is about and the zones of its attached events.

        The MMSIs are its vessel's and the linked vessels': what a liaison's scope is asked
        about (`Scope.sees_case`).
        """
        ids = sorted(set(case_ids))
        if not ids:
            return {}
        t, links, ev = self._t("cases"), self._t("case_links"), self._t("events")

        def run(c: Connection) -> dict[int, tuple[set[int], set[str]]]:
            out: dict[int, tuple[set[int], set[str]]] = {}
            for r in c.execute(select(t.c.id, t.c.mmsi).where(t.c.id.in_(ids))).all():
                out[int(r.id)] = ({int(r.mmsi)}, set())
            q2 = (
                select(links.c.case_id, links.c.kind, links.c.ref, ev.c.zone)
                .select_from(
                    links.outerjoin(ev, (links.c.kind == "event") & (ev.c.id == links.c.ref))
                )
                .where(links.c.case_id.in_(ids), links.c.kind.in_(["vessel", "event"]))
            )
            for ln in c.execute(q2).all():
                mm, zones = out[int(ln.case_id)]
                if ln.kind == "vessel":
                    mm.add(int(ln.ref))
                elif ln.zone is not None:
                    zones.add(str(ln.zone))
            return out

        result: dict[int, tuple[set[int], set[str]]] = self.store.read(run, "reading cases")
        return result

    def get_case(self, case_id: int) -> dict[str, Any]:
        """Return a case with its notes, attachments and changes (`NotFound` if none)."""
        t = {n: self._t(n) for n in ("case_notes", "case_links", "case_changes")}

        def run(c: Connection) -> dict[str, Any]:
            out = case_json(self._case_row(c, case_id))
            notes = t["case_notes"]
            out["notes"] = [
                note_json(r)
                for r in c.execute(
                    select(notes)
                    .where(notes.c.case_id == case_id)
                    .order_by(notes.c.time, notes.c.id)
                )
            ]
            links = t["case_links"]
            out["links"] = [
                link_json(r)
                for r in c.execute(
                    select(links).where(links.c.case_id == case_id).order_by(links.c.id)
                )
            ]
            ch = t["case_changes"]
            out["changes"] = [
                change_json(r)
                for r in c.execute(select(ch).where(ch.c.case_id == case_id).order_by(ch.c.id))
            ]
            return out

        result: dict[str, Any] = self.store.read(run, "reading a case")
        return result

    def update_case(
        self, case_id: int, *, actor: str, changes: dict[str, Any], note: str = ""
    ) -> dict[str, Any]:
        """Change a case's status, assignee or title; each change is kept (timeline) and audited."""
        cases, ch = self._t("cases"), self._t("case_changes")
        at = now_ms()

        def run(c: Connection) -> Any:
            row = self._case_row(c, case_id)
            done: dict[str, Any] = {}
            for field in ("status", "assignee", "title"):
                if field not in changes or changes[field] == getattr(row, field):
                    continue
                old, new = getattr(row, field), changes[field]
                c.execute(
                    ch.insert().values(
                        case_id=case_id,
                        time=at,
                        actor=actor,
                        field=field,
                        old=old,
                        new=new,
                        note=note,
                    )
                )
                done[field] = {"from": old, "to": new}
            if done:
                values = {f: v["to"] for f, v in done.items()}
                c.execute(
                    update(cases).where(cases.c.id == case_id).values(updated_at=at, **values)
                )
                self._audit_case(c, actor, "case.update", case_id, changes=done, note=note)
            return self._case_row(c, case_id)

        return case_json(self.store.write(run, "updating a case"))

    # -- notes ------------------------------------------------------------------------------------

    def add_note(self, case_id: int, *, actor: str, text: str) -> dict[str, Any]:
        """Append a note, by ``actor`` now."""
        notes = self._t("case_notes")
        at = now_ms()

        def run(c: Connection) -> Any:
            self._case_row(c, case_id)
            res = c.execute(
                notes.insert().values(
                    case_id=case_id, author=actor, time=at, text=text, revisions=[]
                )
            )
            note_id = _new_id(res)
            c.execute(
                update(self._t("cases"))
                .where(self._t("cases").c.id == case_id)
                .values(updated_at=at)
            )
            self._audit_case(c, actor, "case.note", case_id, note=note_id, text=text)
            return c.execute(select(notes).where(notes.c.id == note_id)).one()

        return note_json(self.store.write(run, "adding a note"))

    def edit_note(self, case_id: int, note_id: int, *, actor: str, text: str) -> dict[str, Any]:
        """Replace a note's text, keeping the earlier one in ``revisions``; audited with both."""
        notes = self._t("case_notes")
        at = now_ms()

        def run(c: Connection) -> Any:
            self._case_row(c, case_id)
            where = (notes.c.id == note_id) & (notes.c.case_id == case_id)
            row = c.execute(select(notes).where(where)).first()
            if row is None:
                raise NotFound(f"note {note_id} of case {case_id}")
            earlier = {
                "text": row.text,
                "by": row.edited_by or row.author,
                "time": format_time(row.edited_at or row.time),
            }
            revisions = [*list(row.revisions or []), earlier]
            c.execute(
                update(notes)
                .where(where)
                .values(text=text, edited_by=actor, edited_at=at, revisions=revisions)
            )
            self._audit_case(
                c, actor, "case.note.edit", case_id, note=note_id, old=row.text, new=text
            )
            return c.execute(select(notes).where(where)).one()

        return note_json(self.store.write(run, "editing a note"))

    # -- attachments ------------------------------------------------------------------------------

    def _exists(self, c: Connection, kind: str, ref: int) -> bool:
        if kind == "vessel":
            return True  # a vessel known from intelligence may not have been heard yet
        t = self._t("contacts" if kind == "contact" else "events")
        return c.execute(select(t.c.id).where(t.c.id == ref)).first() is not None

    def add_link(
        self, case_id: int, *, kind: str, ref: int, reason: str, actor: str
    ) -> dict[str, Any]:
        """Attach a vessel, contact or event; `AlreadyExists` if attached, `NotFound` if absent."""
        links = self._t("case_links")
        at = now_ms()

        def run(c: Connection) -> Any:
            row = self._case_row(c, case_id)
            if kind == "vessel" and ref == row.mmsi:
                raise AlreadyExists(f"vessel {ref} is the case's own vessel")
            if not self._exists(c, kind, ref):
                raise NotFound(f"{kind} {ref}")
            taken = c.execute(
                select(links.c.id).where(
                    links.c.case_id == case_id, links.c.kind == kind, links.c.ref == ref
                )
            ).first()
            if taken is not None:
                raise AlreadyExists(f"{kind} {ref} is attached to case {case_id} already")
            res = c.execute(
                links.insert().values(
                    case_id=case_id, kind=kind, ref=ref, reason=reason, added_by=actor, added_at=at
                )
            )
            self._audit_case(c, actor, "case.link", case_id, kind=kind, ref=ref, reason=reason)
            link_id = _new_id(res)
            return c.execute(select(links).where(links.c.id == link_id)).one()

        try:
            return link_json(self.store.write(run, "attaching to a case"))
        except IntegrityError:  # two people attached the same thing at once
            raise AlreadyExists(f"{kind} {ref} is attached to case {case_id} already") from None

    def remove_link(self, case_id: int, link_id: int, *, actor: str) -> None:
        """Detach an attachment (audited with what it was)."""
        links = self._t("case_links")

        def run(c: Connection) -> None:
            self._case_row(c, case_id)
            where = (links.c.id == link_id) & (links.c.case_id == case_id)
            row = c.execute(select(links).where(where)).first()
            if row is None:
                raise NotFound(f"attachment {link_id} of case {case_id}")
            c.execute(links.delete().where(where))
            self._audit_case(c, actor, "case.unlink", case_id, kind=row.kind, ref=int(row.ref))

        self.store.write(run, "detaching from a case")

    def record_export(self, case_id: int, *, actor: str, contents: dict[str, Any]) -> None:
        """Audit a dossier export: who took it, and what it contained."""
        self.store.write(
            lambda c: self._audit_case(c, actor, "case.export", case_id, **contents),
            "auditing an export",
        )
