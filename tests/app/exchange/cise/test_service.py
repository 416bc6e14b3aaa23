"""The exchange in a running service: pushes out to a real HTTP partner, pushes in over HTTP.

The service (create_app on SQLite, real uvicorn, real UDP AIS in) has two partners: Malta,
whose agreement covers zone entries of zone ``alpha`` and whose endpoint is a real HTTP
receiver on 127.0.0.1, and Tunisia, which only sends. Nothing is mocked.
"""

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.exchange.cise.entities import Sender, VesselFacts, event_element, vessel_element
from app.exchange.cise.envelope import PushMeta, build_push, read_push
from app.exchange.cise.validate import parse_xml, serialize
from tests.app.api.conftest import IN_ALPHA, IN_BETA, Service, feed_scenario, make_settings, start
from tests.app.push.servers import Receiver, serve

MALTA_IN = "from-malta-" + "m" * 20
TUNIS_IN = "from-tunis-" + "t" * 20
TUNIS = Sender(authority="Garde Nationale Tunis", service_id="tn.gn.node1")


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[Receiver, str]]:
    rec = Receiver(script=[503, 503, 200])  # down twice, then up: the push is retried
    with serve(rec) as port:
        yield rec, f"http://127.0.0.1:{port}/cise/push"


@pytest.fixture(scope="module")
def svc(
    tmp_path_factory: pytest.TempPathFactory, receiver: tuple[Receiver, str]
) -> Iterator[Service]:
    tmp = tmp_path_factory.mktemp("cise")
    _, url = receiver
    partners = {
        "partners": [
            {"id": "mt-afm", "authority": "Armed Forces of Malta", "service_id": "mt.afm.node1",
             "url": url, "outbound_token": "to-malta", "inbound_token": MALTA_IN,
             "send": {"zones": ["alpha"], "kinds": ["zone_entry"]}},
            {"id": "tn-gn", "authority": "Garde Nationale Tunis", "service_id": "tn.gn.node1",
             "inbound_token": TUNIS_IN},
        ]
    }  # fmt: skip
    path = tmp / "partners.json"
    path.write_text(json.dumps(partners))
    settings = make_settings(
        tmp, f"sqlite:///{tmp / 'mare.sqlite'}", cise_partners_file=path,
        cise_allowlist=url.rsplit("/", 2)[0], cise_service_id="it.roc.mare",
        cise_authority="Italian Navy ROC",
    )  # fmt: skip
    yield from start(settings)


@pytest.fixture(scope="module")
def scenario(svc: Service) -> dict[str, int]:
    return feed_scenario(svc)


def test_an_alert_an_agreement_covers_is_pushed_retried_and_audited(
    svc: Service, scenario: dict[str, int], receiver: tuple[Receiver, str]
) -> None:
    rec, _ = receiver
    svc.wait_for(lambda: len(rec.got) >= 3, timeout=30)
    assert [r.headers["authorization"] for r in rec.got] == ["Bearer to-malta"] * 3
    bodies = {r.body for r in rec.got}
    assert len(bodies) == 1  # a retry resends the same message
    push = read_push(parse_xml(rec.got[0].body))  # valid envelope, valid entities
    assert push.sender_service_id == "it.roc.mare"
    anomaly, vessel = push.entities
    assert anomaly.findtext("Metadata/Designation") == "mare:zone_entry"
    assert anomaly.findtext("LocationRel/Location/Metadata/Designation") == "zone:alpha"
    assert vessel.findtext("MMSI") == str(IN_ALPHA) and vessel.findtext("Name") == "ALFA STAR"
    assert anomaly.findtext("Identifier/GeneratedBy/LegalName") == "Italian Navy ROC"

    def audited() -> list[dict[str, Any]] | None:
        entries = svc.get(f"/api/v1/alerts/{scenario['alpha']}/audit").json()
        cise = [e for e in entries if e["action"].startswith("cise.")]
        return cise if any(e["action"] == "cise.push.sent" for e in cise) else None

    entries = svc.wait_for(audited)
    assert [e["action"] for e in entries] == ["cise.push.failed"] * 2 + ["cise.push.sent"]
    assert entries[0]["user"] == "cise:mt-afm" and entries[0]["detail"]["status"] == 503
    assert entries[2]["detail"]["message_id"] == push.message_id
    # zone beta is outside the agreement: never sent, nothing audited
    beta = svc.get(f"/api/v1/alerts/{scenario['beta']}/audit").json()
    assert not [e for e in beta if e["action"].startswith("cise.")]
    assert all(f"<MMSI>{IN_BETA}</MMSI>" not in r.body.decode() for r in rec.got)
    partners = svc.get("/api/v1/cise/partners").json()
    assert partners["outbound"]["ok"] == 1 and partners["outbound"]["retried"] == 2


