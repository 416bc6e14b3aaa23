"""Alert rules through the API on the running service: read, refused, saved, audited, applied."""

from __future__ import annotations

from typing import Any

from app.api.services import services_of
from tests.app.api.conftest import Service, crossing

#: Only entries into beta are alerts; everything else is recorded on the vessel.
BETA_ONLY: dict[str, Any] = {
    "rules": [
        {"id": "beta-entries", "description": "Entries into beta.",
         "when": {"kinds": ["zone_entry"], "zones": ["beta"]}, "then": "alert", "severity": "high"},
        {"id": "rest", "when": {}, "then": "event"},
    ]
}  # fmt: skip


def test_everyone_reads_the_rules_and_only_admins_change_them(service: Service) -> None:
    for role in ("admin", "officer", "analyst", "liaison"):
        r = service.get("/api/v1/alert-rules", role)
        assert r.status_code == 200 and r.json()["rules"][0]["id"] == "everything"
    r = service.client.put(
        "/api/v1/alert-rules", headers=service.headers("officer"), json=BETA_ONLY
    )
    assert r.status_code == 403


def test_a_bad_rule_is_refused_naming_it_and_nothing_changes(service: Service) -> None:
    bad = {"rules": [{"id": "gamma", "when": {"zones": ["gamma"]}, "then": "alert"}]}
    r = service.client.put("/api/v1/alert-rules", headers=service.headers("admin"), json=bad)
    assert r.status_code == 422
    assert r.json()["error"] == "invalid_rules"
    assert "rule 'gamma': unknown zones 'gamma'" in r.json()["message"]
    assert service.get("/api/v1/alert-rules").json()["rules"][0]["id"] == "everything"
    assert services_of(service.app).repo.audit_of("alert_rules") == []


def test_saved_rules_are_audited_and_decide_the_next_events(service: Service) -> None:
    r = service.client.put("/api/v1/alert-rules", headers=service.headers("admin"), json=BETA_ONLY)
    assert r.status_code == 200, r.text
    [entry] = services_of(service.app).repo.audit_of("alert_rules")
    assert entry["user"] == "admin" and entry["action"] == "alert_rules.update"
    assert entry["detail"] == {"before": ["everything"], "after": ["beta-entries", "rest"]}
    assert service.get("/api/v1/alert-rules", "liaison").json() == BETA_ONLY
    # a vessel crosses alpha, another enters and leaves beta
    service.send(crossing(247000011, 11.95, 35.2) + crossing(247000012, 12.95, 35.2, steps=62))

    def settled() -> list[dict[str, Any]] | None:
        items = service.get("/api/v1/alerts").json()["items"]
        related = items and items[0]["related"]
        return items if related else None

    items = service.wait_for(settled, timeout=20)
    assert [(a["mmsi"], a["kind"], a["zone"], a["rule"]) for a in items] == [
        (247000012, "zone_entry", "beta", "beta-entries")
    ]
    assert [x["kind"] for x in items[0]["related"]] == ["zone_exit"]  # one situation, one alert
    assert service.get("/api/v1/stats").json()["alerts_open"] == 1
    alpha = service.get("/api/v1/vessels/247000011").json()["recent_events"]
    assert ("zone_entry", False, "rest") in [(e["kind"], e["alert"], e["rule"]) for e in alpha]
    assert not any(e["alert"] for e in alpha)  # recorded on the vessel (it went dark too), no alert
    # the rules survive a restart of the service: they are the store's now
    assert services_of(service.app).repo.alert_rules_document() == BETA_ONLY


#: Entries of Maltese vessels low, of the others high; liaisons keep only high and above.
LIAISONS_HIGH: dict[str, Any] = {
    "rules": [
        {"id": "maltese", "when": {"kinds": ["zone_entry"], "flags": ["MT"]}, "then": "alert",
         "severity": "low"},
        {"id": "entries", "when": {"kinds": ["zone_entry"]}, "then": "alert", "severity": "high"},
        {"id": "rest", "when": {}, "then": "event"},
    ],
    "narrow": [
        {"id": "liaisons-high", "applies_to": {"roles": ["liaison"]},
         "keep": {"min_severity": "high"}},
    ],
}  # fmt: skip
ITALIAN, MALTESE, IN_BETA = 247000021, 215000022, 247000023


