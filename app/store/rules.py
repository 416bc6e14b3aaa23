"""The alert rules in force (the document an admin last saved, audited) and their review.

When an admin changes the rules, a watch officer expects the open list to follow (an alert the
new rules would not raise goes, an open episode they would alert on comes), but not to lose
what a person has taken on, nor history to be rewritten. `open_alerts` and `review_alerts` are
the store's half of that review (`app.pipeline.rule_change` decides): alerts not yet resolved
are decided again; one the rules no longer raise is withdrawn (kept as an event on the vessel,
``alert`` false) unless someone acknowledged, assigned or commented on it, and then it stays,
listed as kept in hand; resolved alerts are left as they were. One audit entry says what moved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from app.store.repo_base import RepoBase
from app.wallclock import now_ms
from geo.alert_rules import Decision
from geo.events import Event, EventKind, Severity


@dataclass(frozen=True, slots=True)
class OpenAlert:
    """An alert not resolved, as stored: its episode and whether a person has taken it on."""

    id: int
    key: str
    event: Event  # severity: the alert's
    rule: str | None
    in_hand: bool  # acknowledged, assigned or commented


class RulesRepo(RepoBase):
    """One row of ``alert_rules``: None until an admin saves rules (the file applies then)."""

    def alert_rules_document(self) -> dict[str, Any] | None:
        """Return the saved rules document, or None when none was ever saved."""
        t = self.store.tables["alert_rules"]
        row = self.store.read(lambda c: c.execute(select(t.c.document).where(t.c.id == 1)).first())
        return None if row is None else dict(row[0])

    def save_alert_rules(self, document: dict[str, Any], user: str, detail: dict[str, Any]) -> None:
        """Replace the rules and write the audit entry in one transaction."""
        t = self.store.tables["alert_rules"]
        values = {"document": document, "updated_at": now_ms(), "updated_by": user}

        def run(c: Any) -> None:
            if c.execute(select(t.c.id).where(t.c.id == 1)).first() is None:
                c.execute(t.insert().values(id=1, **values))
            else:
                c.execute(t.update().where(t.c.id == 1).values(**values))
            self._audit(c, user, "alert_rules.update", "alert_rules", detail)  # type: ignore[attr-defined]

        self.store.write(run, "saving the alert rules")

    def open_alerts(self) -> list[OpenAlert]:
        """Return every alert not resolved, oldest first."""
        e = self.store.tables["events"]
        q = select(e).where(e.c.alert, e.c.state != "resolved").order_by(e.c.id)
        out = []
        for r in self.store.read(lambda c: c.execute(q).all()):
            ev = Event(
                EventKind(r.kind), int(r.mmsi), int(r.start_time),
                None if r.end_time is None else int(r.end_time), r.lat, r.lon,
                Severity(r.severity), zone=r.zone, other_mmsi=r.other_mmsi,
                details=dict(r.details or {}),
            )  # fmt: skip
            in_hand = r.state != "new" or r.assignee is not None or bool(r.comments)
            out.append(OpenAlert(int(r.id), str(r.key), ev, r.rule, in_hand))
        return out

    def recorded_only(self, keys: Sequence[str]) -> set[str]:
        """Return which episode keys are stored as events that are not alerts."""
        if not keys:
            return set()
        e = self.store.tables["events"].c
        q = select(e.key).where(e.key.in_(list(keys)), ~e.alert)
        return {str(r.key) for r in self.store.read(lambda c: c.execute(q).all())}

    def review_alerts(
        self,
        decided: Sequence[tuple[OpenAlert, Decision]],
        user: str,
        raised: Sequence[int] = (),
    ) -> tuple[list[int], dict[str, list[int]]]:
        """Apply the new rules' decisions to open alerts; audit what moved (module docstring).

        Returns the ids whose alert changed (to publish again) and the audit's detail:
        ``withdrawn``, ``kept_in_hand`` (no longer raised, but a person has it), ``changed``
        (rule or severity) and ``raised`` (open episodes made alerts, written by the caller).
        """
        e = self.store.tables["events"]
        detail: dict[str, list[int]] = {"withdrawn": [], "kept_in_hand": [], "changed": [],
                                        "raised": sorted(raised)}  # fmt: skip
        stamp = now_ms()

        def run(c: Any) -> None:
            for a, d in decided:
                values: dict[str, Any] = {}
                if not d.alert and not a.in_hand:
                    values = {"alert": False, "rule": d.rule, "severity": d.severity.value}
                    detail["withdrawn"].append(a.id)
                elif not d.alert:
                    detail["kept_in_hand"].append(a.id)
                elif d.rule != a.rule or d.severity is not a.event.severity:
                    values = {"rule": d.rule, "severity": d.severity.value}
                    detail["changed"].append(a.id)
                if values:
                    c.execute(update(e).where(e.c.id == a.id).values(**values, updated_at=stamp))
            if any(detail.values()):
                self._audit(c, user, "alert_rules.review", "alert_rules", detail)  # type: ignore[attr-defined]

        self.store.write(run, "reviewing alerts under new rules")
        return sorted(detail["withdrawn"] + detail["changed"]), detail
