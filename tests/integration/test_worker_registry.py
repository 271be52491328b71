"""Registry-framed records end to end: real Kafka, PostgreSQL and schema registry."""

from __future__ import annotations

import asyncio
from typing import Any

from adapters.registry.framing import avro_body, avro_fields, framed
from application.ports import ConsumerState
from devtools.generator import GeneratorOptions, OutgoingRecord, generate
from devtools.localstack.registry import RegistryNode
from devtools.registry_framing import catalog_for, committed_schemas_dir, reframing, writers
from domain.records import RawRecord
from domain.wire_format import WireFormat
from tests.integration.worker_support import (
    caught_up,
    ends_of,
    expected_views,
    migrated,
    produce,
    read_log,
    running_worker,
    stored_positions,
    stored_views,
    worker_settings,
)
from tests.support.events import order_created

UNKNOWN_ID = 2**31 - 7  # far above any id a fresh registry has handed out


def _format(value: bytes) -> str:
    return "json" if value[:1] != b"\x00" else "framed"


def _as_raw(topic: str, records: list[OutgoingRecord]) -> list[RawRecord]:
    return [RawRecord(topic, 0, n, r.key, r.value, r.headers) for n, r in enumerate(records)]


async def _hostile(registry_url: str, topic: str) -> list[OutgoingRecord]:
    """An OrderCreated framed with an id the registry does not know, and one whose Avro body
    is cut short, each for an order of its own."""
    import fastavro

    avro = await writers(catalog_for(registry_url), committed_schemas_dir(), topic, WireFormat.AVRO)
    schema_id, schema = avro["OrderCreated"]
    parsed = fastavro.parse_schema(schema)

    def created(order_id: str, frame: Any) -> OutgoingRecord:
        body = avro_body(parsed, avro_fields(order_created(order_id)))
        return OutgoingRecord(order_id.encode(), frame(body), (("x-sequence", b"1"),))

    return [
        created("unknown-schema-1", lambda body: framed(UNKNOWN_ID, body)),
        created("corrupt-avro-1", lambda body: framed(schema_id, body[:-9])),
    ]


async def test_a_mixed_topic_ends_with_the_views_of_the_all_json_run(
    stack_endpoints, database_url, new_topic, group_id, registry_url
) -> None:
    await migrated(database_url)
    topic = new_topic(partitions=2)
    bootstrap = stack_endpoints.kafka_bootstrap
    options = GeneratorOptions(orders=300, seed=18, duplicate_fraction=0.02, reorder_fraction=0.02)
    bare = list(generate(options))
    mixed_format = await reframing(
        catalog_for(registry_url), committed_schemas_dir(), topic, "mixed"
    )
    mixed = [mixed_format(r) for r in bare]
    await produce(bootstrap, topic, [*mixed, *await _hostile(registry_url, topic)])
    ends = ends_of(await read_log(bootstrap, topic))
    expected = await expected_views(_as_raw(topic, bare))
    settings = worker_settings(
        bootstrap, database_url, topic, group_id, schema_registry_url=registry_url
    )

    async with running_worker(settings) as worker:
        await caught_up(database_url, group_id, topic, ends)
        dead = {r.key: r.header("x-dlq-reason") for r in await read_log(bootstrap, f"{topic}.dlq")}
        unknown_schema = worker.metric("streamview_dlq_total", reason="unknown_schema")
        decoded = {
            f: worker.metric("streamview_records_decoded_total", format=f)
            for f in ("json", "avro", "json-schema")
        }

    framed_values = [r.value for r in mixed if r.value[:1] == b"\x00"]
    assert 0.4 < len(framed_values) / len(mixed) < 0.9  # both formats side by side
    assert len({v[1:5] for v in framed_values}) == 6  # three Avro and three JSON Schema ids
    assert await stored_views(database_url) == expected
    assert dead == {b"unknown-schema-1": b"unknown_schema", b"corrupt-avro-1": b"schema_violation"}
    assert unknown_schema == 1
    assert sum(decoded.values()) == len(mixed)  # every generated record was valid
    assert all(count > 0 for count in decoded.values()), decoded


async def test_the_registry_going_away_pauses_the_worker_and_nothing_is_lost(
    stack_endpoints, database_url, new_topic, group_id, disposable_registry: RegistryNode
) -> None:
    await migrated(database_url)
    topic = new_topic(partitions=2)
    bootstrap = stack_endpoints.kafka_bootstrap
    registry_url = disposable_registry.url
    # First bare JSON orders, then Avro ones: the worker meets its first schema id, and so
    # needs the registry, only once it is well into the topic.
    plain = list(generate(GeneratorOptions(orders=1500, seed=4, order_prefix="plain")))
    later = list(generate(GeneratorOptions(orders=200, seed=5, order_prefix="avro")))
    avro = await reframing(catalog_for(registry_url), committed_schemas_dir(), topic, "avro")
    await produce(bootstrap, topic, [*plain, *map(avro, later)])
    ends = ends_of(await read_log(bootstrap, topic))
    expected = await expected_views(_as_raw(topic, [*plain, *later]))
    settings = worker_settings(
        bootstrap,
        database_url,
        topic,
        group_id,
        batch_max_records=200,
        schema_registry_url=registry_url,
    )

    async with running_worker(settings) as worker:
        status = worker.container.write_side.consumer_status()
        async with asyncio.timeout(120):
            while not await stored_positions(database_url, group_id, topic):
                await asyncio.sleep(0.02)
        disposable_registry.stop()
        async with asyncio.timeout(120):
            while status.state is not ConsumerState.PAUSED:
                await asyncio.sleep(0.05)
        paused_at = sum((await stored_positions(database_url, group_id, topic)).values())
        disposable_registry.start()  # the same data on disk: the same ids
        disposable_registry.wait_ready()
        await caught_up(database_url, group_id, topic, ends)
        dead_letters = await read_log(bootstrap, f"{topic}.dlq")

    assert paused_at < sum(ends.values())  # it paused before the end, with Avro still to read
    assert dead_letters == []
    assert await stored_views(database_url) == expected
    assert len(expected) == 1700
