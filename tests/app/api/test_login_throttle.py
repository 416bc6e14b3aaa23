"""Brute-force protection of password login, through a real uvicorn (`conftest.start`).

The throttle's clock is replaced by one the test moves by hand, so the window passes without
sleeping. Distinct clients are made with ``X-Forwarded-For``: uvicorn trusts it from loopback
by default (``FORWARDED_ALLOW_IPS``), exactly as from a reverse proxy on the same host.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.api.services import services_of
from app.auth.throttle import LoginThrottle
from tests.app.api.conftest import ADMIN_TOKEN, PASSWORD, Service, make_settings, start

LOGIN = "/api/v1/auth/login"


class Clock:
    """Monotonic seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def svc(tmp_path: Path) -> Iterator[tuple[Service, Clock]]:
    """The service on SQLite with the default limits (5 per user) and 8 failures per client."""
    settings = make_settings(
        tmp_path, f"sqlite:///{tmp_path / 'mare.sqlite'}", login_client_failures=8
    )
    for service in start(settings):
        throttle: LoginThrottle = services_of(service.app).auth.throttle
        clock = Clock()
        throttle.clock = clock
        yield service, clock


def login(s: Service, username: str, password: str, client: str | None = None) -> httpx.Response:
    headers = {"X-Forwarded-For": client} if client else {}
    return s.client.post(LOGIN, json={"username": username, "password": password}, headers=headers)


def audit(s: Service, target: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = services_of(s.app).repo.audit_of(target)
    return rows


def test_five_bad_passwords_lock_the_user_until_the_window_passes(
    svc: tuple[Service, Clock],
) -> None:
    s, clock = svc
    for _ in range(5):
        r = login(s, "officer1", "wrong password!")
        assert r.status_code == 401
        assert r.json() == {"error": "unauthorized", "message": "wrong username or password"}
    locked = login(s, "officer1", PASSWORD)
    assert locked.status_code == 429
    assert locked.headers["retry-after"] == "900"
    body = locked.json()
    assert body["error"] == "too_many_requests"
    assert "try again in 900 s" in body["message"]
    clock.now += 899
    r = login(s, "officer1", PASSWORD)
    assert r.status_code == 429 and r.headers["retry-after"] == "1"
    clock.now += 1
    ok = login(s, "officer1", PASSWORD)
    assert ok.status_code == 200, ok.text
    assert ok.json()["user"]["username"] == "officer1"


def test_failures_and_the_lockout_are_audited_without_the_password(
    svc: tuple[Service, Clock],
) -> None:
    s, _ = svc
    for _ in range(5):
        login(s, "officer1", "hunter2-guess", client="198.51.100.4")
    login(s, "officer1", PASSWORD, client="198.51.100.4")  # refused: not audited again
    rows = audit(s, "user:officer1")
    actions = [r["action"] for r in rows]
    assert actions.count("login.failed") == 5
    assert actions.count("login.lockout") == 1
    assert actions.index("login.lockout") == len(actions) - 1
    assert all(r["user"] == "anonymous" for r in rows if r["action"] != "login.ok")
    failed = next(r for r in rows if r["action"] == "login.failed")
    assert failed["detail"] == {
        "client": "198.51.100.4",
        "username": "officer1",
        "known_user": True,
    }
    lockout = rows[-1]["detail"]
    assert lockout["scope"] == "user" and lockout["failures"] == 5
    assert lockout["window_s"] == 900
    text = json.dumps(rows)
    assert "hunter2" not in text and PASSWORD not in text


def test_unknown_users_count_and_answer_the_same(svc: tuple[Service, Clock]) -> None:
    s, _ = svc
    known = [login(s, "officer1", "wrong password!", "192.0.2.1") for _ in range(5)]
    ghost = [login(s, "ghost", "wrong password!", "192.0.2.2") for _ in range(5)]
    assert [r.json() for r in known] == [r.json() for r in ghost]
    assert [r.status_code for r in ghost] == [401] * 5
    k, g = login(s, "officer1", PASSWORD, "192.0.2.1"), login(s, "ghost", PASSWORD, "192.0.2.2")
    assert k.status_code == g.status_code == 429
    assert k.json() == g.json()
    assert k.headers["retry-after"] == g.headers["retry-after"]
    assert [r["action"] for r in audit(s, "user:ghost")] == ["login.failed"] * 5 + ["login.lockout"]
    assert audit(s, "user:ghost")[0]["detail"]["known_user"] is False


def test_success_resets_the_users_count(svc: tuple[Service, Clock]) -> None:
    s, _ = svc
    for client in ("192.0.2.1", "192.0.2.2"):  # 8 failures in all, 4 from each client
        for _ in range(4):
            assert login(s, "analyst1", "wrong password!", client).status_code == 401
        assert login(s, "analyst1", PASSWORD, client).status_code == 200


def test_another_user_from_the_same_client_is_not_locked(svc: tuple[Service, Clock]) -> None:
    s, _ = svc
    for _ in range(5):
        login(s, "officer1", "wrong password!", client="192.0.2.10")
    assert login(s, "officer1", PASSWORD, client="192.0.2.10").status_code == 429
    r = login(s, "analyst1", PASSWORD, client="192.0.2.10")  # 5 < 8 failures from the client
    assert r.status_code == 200, r.text


def test_one_client_spraying_many_users_is_locked_past_its_limit(
    svc: tuple[Service, Clock],
) -> None:
    s, clock = svc
    sprayer = "203.0.113.7"
    for i in range(8):  # one guess per username: no user reaches its own limit
        assert login(s, f"user{i}", "Summer2026!", client=sprayer).status_code == 401
    r = login(s, "analyst1", PASSWORD, client=sprayer)
    assert r.status_code == 429 and r.headers["retry-after"] == "900"
    assert login(s, "analyst1", PASSWORD, client="203.0.113.8").status_code == 200
    lockouts = audit(s, f"client:{sprayer}")
    assert [a["action"] for a in lockouts] == ["login.lockout"]
    assert lockouts[0]["detail"]["scope"] == "client"
    clock.now += 900
    assert login(s, "analyst1", PASSWORD, client=sprayer).status_code == 200


def metrics(s: Service) -> dict[tuple[str, str], float]:
    r = s.client.get("/metrics", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert r.status_code == 200, r.text
    out: dict[tuple[str, str], float] = {}
    for fam in text_string_to_metric_families(r.text):
        if fam.name.startswith("mare_login"):
            for sample in fam.samples:
                label = sample.labels.get("outcome") or sample.labels.get("scope") or ""
                out[(sample.name, label)] = sample.value
    return out


def test_failures_and_lockouts_are_in_metrics(svc: tuple[Service, Clock]) -> None:
    s, _ = svc
    before = metrics(s)
    for _ in range(5):
        login(s, "officer1", "wrong password!")
    login(s, "officer1", PASSWORD)
    after = metrics(s)

    def delta(name: str, label: str) -> float:
        return after[(name, label)] - before[(name, label)]

    assert delta("mare_login_attempts_total", "failed") == 5
    assert delta("mare_login_attempts_total", "locked_user") == 1
    assert delta("mare_login_attempts_total", "ok") == 0
    assert delta("mare_login_lockouts_total", "user") == 1
    assert after[("mare_login_locked", "user")] == 1
    assert after[("mare_login_locked", "client")] == 0
