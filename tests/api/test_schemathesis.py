"""Property-based run of the whole API from its own OpenAPI document: no 5xx, ever.

Schemathesis's pytest plugin does not work with pytest 9 yet, so the operations are driven
with Hypothesis directly; the checks are schemathesis's own.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.support.engine import SIMPLE, deploy_paths, start


def test_api_never_answers_5xx(app, db, clock, api_token) -> None:
    deploy_paths(db, SIMPLE)
    start(db, business_key="S-1")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {api_token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def run(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        run()
