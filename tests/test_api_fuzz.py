"""schemathesis generates requests from the OpenAPI document: none may cause a server error.

Requests are sent as a department member with a real token, against a store holding missions,
projects and a KPI, so that write operations get past authentication into the services.
(schemathesis's own pytest plugin does not yet work with pytest 9, so each operation's
Hypothesis strategy is driven directly.)
"""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings

from missionhub.accounts.permissions import Visibility
from tests.factories import World

EXAMPLES_PER_OPERATION = 25


def fuzz(operation: Any, headers: dict[str, str], failures: list[str]) -> None:
    """Send generated requests for one operation; record any 5xx response."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case: schemathesis.Case) -> None:
        response = case.call(headers=headers)
        if response.status_code >= 500:
            failures.append(
                f"{case.method} {case.formatted_path} -> "
                f"{response.status_code}: {response.text[:200]}"
            )

    call()


def test_no_generated_request_causes_a_server_error(app: FastAPI, world: World) -> None:
    dwp = world.department()
    member = world.member(dwp)
    world.missions()
    project = world.project(member, visibility=Visibility.PUBLISHED)
    world.kpi(project, member)
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        # a fresh token each time: a generated DELETE /api/tokens/{id} may revoke the last one
        fuzz(operation, world.bearer(member), failures)
    assert len(operations) >= 20, "the API description lost operations"
    assert not failures, "\n".join(failures[:10])
