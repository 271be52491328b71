"""The in-memory registry passes the same contract as the real one (tests/integration)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contracts.schema_registry import SchemaRegistryContract
from tests.support.registry import FakeRegistry, FakeSchemaSource

pytestmark = pytest.mark.unit


class TestFakeRegistry(SchemaRegistryContract):
    @pytest.fixture
    def registry(self) -> FakeRegistry:
        return FakeRegistry()

    @pytest.fixture
    def source(self, registry: FakeRegistry) -> Any:
        return registry.source

    @pytest.fixture
    def unreachable_source(self) -> FakeSchemaSource:
        down = FakeSchemaSource()
        down.down = True
        return down
