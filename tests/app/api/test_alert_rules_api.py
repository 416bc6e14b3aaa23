"""Alert rules through the API on the running service: read, refused, saved, audited, applied."""

from __future__ import annotations

from typing import Any

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
    assert service.app.state.repo.audit_of("alert_rules") == []


def test_saved_rules_are_audited_and_decide_the_next_events(service: Service) -> None:
    r = service.client.put("/api/v1/alert-rules", headers=service.headers("admin"), json=BETA_ONLY)
    assert r.status_code == 200, r.text
    [entry] = service.app.state.repo.audit_of("alert_rules")
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
    assert service.app.state.repo.alert_rules_document() == BETA_ONLY
