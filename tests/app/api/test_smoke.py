from __future__ import annotations

from tests.app.api.conftest import Service


def test_healthz_needs_no_token_and_me_names_the_role(service: Service) -> None:
    assert service.client.get("/healthz").json() == {"status": "ok"}
    assert service.get("/api/v1/auth/me", "liaison").json() == {
        "username": "liaison1",
        "role": "liaison",
        "zones": ["alpha"],
        "disabled": False,
    }
    assert service.client.get("/api/v1/vessels").status_code == 401
