"""New alert rules applied to what is open now, as a watch officer expects (`app.store.rules`).

Rules change what the pipeline decides from its next batch on; this review brings the open
list into line at once. Each alert not resolved is decided again under the new rules on what
the engine knows of its vessel now (the engine's own version of the episode where it still
holds it, so the rule sees the detector's severity, not one a rule or the vessel's risk raised);
an episode still open that was only recorded becomes an alert if the new rules say so (folded
into its situation's alert as any new one). Withdrawn and changed alerts are published again
(``alert: false`` tells a dashboard to drop one), raised ones as new. Resolved alerts, and
closed episodes that were only recorded, are history: left as they were.

The engine is the pipeline's loop's: it is read there (`Pipeline.call_on_loop`); the store is
written from the caller's thread. On an API node of the bus (no engine here) nothing is
reviewed: the rules go to the engine workers in their record stream (`app.bus.rules_update`).
"""

from __future__ import annotations

import logging

from app.pipeline.runner import Pipeline
from app.store.alerts import event_key
from app.store.repo import Repo
from geo.alert_rules import AlertRules
from geo.events import Event
from geo.triage import Triage, Triaged

log = logging.getLogger("app.pipeline.rule_change")


def review_open_alerts(
    pipeline: Pipeline, repo: Repo, rules: AlertRules, user: str
) -> dict[str, list[int]]:
    """Decide open alerts and open recorded episodes again under ``rules``; audited.

    Returns what moved (alert ids): ``withdrawn``, ``kept_in_hand``, ``changed``, ``raised``.
    """
    alerts = repo.open_alerts()
    engine = pipeline.engine

    def current() -> tuple[list[Event], list[Event]]:
        held = [engine.book.get(a.event.mmsi, {}).get(a.event.key(), a.event) for a in alerts]
        still_open = [
            ev for evs in engine.book.values() for ev in evs.values() if ev.end_ms is None
        ]
        return held, still_open

    held, still_open = pipeline.call_on_loop(current)
    known = {a.key for a in alerts}
    unique = {event_key(ev): ev for ev in still_open if event_key(ev) not in known}
    recorded = repo.recorded_only(sorted(unique))
    candidates = [unique[k] for k in sorted(recorded)]
    triage = Triage(engine, rules)
    decided: list[Triaged] = pipeline.call_on_loop(lambda: triage.decide(held + candidates))
    mine, theirs = decided[: len(held)], decided[len(held) :]
    raised_alerts = repo.write_events([t for t in theirs if t.decision.alert])
    raised = [int(a["id"]) for a in raised_alerts]
    pairs = [(a, t.decision) for a, t in zip(alerts, mine, strict=True)]
    changed, detail = repo.review_alerts(pairs, user, raised)
    again = [a for a in (repo.get_alert(i) for i in changed) if a is not None]
    publish = raised_alerts + again

    def send() -> None:
        for alert in publish:
            pipeline.hub.publish_alert(alert)
            pipeline.counters.alerts_published += 1

    pipeline.call_on_loop(send)
    log.info(
        "alert rules changed by %s: %d alerts withdrawn, %d kept in hand, %d changed, %d raised",
        user, *(len(detail[k]) for k in ("withdrawn", "kept_in_hand", "changed", "raised")),
    )  # fmt: skip
    return detail
