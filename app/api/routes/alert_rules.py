"""``/api/v1/alert-rules``: the rules that decide which events are alerts (`geo.alert_rules`).

Everyone may read them (a liaison sees why it gets what it gets); only admins change them. A
saved document is validated like the rules file, against the zones in the store, and refused
with ``422 invalid_rules`` naming the rule and the reason; a good one is stored, audited
(``alert_rules.update``, the rule ids before and after) and applied by the running pipeline to
events from its next batch on, and its narrowings to people's streams and webhooks at once.
What is open is reviewed at once (`app.pipeline.rule_change`, audited as
``alert_rules.review``): an alert the new rules would not raise is withdrawn unless a person
has taken it on, an open episode they would alert on is raised; resolved alerts are history.

On an API node of the bus (no engine here) the rules go to the engine workers as a message in
their record stream (`app.bus.rules_update`), which they triage with from that message on. If
the bus does not take it within `BUS_TIMEOUT_S` the answer is ``503 bus_unavailable``: the rules
are stored (a worker that starts reads them) and saving them again tells the running workers.
"""

from __future__ import annotations

import asyncio
from typing import Any

import anyio.from_thread
from fastapi import APIRouter, Body

from app.api.deps import CurrentUser, PipelineDep, RepoDep, ServicesDep, allow
from app.api.errors import ApiError
from app.bus.api_feed import ApiFeed
from app.identity import ALL_ROLES, Role
from app.pipeline.rule_change import review_open_alerts
from geo.alert_rules import parse_rules

#: Seconds the bus has to take new rules for every partition before the answer is a 503.
BUS_TIMEOUT_S = 10.0

router = APIRouter(prefix="/api/v1/alert-rules", tags=["alert rules"])


def _summary(document: dict[str, Any]) -> list[str]:
    return [str(r.get("id")) for r in document.get("rules", []) if isinstance(r, dict)]


@router.get("", dependencies=[allow(*ALL_ROLES)])
def get_rules(pipeline: PipelineDep) -> dict[str, Any]:
    """Return the rules in force (the document as saved, or as the rules file has it)."""
    return pipeline.triage.rules.to_dict()


@router.put("", dependencies=[allow(Role.ADMIN)])
def put_rules(
    user: CurrentUser,
    repo: RepoDep,
    services: ServicesDep,
    document: dict[str, Any] = Body(),  # noqa: B008
) -> dict[str, Any]:
    """Replace the rules; a bad one is refused naming the rule and why (nothing changes)."""
    rules = parse_rules(document, zone_ids={z.id for z in repo.list_zones()})
    pipeline = services.pipeline
    before = _summary(pipeline.triage.rules.to_dict())
    detail = {"before": before, "after": _summary(rules.to_dict())}
    repo.save_alert_rules(rules.to_dict(), user.username, detail)
    pipeline.set_rules(rules)
    services.identities_changed()  # narrowings: open streams and webhooks re-read at once
    if not services.settings.api_only:  # (an API node of the bus runs no engine)
        review_open_alerts(pipeline, repo, rules, user.username)
    elif services.bus_feed is not None:
        _tell_engine_workers(services.bus_feed, rules.to_dict())
    return rules.to_dict()


def _tell_engine_workers(feed: ApiFeed, document: dict[str, Any]) -> None:
    """Publish the rules to the engine workers from this route's thread (on the app's loop)."""

    async def publish() -> None:
        await asyncio.wait_for(feed.publish_rules(document), BUS_TIMEOUT_S)

    try:
        anyio.from_thread.run(publish)
    except TimeoutError:
        raise ApiError(
            503,
            "bus_unavailable",
            "the rules are saved, but the bus did not take them: running engine workers keep "
            "the old ones until they restart or the rules are saved again",
        ) from None