def test_a_liaison_gets_its_zones_alerts_narrowed_by_the_rules_that_apply_to_it(
    service: Service,
) -> None:
    from app.api.push.stream_auth import alert_filter_for

    def put(doc: dict[str, Any]) -> None:
        r = service.client.put("/api/v1/alert-rules", headers=service.headers("admin"), json=doc)
        assert r.status_code == 200, r.text

    put(LIAISONS_HIGH)
    # two vessels into alpha (the liaison's zone), one into beta (not its zone)
    service.send(
        crossing(ITALIAN, 11.95, 35.2) + crossing(MALTESE, 11.95, 35.3)
        + crossing(IN_BETA, 12.95, 35.2)
    )  # fmt: skip

    def three() -> list[dict[str, Any]] | None:
        items = service.get("/api/v1/alerts", "officer").json()["items"]
        return items if len(items) == 3 else None

    everything = sorted(service.wait_for(three, timeout=20), key=lambda a: a["mmsi"])
    assert [(a["mmsi"], a["zone"], a["severity"]) for a in everything] == [
        (MALTESE, "alpha", "low"),
        (ITALIAN, "alpha", "high"),
        (IN_BETA, "beta", "high"),
    ]
    mine = service.get("/api/v1/alerts", "liaison").json()["items"]
    assert [(a["mmsi"], a["zone"]) for a in mine] == [(ITALIAN, "alpha")]
    assert service.get("/api/v1/stats", "liaison").json()["alerts_open"] == 1
    assert service.get("/api/v1/stats", "officer").json()["alerts_open"] == 3
    assert service.get(f"/api/v1/alerts/{everything[0]['id']}", "liaison").status_code == 404
    # the streams ask the same rule of the same user
    liaison = services_of(service.app).auth.authenticate(service.tokens["liaison"])
    assert liaison is not None and [n.id for n in liaison.narrow] == ["liaisons-high"]
    keep = alert_filter_for(liaison)
    assert keep is not None and [keep(a) for a in everything] == [False, True, False]
    officer = services_of(service.app).auth.authenticate(service.tokens["officer"])
    assert officer is not None and officer.narrow == () and alert_filter_for(officer) is None
    # a narrowing never widens: one that keeps only beta leaves the liaison of alpha nothing
    put(
        {
            **LIAISONS_HIGH,
            "narrow": [
                *LIAISONS_HIGH["narrow"],
                {
                    "id": "beta-only",
                    "applies_to": {"users": ["liaison1"]},
                    "keep": {"zones": ["beta"]},
                },
            ],
        }
    )
    assert service.get("/api/v1/alerts", "liaison").json()["items"] == []
    assert service.get("/api/v1/stats", "liaison").json()["alerts_open"] == 0


A_IN_HAND, B_UNTOUCHED, C_IN_BETA = 247000031, 247000032, 247000033


def test_changed_rules_review_open_alerts_keeping_what_a_person_has_in_hand(svc: Service) -> None:
    every = svc.get("/api/v1/alert-rules").json()

    def put(doc: dict[str, Any]) -> None:
        r = svc.client.put("/api/v1/alert-rules", headers=svc.headers("admin"), json=doc)
        assert r.status_code == 200, r.text

    # every event an alert: two vessels into alpha, one into beta; then they fall silent while
    # a fourth, away from the zones, sails on for three hours
    svc.send(
        crossing(A_IN_HAND, 11.95, 35.2) + crossing(B_UNTOUCHED, 11.95, 35.3)
        + crossing(C_IN_BETA, 12.95, 35.2) + crossing(247000039, 11.0, 36.5, steps=62)
    )  # fmt: skip

    def entries() -> dict[int, dict[str, Any]] | None:
        items = svc.get("/api/v1/alerts?kind=zone_entry").json()["items"]
        found = {a["mmsi"]: a for a in items}
        return found if len(found) == 3 else None

    def gaps() -> set[int] | None:
        items = svc.get("/api/v1/alerts?kind=ais_gap").json()["items"]
        found = {a["mmsi"] for a in items if a["end"] is None}
        return found if len(found) == 3 else None

    entry = svc.wait_for(entries, timeout=20)
    svc.wait_for(gaps, timeout=20)
    a_id = entry[A_IN_HAND]["id"]
    assert svc.post(f"/api/v1/alerts/{a_id}/acknowledge", "officer").status_code == 200
    put(BETA_ONLY)
    # B's entry and every dark vessel's alert withdrawn (events on the vessel now), A's entry
    # kept (the officer has it), C's entry decided by the new rule; resolved ones untouched
    now = {(a["mmsi"], a["kind"]): a for a in svc.get("/api/v1/alerts").json()["items"]}
    assert set(now) == {(A_IN_HAND, "zone_entry"), (C_IN_BETA, "zone_entry")}
    assert now[(C_IN_BETA, "zone_entry")]["rule"] == "beta-entries"
    assert now[(C_IN_BETA, "zone_entry")]["severity"] == "high"
    b = svc.get(f"/api/v1/vessels/{B_UNTOUCHED}").json()["recent_events"]
    assert {(e["kind"], e["alert"]) for e in b} >= {("zone_entry", False), ("ais_gap", False)}
    [review] = [
        e for e in services_of(svc.app).repo.audit_of("alert_rules")
        if e["action"] == "alert_rules.review"
    ]  # fmt: skip
    assert review["user"] == "admin"
    assert review["detail"]["kept_in_hand"] == [a_id]
    assert entry[B_UNTOUCHED]["id"] in review["detail"]["withdrawn"]
    assert len(review["detail"]["withdrawn"]) == 1 + 3  # B's entry, three "went dark"
    # back to every event an alert: the vessels still dark are alerts again; B's entry, over
    # and done with, stays an event
    put(every)
    again = {(a["mmsi"], a["kind"]) for a in svc.get("/api/v1/alerts").json()["items"]}
    assert {(m, "ais_gap") for m in (A_IN_HAND, B_UNTOUCHED, C_IN_BETA)} <= again
    assert (B_UNTOUCHED, "zone_entry") not in again
