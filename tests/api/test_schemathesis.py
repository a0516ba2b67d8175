"""Property-based run of the whole OpenAPI contract (schemathesis, in-process ASGI, real PostgreSQL and Redis).

Every operation gets a bounded number of generated requests: valid ones sent with an admin key (so
every endpoint is exercised past authentication), then invalid ones sent as they come; the run
fails on any 5xx, on a status code the operation does not document, on a wrong content type, and on
a body that violates the documented schema.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from mcp_lightning.api.app import create_app
from mcp_lightning.api.settings import ServeSettings

EXAMPLES_PER_OPERATION = 20
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_generated_requests_get_no_server_error_and_match_the_schema(
        api_settings: ServeSettings, new_key: Callable[..., str], mode: GenerationMode) -> None:
    """Generated requests to every operation get documented statuses, media types and bodies, never a 5xx."""
    unlimited = 1_000_000
    # schemathesis keeps the app started until the process ends: no poller traffic after the test
    app = create_app(api_settings.model_copy(update={
        "rate_limit_anonymous_per_min": unlimited, "rate_limit_key_per_min": unlimited,
        "rate_limit_heavy_per_min": unlimited, "poll_interval_s": 3600.0}))
    headers = {"X-API-Key": new_key("read", "admin")} if mode is GenerationMode.POSITIVE else None
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    n_operations = n_checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        n_operations += 1
        raw = operation.definition.raw
        if mode is GenerationMode.NEGATIVE and not (raw.get("parameters") or raw.get("requestBody")):
            continue  # nothing to make invalid

        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            check()
        except Unsatisfiable:
            if mode is GenerationMode.POSITIVE:
                raise
            continue  # every input of this operation is valid: nothing to negate
        n_checked += 1
    assert n_operations == 13 and n_checked >= (13 if mode is GenerationMode.POSITIVE else 9)
