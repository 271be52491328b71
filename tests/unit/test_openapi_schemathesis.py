"""Property-based run of the API against its own OpenAPI document: no 5xx, every response as
documented (status, content type, headers, body schema). Bounded: a few hundred cases."""

from __future__ import annotations

import asyncio
import time

import jwt
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from adapters.memory.topic import MemoryTopic
from entrypoints.asgi import create_app_from_container
from entrypoints.bootstrap import build_container
from entrypoints.settings import Settings
from tests.contracts.http_orders_data import dataset

pytestmark = pytest.mark.unit

SECRET = "schemathesis-ops-secret-long-enough-for-hs256"
OPS_PATHS = {"/lags", "/ops/lags"}
# A schema cannot say "cursor must be one we issued" or "not cursor together with page", so
# schema-valid requests may rightly get a 400; every other built-in check runs.
NOT_EXPRESSIBLE = [schemathesis.checks.positive_data_acceptance]


def _app():  # type: ignore[no-untyped-def]
    container = build_container(
        Settings.from_env({}, dev_mode=True, backend="memory", ops_jwt_secret=SECRET)
    )
    container.infrastructure.end_offsets.override(MemoryTopic("orders.events", partitions=3))
    asyncio.run(container.write_side.project_batch()(dataset()[1]))
    return create_app_from_container(container)


schema = schemathesis.openapi.from_asgi("/schema/openapi.json", _app())
OPS_TOKEN = jwt.encode({"roles": ["ops"], "exp": int(time.time()) + 3600}, SECRET, "HS256")


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_response_is_documented_and_no_input_causes_a_5xx(case):
    authorized = case.operation.path in OPS_PATHS and case.headers is None
    case.call_and_validate(
        headers={"Authorization": f"Bearer {OPS_TOKEN}"} if authorized else None,
        excluded_checks=NOT_EXPRESSIBLE,
    )


def test_an_existing_order_conforms_to_its_schema():
    case = schema["/orders/{orderId}"]["GET"].Case(path_parameters={"orderId": "ord-007"})
    response = case.call_and_validate()
    assert response.status_code == 200
