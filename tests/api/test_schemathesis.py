"""A schemathesis run against the OpenAPI schema, on a live server on 127.0.0.1.

Bounded: a few generated requests per operation, without shrinking, so the
run takes tens of seconds. It fails on any 5xx and on any response, status
code, content type or header that the schema does not describe.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ardoise.api.models import TokenScope
from ardoise.api.tokens import create_token

EXAMPLES_PER_OPERATION = 6
# The ports given to this test suite's live servers; the first free one is used.
PORTS = range(8160, 8170)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def loopback_server(transactional_db):
    from pytest_django.live_server_helper import LiveServer

    error = None
    for port in PORTS:
        try:
            server = LiveServer("127.0.0.1:%s" % port)
        except Exception as exc:  # the port is taken: try the next one
            error = exc
            continue
        yield server
        server.stop()
        return
    pytest.fail("No free port in %s-%s for the live server: %s" % (PORTS[0], PORTS[-1], error))


def test_schemathesis_finds_no_error(loopback_server, settings_override, organisation, owner, issued_invoice, product):
    secret = create_token(organisation, "Schemathesis", TokenScope.WRITE, user=owner).secret
    headers = {"Authorization": "Bearer %s" % secret}
    schema = schemathesis.openapi.from_url(loopback_server.url + "/api/v1/openapi.json")
    base_url = loopback_server.url

    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 43
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=30)

        run()


@pytest.fixture
def settings_override(settings):
    # The run sends about a hundred requests with one token in a minute.
    settings.ARDOISE_API_RATE_LIMIT = 100_000
    return settings
