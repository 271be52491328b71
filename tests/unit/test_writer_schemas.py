"""Writer schemas by id: fetched once, shared by concurrent requests, never cached when
unknown; an unreachable registry stops the batch (an outage), it never dead-letters."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from adapters.memory.dead_letters import MemoryDeadLetters
from adapters.memory.metrics import MemoryMetrics
from adapters.memory.views import MemoryViewStore
from adapters.registry.readers import AvroReader, UnreadableSchema
from adapters.registry.source import RegistrySchemaSource, registry_client
from adapters.tracing.null_spans import NullSpans
from application.ports import RegistryUnavailable
from application.projecting import ProjectBatch
from application.writer_schemas import CachedSchemas, resolve
from domain.records import DlqReason
from domain.wire_format import WriterSchema
from tests.support.events import order_created, record, status_changed
from tests.support.registry import (
    FakeSchemaSource,
    avro_value,
    avsc,
    framed_record,
    json_schema,
    json_schema_value,
)

pytestmark = pytest.mark.unit


class SlowSource(FakeSchemaSource):
    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()

    async def writer_schema(self, schema_id: int) -> WriterSchema | None:
        await self.release.wait()
        return await super().writer_schema(schema_id)


async def test_a_known_schema_is_fetched_once() -> None:
    fake = FakeSchemaSource()
    fake.add_avro(5, avsc("OrderCreated.v1"))
    cached = CachedSchemas(fake)

    first = await cached.writer_schema(5)
    second = await cached.writer_schema(5)

    assert first is second is fake.schemas[5]
    assert fake.lookups == [5]


async def test_concurrent_requests_for_one_id_share_one_lookup() -> None:
    slow = SlowSource()
    slow.add_avro(5, avsc("OrderCreated.v1"))
    cached = CachedSchemas(slow)

    waiting = [asyncio.ensure_future(cached.writer_schema(5)) for _ in range(10)]
    await asyncio.sleep(0)
    slow.release.set()
    found = await asyncio.gather(*waiting)

    assert {id(s) for s in found} == {id(slow.schemas[5])}
    assert slow.lookups == [5]


async def test_an_unknown_id_is_asked_again_later() -> None:
    fake = FakeSchemaSource()
    cached = CachedSchemas(fake)

    assert await cached.writer_schema(5) is None
    fake.add_avro(5, avsc("OrderCreated.v1"))

    assert await cached.writer_schema(5) is fake.schemas[5]
    assert fake.lookups == [5, 5]


async def test_a_failure_is_not_kept() -> None:
    fake = FakeSchemaSource()
    fake.add_avro(5, avsc("OrderCreated.v1"))
    fake.down = True
    cached = CachedSchemas(fake)

    with pytest.raises(RegistryUnavailable):
        await cached.writer_schema(5)
    fake.down = False

    assert await cached.writer_schema(5) is fake.schemas[5]


async def test_resolve_leaves_out_the_ids_the_registry_does_not_know() -> None:
    fake = FakeSchemaSource()
    fake.add_json(3, json_schema("OrderCreated"))

    assert await resolve(fake, {3, 4}) == {3: fake.schemas[3]}
    assert await resolve(fake, set()) == {}


def _project(
    source: FakeSchemaSource | None,
    letters: MemoryDeadLetters,
    metrics: MemoryMetrics | None = None,
) -> ProjectBatch:
    metrics = metrics or MemoryMetrics()
    return ProjectBatch(MemoryViewStore(), letters, metrics, NullSpans(), "g", schemas=source)


async def test_an_unreachable_registry_stops_the_batch_before_anything_is_dead_lettered() -> None:
    fake = FakeSchemaSource()
    fake.down = True
    letters = MemoryDeadLetters()
    body = order_created()
    records = [framed_record(avro_value(9, avsc("OrderCreated.v1"), body), body)]

    with pytest.raises(RegistryUnavailable):
        await _project(fake, letters)(records)

    assert letters.sent == []


async def test_a_batch_resolves_each_id_once_counts_formats_and_dead_letters_unknown_ids() -> None:
    fake = FakeSchemaSource()
    fake.add_avro(9, avsc("OrderCreated.v1"))
    fake.add_json(10, json_schema("OrderStatusChanged"))
    letters, metrics = MemoryDeadLetters(), MemoryMetrics()
    created = order_created("o-1")
    paid = status_changed("o-1")
    shipped = status_changed("o-1", "SHIPPED")
    records = [
        framed_record(avro_value(9, avsc("OrderCreated.v1"), created), created, 1),
        framed_record(json_schema_value(10, paid), paid, 2, offset=3),
        record(shipped, 3, offset=4),
        framed_record(avro_value(77, avsc("OrderStatusChanged.v1"), paid), paid, 2, offset=1),
        framed_record(avro_value(77, avsc("OrderStatusChanged.v1"), paid), paid, 3, offset=2),
    ]

    outcome = await _project(fake, letters, metrics)(records)

    assert outcome.result.tally.applied_total == 3
    assert sorted(fake.lookups) == [9, 10, 77]
    assert metrics.formats == {"avro": 1, "json-schema": 1, "json": 1}
    assert [(r.record.offset, r.reason) for r in letters.sent] == [
        (1, DlqReason.UNKNOWN_SCHEMA),
        (2, DlqReason.UNKNOWN_SCHEMA),
    ]


async def test_without_a_registry_a_framed_record_is_a_dead_letter() -> None:
    letters = MemoryDeadLetters()
    body = order_created()
    records = [framed_record(avro_value(9, avsc("OrderCreated.v1"), body), body)]

    await _project(None, letters)(records)

    assert [r.reason for r in letters.sent] == [DlqReason.UNKNOWN_SCHEMA]
    assert "no schema registry is configured" in letters.sent[0].detail


def _source(handler: httpx.MockTransport) -> RegistrySchemaSource:
    client = registry_client("http://registry.test")
    client.client_kwargs["transport"] = handler
    return RegistrySchemaSource(client)


def _answering(status: int, body: object | str) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        if isinstance(body, str):
            return httpx.Response(status, text=body)
        return httpx.Response(status, json=body)

    return httpx.MockTransport(handle)


async def test_the_registry_source_parses_an_avro_schema() -> None:
    schema = avsc("OrderCreated.v1")
    source = _source(_answering(200, {"schema": json.dumps(schema)}))

    found = await source.writer_schema(1)

    assert isinstance(found, AvroReader)
    assert found.record_name == "OrderCreated"


async def test_the_registry_source_says_none_for_an_unknown_id() -> None:
    source = _source(_answering(404, {"error_code": 40403, "message": "not found"}))

    assert await source.writer_schema(1) is None


async def test_a_protobuf_schema_is_unreadable_not_an_outage() -> None:
    source = _source(_answering(200, {"schema": "syntax = 'proto3';", "schemaType": "PROTOBUF"}))

    assert isinstance(await source.writer_schema(1), UnreadableSchema)


@pytest.mark.parametrize(
    "transport",
    [
        _answering(500, {"error_code": 50001, "message": "boom"}),
        _answering(502, "<html>bad gateway</html>"),
        _answering(401, {"error_code": 401, "message": "unauthorized"}),
    ],
    ids=["500", "proxy-page", "401"],
)
async def test_a_registry_that_cannot_answer_is_unavailable(transport: httpx.MockTransport) -> None:
    with pytest.raises(RegistryUnavailable):
        await _source(transport).writer_schema(1)


async def test_an_unreachable_registry_is_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(RegistryUnavailable, match="schema id 1"):
        await _source(httpx.MockTransport(refuse)).writer_schema(1)


async def test_basic_auth_credentials_go_with_every_request() -> None:
    seen: list[str | None] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        return httpx.Response(404, json={"error_code": 40403, "message": "not found"})

    client = registry_client("http://registry.test", "streamview", "s3cret")
    client.client_kwargs["transport"] = httpx.MockTransport(handle)

    assert await RegistrySchemaSource(client).writer_schema(1) is None
    assert seen == [httpx.BasicAuth("streamview", "s3cret")._auth_header]


def test_the_container_wires_a_cached_registry_source_only_when_configured() -> None:
    from entrypoints.api_secrets import with_dev_secrets
    from entrypoints.bootstrap import build_container
    from entrypoints.settings import Settings

    def source(**values: Any) -> object:
        settings = with_dev_secrets(Settings(dev_mode=True, backend="memory", **values))
        return build_container(settings).write_side.schema_source()

    assert source() is None
    assert isinstance(
        source(schema_registry_url="http://127.0.0.1:1/apis/ccompat/v7"), CachedSchemas
    )
