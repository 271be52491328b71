"""The in-memory topic partitions keyed records as Kafka's producer does: murmur2 of the key."""

from __future__ import annotations

import pytest

from adapters.memory.partitioner import murmur2, partition_for_key
from adapters.memory.topic import MemoryTopic

pytestmark = pytest.mark.unit

# Kafka's own vectors (UtilsTest.testMurmur2), the signed ints Java's Utils.murmur2 returns.
KAFKA_VECTORS = {
    "21": -973932308,
    "foobar": -790332482,
    "a-little-bit-long-string": -985981536,
    "a-little-bit-longer-string": -1486304829,
    "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    "abc": 479470107,
}
# Keys of 1 to 5 bytes, so that every length of the tail after the 4-byte words (0 to 3) is
# held to Java's values too (as Akka's Kafka-compatible Murmur2Spec lists them).
SHORT_KEYS = {
    "1": -1993445489,
    "12": 126087238,
    "123": -267702483,
    "1234": -1614185708,
    "12345": -1188365604,
}


@pytest.mark.parametrize(("key", "expected"), [*KAFKA_VECTORS.items(), *SHORT_KEYS.items()])
def test_murmur2_gives_what_kafka_gives(key: str, expected: int) -> None:
    assert murmur2(key.encode()) == expected


@pytest.mark.parametrize(
    ("key", "partitions", "expected"),
    [
        # toPositive(-790332482) = 1357151166; abs() would give 790332482 % 6 = 2
        ("foobar", 6, 0),
        ("foobar", 12, 6),
        ("abc", 6, 3),
        ("abc", 2, 1),
        # toPositive(-58897971) = 2088585677
        ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", 6, 5),
        ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", 3, 2),
    ],
)
def test_a_key_goes_where_kafkas_default_partitioner_sends_it(
    key: str, partitions: int, expected: int
) -> None:
    assert partition_for_key(key.encode(), partitions) == expected


def test_the_topic_puts_a_keyed_record_on_its_key_partition() -> None:
    topic = MemoryTopic("orders.events", 6)

    placed = [topic.append(key, b"{}", ()).partition for key in (b"foobar", b"abc", b"foobar")]

    assert placed == [0, 3, 0]
    assert [len(topic.read(p, 0, 10)) for p in range(6)] == [2, 0, 0, 1, 0, 0]


def test_records_without_a_key_go_round_robin_from_partition_0() -> None:
    topic = MemoryTopic("orders.events", 3)

    placed = [topic.append(None, b"{}", ()).partition for _ in range(4)]

    assert placed == [0, 1, 2, 0]


def test_keyed_records_do_not_move_the_round_robin_of_the_unkeyed() -> None:
    topic = MemoryTopic("orders.events", 3)

    placed = [topic.append(key, b"{}", ()).partition for key in (None, b"abc", None, None)]

    assert placed == [0, 0, 1, 2]  # "abc" hashes to partition 0 of 3


def test_a_given_partition_wins_over_the_key() -> None:
    topic = MemoryTopic("orders.events", 6)

    assert topic.append(b"foobar", b"{}", (), partition=4).partition == 4
