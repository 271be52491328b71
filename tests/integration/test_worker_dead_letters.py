"""Every DLQ reason of CONTRACT §3 reaches the dead-letter topic as the original record plus
x-dlq-* headers, while the worker goes on applying the good records around them."""

from __future__ import annotations

import random

from application.ports import ConsumerState
from devtools.generator import GeneratorOptions, OutgoingRecord, generate, poison
from domain.records import DlqReason, RawRecord
from tests.integration.worker_support import (
    caught_up,
    ends_of,
    expected_views,
    read_log,
    running_worker,
    stored_views,
    topic_holding,
    worker_settings,
)

DLQ_HEADERS = (
    "x-dlq-reason",
    "x-dlq-detail",
    "x-dlq-source-topic",
    "x-dlq-source-partition",
    "x-dlq-source-offset",
)


def log_with_every_poison() -> list[OutgoingRecord]:
    """Good orders with one poison record of every kind between them."""
    rng = random.Random(7)
    good = list(generate(GeneratorOptions(orders=40, seed=7)))
    records: list[OutgoingRecord] = []
    for n, reason in enumerate(DlqReason):
        records += good[n * 20 : (n + 1) * 20]
        records.append(poison(rng, reason.value))
    return records + good[len(DlqReason) * 20 :]


async def test_every_reason_is_dead_lettered_with_the_original_record(
    stack_endpoints, database_url, new_topic, group_id
) -> None:
    topic = new_topic(partitions=2)
    bootstrap = stack_endpoints.kafka_bootstrap
    settings = worker_settings(bootstrap, database_url, topic, group_id)
    log = await topic_holding(bootstrap, database_url, topic, log_with_every_poison())

    async with running_worker(settings) as worker:
        await caught_up(database_url, group_id, topic, ends_of(log))
        state = worker.container.write_side.consumer_status().state
        counted = {r: worker.metric("streamview_dlq_total", reason=r.value) for r in DlqReason}

    assert state is ConsumerState.RUNNING
    assert counted == dict.fromkeys(DlqReason, 1.0)
    letters = await read_log(bootstrap, f"{topic}.dlq")
    by_reason = {letter.header("x-dlq-reason"): letter for letter in letters}
    assert len(letters) == len(DlqReason)
    assert set(by_reason) == {reason.value.encode() for reason in DlqReason}
    sources = {(r.partition, r.offset): r for r in log}
    for reason, letter in by_reason.items():
        source = sources[int(letter.header("x-dlq-source-partition")), _offset(letter)]
        assert letter.header("x-dlq-source-topic") == topic.encode(), reason
        assert (letter.key, letter.value) == (source.key, source.value), reason
        original = tuple(h for h in letter.headers if h[0] not in DLQ_HEADERS)
        assert original == source.headers, reason
        assert letter.header("x-dlq-detail"), reason
    # The good records around the poison were all applied.
    assert await stored_views(database_url) == await expected_views(log)


def _offset(letter: RawRecord) -> int:
    return int(letter.header("x-dlq-source-offset") or b"-1")
