"""SchemaSource over a Confluent-compatible registry (Apicurio's ccompat API, Confluent's,
Redpanda's), through python-schema-registry-client."""

from __future__ import annotations

import json

import httpx
from schema_registry.client import AsyncSchemaRegistryClient
from schema_registry.client.errors import ClientError
from schema_registry.client.schema import AvroSchema, JsonSchema

from adapters.registry.readers import AvroReader, JsonSchemaReader, UnreadableSchema
from application.ports import RegistryUnavailable
from domain.wire_format import WriterSchema


def registry_client(
    url: str, user: str | None = None, password: str | None = None, timeout_s: float = 10.0
) -> AsyncSchemaRegistryClient:
    auth = httpx.BasicAuth(user, password or "") if user else None
    return AsyncSchemaRegistryClient(url, auth=auth, timeout=httpx.Timeout(timeout_s))


class RegistrySchemaSource:
    """Implements SchemaSource: one GET /schemas/ids/{id} per call (CachedSchemas in front)."""

    def __init__(self, client: AsyncSchemaRegistryClient) -> None:
        self._client = client

    async def writer_schema(self, schema_id: int) -> WriterSchema | None:
        try:
            schema = await self._client.get_by_id(schema_id)
        except (httpx.HTTPError, ClientError, OSError, json.JSONDecodeError) as error:
            # Unreachable, timing out, refusing our credentials, failing inside, a proxy's
            # error page: no answer about this id, so nothing may be dead-lettered for it.
            raise RegistryUnavailable(
                f"the schema registry could not be asked for schema id {schema_id}: "
                f"{type(error).__name__}: {error}"
            ) from error
        except Exception as error:  # it answered 200, with a schema that cannot be used
            return UnreadableSchema(
                f"schema id {schema_id} cannot be read by StreamView (Avro and JSON Schema "
                f"only): {type(error).__name__}: {error}"
            )
        if schema is None:
            return None
        if isinstance(schema, AvroSchema):
            return AvroReader(schema.schema)
        if isinstance(schema, JsonSchema):
            try:
                return JsonSchemaReader(schema.raw_schema)
            except Exception as error:
                return UnreadableSchema(f"schema id {schema_id}: {type(error).__name__}: {error}")
        return UnreadableSchema(f"schema id {schema_id} is not Avro or JSON Schema")