def tunis_push(*entities: Any, sender: str = "tn.gn.node1") -> bytes:
    meta = PushMeta(message_id=str(uuid.uuid4()), created_ms=int(time.time() * 1000),
                    sender_service_id=sender, recipient_service_id="it.roc.mare",
                    priority="High")  # fmt: skip
    return serialize(build_push(meta, list(entities)))


def gap_push(mmsi: int = 672111222) -> bytes:
    gap = {"kind": "ais_gap", "mmsi": mmsi, "other_mmsi": None, "zone": None,
           "start": "2026-09-21T10:00:00Z", "end": None, "lat": 33.2, "lon": 11.9,
           "severity": "medium", "details": {"summary": "went dark off Zarzis"}}  # fmt: skip
    facts = VesselFacts(mmsi=mmsi, name="SIDI BOU")
    return tunis_push(
        event_element(gap, sender=TUNIS, vessels={mmsi: facts}), vessel_element(facts, sender=TUNIS)
    )


def post_push(svc: Service, body: bytes, token: str | None = TUNIS_IN) -> Any:
    headers = {"Content-Type": "application/xml"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return svc.client.post("/api/v1/cise/push", content=body, headers=headers)


def partner_alerts(svc: Service) -> list[dict[str, Any]]:
    items = svc.get("/api/v1/alerts?kind=ais_gap").json()["items"]
    return [a for a in items if (a["details"].get("source") or {}).get("via") == "cise"]


def test_a_partners_push_becomes_an_alert_marked_with_its_authority(svc: Service) -> None:
    r = post_push(svc, gap_push())
    assert r.status_code == 200, r.text
    ack = parse_xml(r.content)
    assert ack.findtext("AckCode") == "Success"
    [alert] = partner_alerts(svc)
    assert alert["mmsi"] == 672111222 and alert["severity"] == "medium"
    assert alert["details"]["source"]["authority"] == "Garde Nationale Tunis"
    assert alert["details"]["summary"] == "Garde Nationale Tunis: went dark off Zarzis"
    assert alert["state"] == "new" and alert["end"] is None
    # the same entity pushed again updates its alert rather than adding one
    assert post_push(svc, gap_push()).status_code == 200
    assert len(partner_alerts(svc)) == 1
    # ... and nothing a partner sent is pushed on to another partner
    received = svc.get("/api/v1/cise/partners").json()["outbound"]
    assert received.get("ok", 0) <= 1


@pytest.mark.parametrize(
    ("mutate", "status", "detail"),
    [
        (lambda b: b.replace(b"<MMSI>672999001", b"<MMSI>not-a-number"), 422,
         "/Push/Payload/Anomaly[1]/InvolvedObjectRel/Object/MMSI"),
        (lambda b: b.replace(b"WithoutAISTransmission", b"Smuggling"), 422,
         "/Push/Payload/Anomaly[1]/AnomalyType"),
        (lambda b: b.replace(b"<MessageID>", b"<MessageId>").replace(b"</MessageID>",
                                                                     b"</MessageId>"), 422,
         "Push: Unexpected child with tag 'MessageId'"),
        (lambda b: b"<Push>not CISE</Push>", 422, "not a CISE Push"),
        (lambda b: b[: len(b) // 2], 422, "well-formed"),
        (lambda b: b.replace(b"<Latitude>33.20000", b"<Latitude>133.2"), 422, "latitude"),
        (lambda b: b.replace(b"tn.gn.node1", b"mt.afm.node1"), 403, "names sender"),
    ],
)  # fmt: skip
def test_an_invalid_push_is_refused_naming_why_and_stores_nothing(
    svc: Service, mutate: Any, status: int, detail: str
) -> None:
    before = svc.get("/api/v1/alerts?limit=500").json()["items"]
    body = mutate(gap_push(mmsi=672999001))
    r = post_push(svc, body)
    assert r.status_code == status, r.text
    ack = parse_xml(r.content)
    assert ack.findtext("AckCode") in {"InvalidRequestObject", "SecurityError"}
    assert detail in str(ack.findtext("AckDetail"))
    assert svc.get("/api/v1/alerts?limit=500").json()["items"] == before
    assert svc.get("/api/v1/alerts?mmsi=672999001").json()["items"] == []


def test_pushes_without_a_partner_token_or_too_large_are_refused(svc: Service) -> None:
    assert post_push(svc, gap_push(), token=None).status_code == 401
    assert post_push(svc, gap_push(), token="not-a-partner-token-at-all").status_code == 401
    assert post_push(svc, gap_push(), token=svc.tokens["admin"]).status_code == 401
    big = gap_push().replace(b"went dark off Zarzis", b"x" * (3 * 1024 * 1024))
    assert post_push(svc, big).status_code == 413


def test_partners_are_shown_to_admins_only_and_never_their_tokens(svc: Service) -> None:
    r = svc.get("/api/v1/cise/partners")
    assert r.status_code == 200
    body = r.json()
    assert body["service_id"] == "it.roc.mare" and body["authority"] == "Italian Navy ROC"
    malta, tunis = body["partners"]
    assert malta["send"] == {"zones": ["alpha"], "kinds": ["zone_entry"], "min_severity": None}
    assert malta["url_allowed"] is True and tunis["send"] is None
    assert MALTA_IN not in r.text and "to-malta" not in r.text and TUNIS_IN not in r.text
    for role in ("officer", "analyst", "liaison"):
        assert svc.get("/api/v1/cise/partners", role=role).status_code == 403


def test_every_exchange_in_and_out_is_audited_for_admins(svc: Service) -> None:
    post_push(svc, gap_push(mmsi=672555001))
    post_push(svc, gap_push(mmsi=672555002).replace(b"WithoutAISTransmission", b"Smuggling"))
    post_push(svc, gap_push(), token="not-a-partner-token-at-all")
    entries = svc.get("/api/v1/cise/exchanges?limit=3").json()
    unknown, refused, received = entries  # newest first
    assert received["action"] == "cise.push.received" and received["actor"] == "cise:tn-gn"
    assert received["detail"]["entities"] == ["Anomaly", "Vessel"]
    assert refused["action"] == "cise.push.refused" and refused["detail"]["status"] == 422
    assert "AnomalyType" in refused["detail"]["error"]
    assert unknown["actor"] == "cise:unknown" and unknown["detail"]["status"] == 401
    assert svc.get("/api/v1/cise/exchanges", role="officer").status_code == 403


class Hanging:
    """A partner endpoint that takes requests and answers none until released."""

    def __init__(self) -> None:
        self.released = threading.Event()
        self.waiting = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        self.waiting += 1
        while not self.released.is_set():
            await asyncio.sleep(0.05)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def test_a_partner_that_never_answers_does_not_stall_the_api(tmp_path: Path) -> None:
    hanging = Hanging()
    with serve(hanging) as port:
        url = f"http://127.0.0.1:{port}/cise"
        path = tmp_path / "partners.json"
        path.write_text(json.dumps({"partners": [
            {"id": "slow", "authority": "Slow Agency", "service_id": "slow.node", "url": url,
             "send": {}},
        ]}))  # fmt: skip
        settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'mare.sqlite'}",
                                 cise_partners_file=path, cise_allowlist=url)  # fmt: skip
        run = start(settings)
        svc = next(run)
        try:
            feed_scenario(svc)  # two alerts, both for the slow partner
            svc.wait_for(lambda: hanging.waiting >= 2)
            # while both deliveries hang, the API answers, reads and acts
            assert svc.get("/api/v1/cise/partners").json()["outbound"]["pending"] == 2
            alerts = svc.get("/api/v1/alerts").json()["items"]
            assert svc.post(f"/api/v1/alerts/{alerts[0]['id']}/acknowledge").status_code == 200
            assert svc.client.get("/healthz").status_code == 200
            hanging.released.set()
            # delivered once released (a request that outlived the client's timeout is retried);
            # the acknowledgement changed nothing a partner's copy holds: not sent again
            svc.wait_for(
                lambda: svc.get("/api/v1/cise/partners").json()["outbound"].get("ok") == 2, 60
            )
            sent = svc.get("/api/v1/cise/exchanges").json()
            assert sorted(e["target"] for e in sent if e["action"] == "cise.push.sent") == sorted(
                f"alert:{a['id']}" for a in alerts
            )
        finally:
            hanging.released.set()
            for _ in run:
                pass
