"""Property-based run of the whole API from its own OpenAPI document: no 5xx, ever, and every
answer as the document describes it (status code, content type, headers, body schema).

Schemathesis's pytest plugin does not work with pytest 9 yet, so the operations are driven
with Hypothesis directly; the checks are schemathesis's own: all of them, in positive mode
(requests that fit the document) and in negative mode (requests that do not), except
`positive_data_acceptance`: the API refuses some schema-valid requests for reasons the
document cannot express (a partner-only token, an opaque cursor, text with a lone surrogate
or control character, a business rule) and says so with a documented 4xx.
"""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance
from schemathesis.generation.modes import GenerationMode

from tests.support.engine import SIMPLE, deploy_paths, start

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_never_answers_5xx_and_answers_as_documented(app, db, clock, api_token, mode) -> None:
    deploy_paths(db, SIMPLE)
    start(db, business_key="S-1")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {api_token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:

        @given(case=operation.as_strategy(mode))
        @settings(
            max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def run(case) -> None:  # type: ignore[no-untyped-def]
            # A negative case may be "the token is missing": adding ours would make it valid
            # (and schemathesis would then call its acceptance a failure). Such a case goes
            # without a token, and must be refused for that.
            given_token = "Authorization" in (case.headers or {})
            token = headers if mode is GenerationMode.POSITIVE or given_token else {}
            case.call_and_validate(headers=token, excluded_checks=[positive_data_acceptance])

        run()


def test_a_method_a_path_does_not_have_answers_405_with_allow(client, auth) -> None:
    """RFC 9110 §15.5.6: a 405 names the methods the resource does have, on every path of
    the document and on pages."""
    spec = client.get("/api/v1/openapi.json").get_json()
    for template, item in spec["paths"].items():
        path = re.sub(r"\{[^}]+\}", "1", template)  # any value: routing comes first
        documented = {m.upper() for m in item} & METHODS
        for method in sorted(METHODS - documented):
            answer = client.open(path, method=method, headers=auth)
            assert answer.status_code == 405, (method, path, answer.status_code)
            allowed = {m.strip() for m in answer.headers.get("Allow", "").split(",")}
            assert documented <= allowed, (method, path, answer.headers.get("Allow"))
            assert answer.is_json and answer.get_json()["message"] == "Niet toegestaan"
    page = client.put("/taken")
    assert page.status_code == 405 and "GET" in page.headers["Allow"]
    assert "Niet toegestaan" in page.get_data(as_text=True)
