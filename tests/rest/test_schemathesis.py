"""The OpenAPI document drives a schema-based run against the API in-process: no 5xx.

schemathesis generates valid and invalid requests for every operation (path ids, query
flags, JSON bodies) with a read-and-write key of an organisation that has a portfolio,
initiatives and a risk, and checks that the server never answers with a server error.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from starlette.applications import Starlette

from pmo_saas.rest import http
from tests import factories
from tests.dashboard.helpers import make_portfolio
from tests.rest.helpers import make_key

schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", Starlette(routes=http.routes))
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], allow_x00=True
)


@pytest.fixture
def api_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("PMO_API_RATE_PER_MINUTE", "100000")
    org = factories.make_org("Fuzzed")
    make_portfolio(org, "Fuzz", initiatives=3)
    _, key = make_key(org, "read_write")
    return key


SEEN: set[int] = set()


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_server_errors(case, api_key):
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {api_key}"}, checks=[not_a_server_error]
    )
    SEEN.add(response.status_code)


def test_every_endpoint_is_in_the_run():
    """The run covers every endpoint: each is an operation of the document it is driven by."""
    operations = {
        (result.ok().method.upper(), result.ok().path) for result in schema.get_all_operations()
    }
    assert operations == {(e.method, http.PREFIX + e.path) for e in http.ENDPOINTS}


def test_the_run_reached_the_services():
    """Guard against a run that only ever met the authentication wall."""
    if SEEN:  # run after the schema tests in the same session
        assert SEEN - {401}, SEEN
