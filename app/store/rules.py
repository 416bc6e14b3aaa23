"""The alert rules in force: the document an admin last saved, with its audit entry."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.store.repo_base import RepoBase
from app.wallclock import now_ms


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
