"""`streamview serve`: uvicorn with several workers over `entrypoints.asgi:app_factory`."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.processes import IN_MEMORY, serving

pytestmark = pytest.mark.unit


@pytest.fixture
def served() -> Iterator[str]:
    with serving("--dev", "--workers", "2", settings=IN_MEMORY) as base:
        yield base


def test_serve_answers_the_api_the_schema_and_swagger(served):
    assert httpx.get(f"{served}/orders").json()["items"] == []
    assert httpx.get(f"{served}/schema/openapi.json").json()["openapi"].startswith("3.1")
    swagger = httpx.get(f"{served}/schema/swagger")
    assert swagger.status_code == 200 and "swagger" in swagger.text.lower()
    missing = httpx.get(f"{served}/orders/nope")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
