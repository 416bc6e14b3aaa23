"""One case as its reader may see it: the case, its vessel, events, attachments and timeline.

The route that shows a case, the one that exports its dossier and ``mare case export`` all read
it here, so the dossier holds exactly what the reader's screen holds (a liaison's, only the
events of its zones: the one scope rule, `app.auth.scope.Scope`).
"""

from __future__ import annotations

from typing import Any

from app.auth.scope import Scope, zone_ids_at
from app.store.alerts import AlertFilter
from app.store.contacts import list_contacts
from app.store.repo import Repo


def check_case(repo: Repo, scope: Scope, case_id: int) -> None:
    """Raise `NotFound` for a case that does not exist, `OutOfScope` for one the scope lacks."""
    reach = repo.case_reach([case_id])
    if case_id not in reach:
        from app.store.errors import NotFound

        raise NotFound(f"case {case_id}")
    mmsis, zones = reach[case_id]
    scope.check_case(repo, case_id, mmsis, zones)


def visible_cases(repo: Repo, scope: Scope, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the cases of a list that touch the scope (all of them for everyone but liaisons)."""
    if scope.zones is None:
        return cases
    reach = repo.case_reach(c["id"] for c in cases)
    sees = scope.case_filter(repo)
    return [c for c in cases if sees(*reach[c["id"]])]


def _attached(
    repo: Repo, case: dict[str, Any], events: list[dict[str, Any]], scope: Scope
) -> dict[str, Any]:
    """Return the attachments resolved: linked vessels with names, contacts and events in full."""
    refs: dict[str, list[int]] = {"vessel": [], "contact": [], "event": []}
    for ln in case["links"]:
        refs[ln["kind"]].append(ln["ref"])
    linked = []
    for ln in case["links"]:
        if ln["kind"] == "vessel":
            ident = repo.vessel_identity(ln["ref"])
            linked.append({**ln, "name": ident["name"], "imo": ident["imo"],
                           "callsign": ident["callsign"], "flag": ident["flag"]})  # fmt: skip
    contacts = []
    if refs["contact"]:
        zones = repo.list_zones()
        for c in list_contacts(repo.store, ids=refs["contact"], limit=len(refs["contact"])):
            at = zone_ids_at(zones, c.contact.lon, c.contact.lat)
            if scope.sees_any_zone(at):
                contacts.append({**c.to_dict(), "zones": at})
    by_id = {e["id"]: e for e in events}
    attached_events = []
    for ref in refs["event"]:
        ev = by_id.get(ref) or repo.get_alert(ref)
        if ev is not None and scope.sees_alert(ev):
            attached_events.append(ev)
    return {"linked_vessels": linked, "contacts": contacts, "events": attached_events}


def load_case(repo: Repo, scope: Scope, case_id: int) -> dict[str, Any]:
    """Return everything a case shows, for the route, the dossier and the CLI alike.

    Keys: ``case``, ``vessel``, ``track``, ``events``, ``events_total``, ``attached`` and
    ``timeline``. Raises `NotFound` or `OutOfScope` (both 404s) before reading anything else.
    """
    check_case(repo, scope, case_id)
    case = repo.get_case(case_id)
    vessel = repo.vessel_identity(case["mmsi"])
    track = repo.case_track(case["mmsi"])
    f = AlertFilter(zones=scope.narrow_zones(None), narrow=scope.narrow)
    events, total = repo.case_events(case["mmsi"], f)
    attached = _attached(repo, case, events, scope)
    return {
        "case": case,
        "vessel": vessel,
        "track": track,
        "events": events,
        "events_total": total,
        "attached": attached,
        "timeline": repo.timeline(case, vessel, track, events, attached["contacts"]),
    }
