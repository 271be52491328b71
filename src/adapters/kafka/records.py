"""aiokafka's consumed records, in the terms the application uses."""

from __future__ import annotations

from aiokafka import ConsumerRecord

from domain.records import RawRecord


def to_raw_record(record: ConsumerRecord[bytes, bytes]) -> RawRecord:
    """The record untouched. aiokafka already gives the headers as a tuple of pairs; a null
    header value (Kafka allows one) stays None, so the DLQ copy keeps it null too."""
    return RawRecord(
        record.topic, record.partition, record.offset, record.key, record.value, record.headers
    )
