"""aiokafka's records and errors, in the terms the application uses."""

from __future__ import annotations

from aiokafka import ConsumerRecord
from aiokafka.errors import KafkaError, KafkaTimeoutError

from domain.records import RawRecord


def to_raw_record(record: ConsumerRecord[bytes, bytes]) -> RawRecord:
    """The record untouched. aiokafka already gives the headers as a tuple of pairs; a null
    header value (Kafka allows one) stays None, so the DLQ copy keeps it null too."""
    return RawRecord(
        record.topic, record.partition, record.offset, record.key, record.value, record.headers
    )


def is_transient(error: BaseException) -> bool:
    """A broker that cannot be reached or is busy: worth waiting for, not a reason to stop."""
    return isinstance(error, KafkaTimeoutError) or (
        isinstance(error, KafkaError) and error.retriable
    )
