"""``/api/v1/cases``: a vessel made a case, notes, links, timeline, scope, audit, watchlist.

Each test runs on both backends (the ``svc`` fixture); the scenario is the two-zone one of the
conftest (IN_ALPHA crosses into zone alpha, IN_BETA into beta; the liaison has alpha).
"""

from __future__ import annotations

from typing import Any

from app.api.services import services_of
from geo.events import Event, EventKind, Severity
from tests.app.api.conftest import IN_ALPHA, IN_BETA, T0, Service, feed_scenario
from tests.app.api.nmea import position, static


def create(svc: Service, role: str = "analyst", **body: Any) -> Any:
    return svc.post("/api/v1/cases", role, json={"mmsi": IN_ALPHA, "title": "Mother ship", **body})


def audit(svc: Service, case_id: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = services_of(svc.app).repo.audit_of(f"case:{case_id}")
    return found


def test_a_case_with_notes_status_and_a_timeline_from_first_sighting(svc: Service) -> None:
    ids = feed_scenario(svc)
    r = create(svc, note="Seen towing two rubber boats", assignee="officer1")
    assert r.status_code == 201, r.text
    case = r.json()
    cid = case["id"]
    assert case["status"] == "open" and case["created_by"] == "analyst1"
    assert (
        svc.post(f"/api/v1/cases/{cid}/notes", "officer", json={"text": "Asked ITCG"}).status_code
        == 201
    )
    note = svc.get(f"/api/v1/cases/{cid}").json()["notes"][0]
    put = svc.client.put(
        f"/api/v1/cases/{cid}/notes/{note['id']}",
        headers=svc.headers("analyst"),
        json={"text": "Seen towing three rubber boats"},
    )
    assert put.status_code == 200, put.text
    assert put.json()["revisions"][0]["text"] == "Seen towing two rubber boats"
    patch = svc.client.patch(
        f"/api/v1/cases/{cid}",
        headers=svc.headers("officer"),
        json={"status": "handed_over", "note": "to the Italian coastguard"},
    )
    assert patch.status_code == 200 and patch.json()["status"] == "handed_over"

    full = svc.get(f"/api/v1/cases/{cid}", "liaison").json()  # IN_ALPHA is in alpha
    assert full["vessel"]["name"] == "ALFA STAR" and full["vessel"]["callsign"] == "IABC"
    assert [n["author"] for n in full["notes"]] == ["analyst1", "officer1"]
    assert full["notes"][0]["edited_by"] == "analyst1"
    assert [c["new"] for c in full["changes"]] == ["open", "handed_over"]

    items = svc.get(f"/api/v1/cases/{cid}/timeline", "officer").json()["items"]
    kinds = [i["kind"] for i in items]
    assert kinds[0] == "first_seen" and "positions" in kinds
    alerts = [i for i in items if i["kind"] == "alert"]
    assert [a["ref"] for a in alerts] == [ids["alpha"]]
    assert kinds.index("positions") < kinds.index("alert") < kinds.index("note")
    assert [i["time"] for i in items] == sorted(i["time"] for i in items)
    assert "12 positions" in next(i["text"] for i in items if i["kind"] == "positions")

    acts = [a["action"] for a in audit(svc, cid)]
    assert acts == ["case.create", "case.note", "case.note.edit", "case.update"]
    edit = audit(svc, cid)[2]["detail"]
    assert edit["old"] == "Seen towing two rubber boats"
    assert edit["new"] == "Seen towing three rubber boats"


def test_attachments_and_suggested_links(svc: Service) -> None:
    ids = feed_scenario(svc)
    cid = create(svc).json()["id"]
    t0 = svc.event_time()
    # a third vessel sends IN_ALPHA's callsign: the same radio, another MMSI
    svc.send(static(247_000_009, "NEW NAME", t0, callsign="IABC"))
    svc.send([position(247_000_009, 12.9, 35.9, t0 + 10)])
    repo = services_of(svc.app).repo
    met = Event(
        EventKind.ENCOUNTER,
        IN_ALPHA,
        T0 * 1000,
        T0 * 1000 + 3_600_000,
        35.2,
        12.1,
        Severity.HIGH,
        other_mmsi=IN_BETA,
        details={"summary": "met"},
    )
    repo.write_events([met])

    def suggested() -> dict[int, list[str]]:
        got = svc.get(f"/api/v1/cases/{cid}/suggestions").json()
        return {s["mmsi"]: s["reasons"] for s in got}

    found = svc.wait_for(lambda: 247_000_009 in suggested() and suggested())
    assert found[IN_BETA] == ["met it at sea 1 time, last 2026-09-21T14:13:20Z"]
    assert found[247_000_009] == ["sent the same callsign IABC"]

    link = svc.post(
        f"/api/v1/cases/{cid}/links",
        "analyst",
        json={"kind": "vessel", "ref": IN_BETA, "reason": "met at sea"},
    )
    assert link.status_code == 201, link.text
    assert IN_BETA not in suggested()
    ev = svc.post(f"/api/v1/cases/{cid}/links", json={"kind": "event", "ref": ids["alpha"]})
    assert ev.status_code == 201
    contact = {"time": "2026-09-21T14:20:00Z", "lat": 35.25, "lon": 12.25, "kind": "aircraft"}
    stored = svc.post("/api/v1/contacts", "officer", json=contact).json()["contacts"][0]["id"]
    assert (
        svc.post(f"/api/v1/cases/{cid}/links", json={"kind": "contact", "ref": stored}).status_code
        == 201
    )
    full = svc.get(f"/api/v1/cases/{cid}").json()
    items = svc.get(f"/api/v1/cases/{cid}/timeline").json()["items"]
    seen = [i for i in items if i["kind"] == "contact"]
    assert [(i["ref"], i["time"]) for i in seen] == [(stored, "2026-09-21T14:20:00Z")]
    assert seen[0]["text"] == "aircraft contact at 35.2500, 12.2500"
    att = full["attached"]
    assert [v["mmsi"] if "mmsi" in v else v["ref"] for v in att["linked_vessels"]] == [IN_BETA]
    assert att["linked_vessels"][0]["name"] == "BRAVO"
    assert [e["id"] for e in att["events"]] == [ids["alpha"]]
    assert [c["id"] for c in att["contacts"]] == [stored]
    gone = svc.client.delete(
        f"/api/v1/cases/{cid}/links/{link.json()['id']}", headers=svc.headers("officer")
    )
    assert gone.status_code == 204
    actions = [a["action"] for a in audit(svc, cid)]
    assert actions == ["case.create", "case.link", "case.link", "case.link", "case.unlink"]


def test_bad_input_is_a_clear_4xx_never_a_500(svc: Service) -> None:
    feed_scenario(svc)
    cid = create(svc).json()["id"]
    bad_posts: list[tuple[str, Any, int]] = [
        ("/api/v1/cases", {"mmsi": IN_ALPHA, "title": "x", "status": "pending"}, 422),
        ("/api/v1/cases", {"mmsi": IN_ALPHA, "title": "   "}, 422),
        ("/api/v1/cases", {"mmsi": 0, "title": "x"}, 422),
        ("/api/v1/cases", {"mmsi": "abc", "title": "x"}, 422),
        ("/api/v1/cases", {"title": "x"}, 422),
        ("/api/v1/cases", ["not", "an", "object"], 422),
        (f"/api/v1/cases/{cid}/notes", {"text": ""}, 422),
        (f"/api/v1/cases/{cid}/notes", {"text": " \n "}, 422),
        (f"/api/v1/cases/{cid}/notes", {"text": "x" * 8001}, 422),
        ("/api/v1/cases/999/notes", {"text": "x"}, 404),
        (f"/api/v1/cases/{cid}/links", {"kind": "ship", "ref": 1}, 422),
        (f"/api/v1/cases/{cid}/links", {"kind": "event", "ref": 987654}, 404),
        (f"/api/v1/cases/{cid}/links", {"kind": "contact", "ref": 987654}, 404),
        (f"/api/v1/cases/{cid}/links", {"kind": "vessel", "ref": IN_ALPHA}, 409),
        (f"/api/v1/cases/{cid}/links", {"kind": "vessel", "ref": -4}, 422),
        ("/api/v1/cases/99999999999/notes", {"text": "x"}, 422),
    ]
    for path, body, code in bad_posts:
        r = svc.post(path, "analyst", json=body)
        assert r.status_code == code, (path, body, r.status_code, r.text)
    assert (
        svc.post(f"/api/v1/cases/{cid}/links", json={"kind": "vessel", "ref": IN_BETA}).status_code
        == 201
    )
    again = svc.post(f"/api/v1/cases/{cid}/links", json={"kind": "vessel", "ref": IN_BETA})
    assert again.status_code == 409
    raw = svc.client.post(
        "/api/v1/cases",
        headers={**svc.headers("admin"), "Content-Type": "application/json"},
        content=b"{nope",
    )
    assert raw.status_code == 422
    h = svc.headers("officer")
    assert (
        svc.client.patch(f"/api/v1/cases/{cid}", headers=h, json={"status": "x"}).status_code == 422
    )
    assert (
        svc.client.patch("/api/v1/cases/999", headers=h, json={"status": "closed"}).status_code
        == 404
    )
    assert (
        svc.client.put(f"/api/v1/cases/{cid}/notes/77", headers=h, json={"text": "x"}).status_code
        == 404
    )
    assert svc.client.delete(f"/api/v1/cases/{cid}/links/77", headers=h).status_code == 404
    assert svc.get("/api/v1/cases/999").status_code == 404
    assert svc.get("/api/v1/cases/999/timeline").status_code == 404
    assert svc.get("/api/v1/cases?status=pending").status_code == 422
    # liaisons read only
    assert create(svc, "liaison").status_code == 403
    assert svc.post(f"/api/v1/cases/{cid}/notes", "liaison", json={"text": "x"}).status_code == 403
    assert svc.get(f"/api/v1/cases/{cid}/suggestions", "liaison").status_code == 403
    assert [a["action"] for a in audit(svc, cid)] == ["case.create", "case.link"]


def test_a_liaison_reads_only_the_cases_that_touch_its_zones(svc: Service) -> None:
    feed_scenario(svc)
    mine = create(svc).json()["id"]
    other = create(svc, mmsi=IN_BETA, title="Beta boat").json()["id"]
    linked = create(svc, mmsi=IN_BETA, title="Beta, met alpha").json()["id"]
    assert (
        svc.post(
            f"/api/v1/cases/{linked}/links", json={"kind": "vessel", "ref": IN_ALPHA}
        ).status_code
        == 201
    )
    seen = [c["id"] for c in svc.get("/api/v1/cases", "liaison").json()]
    assert seen == [linked, mine]
    assert [c["id"] for c in svc.get("/api/v1/cases").json()] == [linked, other, mine]
    for suffix in ("", "/timeline"):
        assert svc.get(f"/api/v1/cases/{other}{suffix}", "liaison").status_code == 404
        assert svc.get(f"/api/v1/cases/{mine}{suffix}", "liaison").status_code == 200
    # the linked case's own vessel is beta's: its beta alert stays out of the liaison's view
    items = svc.get(f"/api/v1/cases/{linked}/timeline", "liaison").json()["items"]
    assert not [i for i in items if i["kind"] == "alert"]
    every = svc.get(f"/api/v1/cases/{linked}/timeline").json()["items"]
    assert [i for i in every if i["kind"] == "alert"]
    assert [c["id"] for c in svc.get(f"/api/v1/cases?mmsi={IN_BETA}", "liaison").json()] == [linked]


def test_a_case_puts_its_vessel_on_the_watchlist_and_the_hit_names_the_case(svc: Service) -> None:
    feed_scenario(svc)
    vessel = 247_000_031
    cid = create(svc, mmsi=vessel, title="Fishing boat seen with migrants", watch=True).json()["id"]
    watch = svc.get("/api/v1/watchlist").json()
    assert [(w["mmsi"], w["note"]) for w in watch] == [
        (vessel, f"case {cid}: Fishing boat seen with migrants")
    ]
    assert svc.get(f"/api/v1/cases/{cid}").json()["watch_entry"] == watch[0]["id"]
    t0 = svc.event_time()
    svc.send([position(vessel, 12.2, 35.1, t0 + k * 60) for k in range(3)])

    def hit() -> Any:
        items = svc.get(f"/api/v1/alerts?kind=watchlist_match&mmsi={vessel}").json()["items"]
        return items[0] if items else None

    alert = svc.wait_for(hit, timeout=20)
    assert alert["details"]["case_id"] == cid
    # a case made after a hit links the hit that came before it
    closed = svc.client.patch(
        f"/api/v1/cases/{cid}", headers=svc.headers("admin"), json={"status": "closed"}
    )
    assert closed.status_code == 200
    assert create(svc, mmsi=vessel, title="Again").status_code == 201
    assert hit()["details"]["case_id"] == cid  # the hit keeps the case it named
