"""Dead letters that always fit the real broker: capped detail, no key and no value, records
too large for the DLQ topic, and a letter the topic refuses for good (logged and counted)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from adapters.kafka.dead_letters import KafkaDeadLetters
from domain.decoding import decode_record
from domain.records import DlqReason, RawRecord, Rejected
from tests.integration.worker_support import read_log

SOURCE = "orders.events"


async def set_topic_config(bootstrap: str, topic: str, configs: Mapping[str, str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic, configs=dict(configs))]
        )
    finally:
        await admin.close()


def rejected(
    offset: int, key: bytes | None, value: bytes | None, *headers: tuple[str, bytes]
) -> Rejected:
    record = RawRecord(SOURCE, 0, offset, key, value, (("x-sequence", b"1"), *headers))
    return Rejected(record, DlqReason.SCHEMA_VIOLATION, f"test letter at offset {offset}")


class Lost:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


async def publish(
    bootstrap: str, topic: str, letters: list[Rejected]
) -> tuple[dict[int, RawRecord], int]:
    """Publish through a fresh KafkaDeadLetters; the DLQ topic's records by source offset."""
    lost = Lost()
    dead_letters = KafkaDeadLetters(bootstrap, topic, lost)
    try:
        await dead_letters.publish(letters)
    finally:
        await dead_letters.close()
    log = await read_log(bootstrap, topic)
    return {int(r.header("x-dlq-source-offset") or b"-1"): r for r in log}, lost.count


async def test_a_letter_echoing_a_huge_type_fits_with_a_capped_detail(
    stack_endpoints, new_topic
) -> None:
    dlq = f"{new_topic()}.dlq"
    huge_type = "T" * 600_000
    body = json.dumps({"type": huge_type, "orderId": "order-1"}).encode()
    decoded = decode_record(RawRecord(SOURCE, 0, 1, b"order-1", body, (("x-sequence", b"1"),)))
    assert isinstance(decoded, Rejected) and decoded.reason is DlqReason.UNKNOWN_TYPE
    verbose = Rejected(decoded.record, DlqReason.UNKNOWN_TYPE, f"echo {huge_type}")
    verbose = Rejected(
        RawRecord(SOURCE, 0, 2, b"order-1", body, decoded.record.headers),
        verbose.reason,
        verbose.detail,
    )

    letters, lost = await publish(stack_endpoints.kafka_bootstrap, dlq, [decoded, verbose])

    assert lost == 0
    assert (letters[1].value, letters[2].value) == (body, body)  # both whole
    assert letters[1].header("x-dlq-reason") == b"unknown_type"
    for offset in (1, 2):
        detail = letters[offset].header("x-dlq-detail") or b""
        assert 100 < len(detail) <= 1024
        assert letters[offset].header("x-dlq-value-dropped") is None
    assert (letters[2].header("x-dlq-detail") or b"").endswith("…".encode())
    assert (letters[2].header("x-dlq-detail") or b"").startswith(b"echo TTTT")


async def test_a_record_with_neither_key_nor_value_gets_a_letter(
    stack_endpoints, new_topic
) -> None:
    dlq = f"{new_topic()}.dlq"
    decoded = decode_record(RawRecord(SOURCE, 3, 7, None, None, ()))
    assert isinstance(decoded, Rejected)

    letters, lost = await publish(stack_endpoints.kafka_bootstrap, dlq, [decoded])

    assert lost == 0
    letter = letters[7]
    assert (letter.key, letter.value) == (None, b"")
    assert letter.header("x-dlq-reason") == b"invalid_json"
    assert letter.header("x-dlq-source-partition") == b"3"


async def test_letters_too_large_for_the_dlq_topic_go_without_their_value(
    stack_endpoints, new_topic
) -> None:
    bootstrap = stack_endpoints.kafka_bootstrap
    dlq = f"{new_topic()}.dlq"
    await set_topic_config(bootstrap, dlq, {"max.message.bytes": "20000"})
    big_value = b"v" * 50_000
    letters_in = [
        rejected(1, b"order-1", b"small"),  # shares a batch with the big ones: still whole
        rejected(2, b"order-2", big_value),  # too large for the topic (the broker says so)
        rejected(3, b"order-3", b"v" * 1_500_000),  # too large for the producer itself
        rejected(4, b"order-4", big_value, ("x-trace-id", b"h" * 50_000)),  # headers too
        rejected(5, None, big_value),
    ]

    letters, lost = await publish(bootstrap, dlq, letters_in)

    assert lost == 0
    assert (letters[1].value, letters[1].header("x-dlq-value-dropped")) == (b"small", None)
    for offset in (2, 3, 5):
        assert letters[offset].value == b"", offset
        assert letters[offset].header("x-dlq-value-dropped") == b"size", offset
        assert letters[offset].header("x-dlq-source-offset") == str(offset).encode()
    assert letters[2].key == b"order-2"
    assert letters[2].header("x-sequence") == b"1"  # the original headers stay while they fit
    bare = letters[4]
    assert (bare.key, bare.value, bare.header("x-trace-id")) == (None, b"", None)
    assert bare.header("x-dlq-key-dropped") == bare.header("x-dlq-headers-dropped") == b"size"
    assert bare.header("x-dlq-reason") == b"schema_violation"


async def test_a_letter_the_topic_refuses_for_good_is_counted_and_the_rest_published(
    stack_endpoints, new_topic
) -> None:
    bootstrap = stack_endpoints.kafka_bootstrap
    dlq = f"{new_topic()}.dlq"
    # A compacted topic refuses records without a key: not a size problem, not transient.
    await set_topic_config(bootstrap, dlq, {"cleanup.policy": "compact"})
    letters_in = [rejected(1, b"order-1", b"a"), rejected(2, None, b"b"), rejected(3, b"o3", b"c")]

    letters, lost = await publish(bootstrap, dlq, letters_in)

    assert lost == 1
    assert sorted(letters) == [1, 3]
    assert (letters[1].value, letters[3].value) == (b"a", b"c")
