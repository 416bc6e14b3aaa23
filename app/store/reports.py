"""Stored daily reports (migration 0014): one row per day and scope, the PDF and the HTML.

A scope is the zones a report covers (None: the whole area) and the narrowings it was made
under (`geo.alert_rules.Narrowing` ids): `scope_key` names it, and a day has at most one report
per scope (made again, it replaces the last). Made on demand by a person, the write and its
audit entry (``report.generate``) commit together; the service's midnight run is not audited
(its actor is the schedule itself, like the radar's contacts).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from app.store.audit import record
from app.store.repo_base import RepoBase
from app.wallclock import now_ms


def scope_key(zones: Sequence[str] | None, narrow: Sequence[str]) -> str:
    """Return the name of a report's scope: ``all``, or its zones and narrowings."""
    if zones is None and not narrow:
        return "all"
    z = "*" if zones is None else ",".join(sorted(set(zones)))
    return f"zones={z};narrow={','.join(sorted(set(narrow)))}"


@dataclass(frozen=True, slots=True)
class StoredReport:
    """A stored report without its files: what the list shows."""

    id: int
    day: str
    zones: tuple[str, ...] | None
    narrow: tuple[str, ...]
    created_ms: int
    created_by: str
    sizes: dict[str, int]
    sha256: dict[str, str]


def _stored(r: Any) -> StoredReport:
    return StoredReport(
        id=r.id,
        day=r.day,
        zones=None if r.zones is None else tuple(r.zones),
        narrow=tuple(r.narrow or ()),
        created_ms=r.created_at,
        created_by=r.created_by,
        sizes={"pdf": r.pdf_size, "html": r.html_size},
        sha256={"pdf": r.pdf_sha256, "html": r.html_sha256},
    )


class ReportsRepo(RepoBase):
    """The stored reports, as part of `Repo`."""

    def _meta(self) -> list[Any]:
        t = self.store.tables["reports"]
        return [c for c in t.c if c.name not in ("pdf", "html")]

    def save_report(
        self,
        day: str,
        zones: Sequence[str] | None,
        narrow: Sequence[str],
        files: dict[str, bytes],
        *,
        actor: str,
        audit: bool,
    ) -> StoredReport:
        """Store the day's report of a scope (replacing an earlier one); return it."""
        t = self.store.tables["reports"]
        key = scope_key(zones, narrow)
        at = now_ms()
        values = {
            "zones": None if zones is None else sorted(set(zones)),
            "narrow": sorted(set(narrow)),
            "pdf": files["pdf"],
            "html": files["html"],
            "pdf_size": len(files["pdf"]),
            "html_size": len(files["html"]),
            "pdf_sha256": hashlib.sha256(files["pdf"]).hexdigest(),
            "html_sha256": hashlib.sha256(files["html"]).hexdigest(),
            "created_at": at,
            "created_by": actor,
        }

        def run(c: Any) -> int:
            found = c.execute(select(t.c.id).where(t.c.day == day, t.c.scope == key)).first()
            if found is None:
                res = c.execute(t.insert().values(day=day, scope=key, **values))
                rid = int(res.inserted_primary_key[0])
            else:
                rid = int(found.id)
                c.execute(update(t).where(t.c.id == rid).values(**values))
            if audit:
                detail = {"day": day, "zones": values["zones"], "narrow": values["narrow"]}
                record(c, self.store, actor=actor, action="report.generate",
                       target=f"report:{rid}", details=detail, now_ms=at)  # fmt: skip
            return rid

        rid = self.store.write(run, "storing a report")
        got = self.report(rid)
        assert got is not None
        return got

    def report(self, report_id: int) -> StoredReport | None:
        """Return one stored report's description, None if there is none."""
        t = self.store.tables["reports"]
        rows = self.store.read(
            lambda c: c.execute(select(*self._meta()).where(t.c.id == report_id)).all()
        )
        return _stored(rows[0]) if rows else None

    def reports(self, day: str | None = None) -> list[StoredReport]:
        """Return the stored reports (of one day if given), newest day first."""
        t = self.store.tables["reports"]
        q = select(*self._meta()).order_by(t.c.day.desc(), t.c.id.desc())
        if day is not None:
            q = q.where(t.c.day == day)
        return [_stored(r) for r in self.store.read(lambda c: c.execute(q).all())]

    def report_file(self, report_id: int, fmt: str) -> bytes | None:
        """Return a stored report's file (``pdf`` or ``html``)."""
        t = self.store.tables["reports"]
        col = t.c.pdf if fmt == "pdf" else t.c.html
        q = select(col).where(t.c.id == report_id)
        data = self.store.read(lambda c: c.execute(q).scalar())
        return None if data is None else bytes(data)

    def has_report(self, day: str, zones: Sequence[str] | None, narrow: Sequence[str]) -> bool:
        """Return whether the day's report of that scope is stored."""
        t = self.store.tables["reports"]
        q = select(t.c.id).where(t.c.day == day, t.c.scope == scope_key(zones, narrow))
        return self.store.read(lambda c: c.execute(q).first()) is not None
