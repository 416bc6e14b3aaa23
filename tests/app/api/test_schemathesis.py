"""Property-based requests from the app's own OpenAPI (schemathesis), on both backends.

Every operation the document lists (streams, webhooks and OGC included) gets generated
requests carrying an admin token, so the cases reach validation and the handlers instead of
stopping at 401. Each answer must be no server error, a status the document names for that
operation, a body that fits the document's schema for that status, and a documented media type.
Failures are collected per operation (no shrinking: one example each is what a fix needs).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.checks import content_type_conformance

from tests.app.api.conftest import ADMIN_TOKEN, make_settings, start

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
]
#: Logout would revoke the token every case uses (its own tests cover it).
SKIP = {("POST", "/api/v1/auth/logout")}
EXAMPLES = 12


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def api_schema(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp: Path = tmp_path_factory.mktemp("st")
    if request.param == "postgis":
        url = fresh_postgis(request)
    else:
        url = f"sqlite:///{tmp / 'mare.sqlite'}"
    run: Iterator[Any] = start(make_settings(tmp, url))
    svc = next(run)
    yield schemathesis.openapi.from_url(f"{svc.client.base_url}/openapi.json")
    for _ in run:
        pass


def fresh_postgis(request: pytest.FixtureRequest) -> str:
    """Return the session's PostGIS database, upgraded and emptied."""
    from sqlalchemy import text

    from app.store import open_store
    from tests.app.api.conftest import MOVED_TABLES

    url: str = request.getfixturevalue("postgis_url")
    store = open_store(url, upgrade=True)
    with store.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(MOVED_TABLES)} RESTART IDENTITY CASCADE"))
    store.close()
    return url


def run_operation(
    operation: Any, headers: dict[str, str], failures: dict[str, str], statuses: list[int]
) -> None:
    """Send generated requests to one operation; record its first failure, if any."""
    where = f"{operation.method.upper()} {operation.path}"
    # an event stream is read for its first seconds (schemathesis cuts it there)
    timeout = 2 if operation.path.endswith("/stream") else 30

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
        database=None,
    )
    def check(case: Any) -> None:
        case.headers = {**(case.headers or {}), **headers}
        response = case.call(timeout=timeout)
        statuses.append(response.status_code)
        case.validate_response(response, checks=CHECKS)

    try:
        check()
    except Exception as exc:  # the first example per operation is what a fix needs
        failures[where] = " ".join(str(exc).split())[:600]


def test_every_operation_answers_as_documented(api_schema: Any) -> None:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    failures: dict[str, str] = {}
    statuses: list[int] = []
    operations = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIP:
            continue
        operations += 1
        run_operation(operation, headers, failures, statuses)
    assert operations >= 60  # every one of the document
    # The token got the cases past auth: most answers are successes or validation errors.
    assert sum(1 for s in statuses if s in (401, 403)) < len(statuses) / 10
    assert any(200 <= s < 300 for s in statuses)
    assert not failures, "\n".join(f"{k}: {v}" for k, v in sorted(failures.items()))
