"""The real schema registry of the local stack (Apicurio, Confluent API) through the client
StreamView uses, held to the same contract as the in-memory fake."""

from __future__ import annotations

import pytest

from adapters.registry.catalog import RegistryCatalog
from adapters.registry.source import RegistrySchemaSource, registry_client
from tests.contracts.schema_registry import SchemaRegistryContract
from tests.support.processes import free_port


class TestRealRegistry(SchemaRegistryContract):
    @pytest.fixture
    def registry(self, registry_url: str) -> RegistryCatalog:
        return RegistryCatalog(registry_client(registry_url))

    @pytest.fixture
    def source(self, registry_url: str) -> RegistrySchemaSource:
        return RegistrySchemaSource(registry_client(registry_url))

    @pytest.fixture
    def unreachable_source(self) -> RegistrySchemaSource:
        url = f"http://127.0.0.1:{free_port()}/apis/ccompat/v7"
        return RegistrySchemaSource(registry_client(url, timeout_s=2))
