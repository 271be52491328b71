"""Which of aiokafka's errors are worth waiting for: the broker away or busy, not a refusal."""

from __future__ import annotations

from aiokafka.errors import KafkaError, KafkaTimeoutError


def is_transient(error: BaseException) -> bool:
    """A broker that cannot be reached or is busy: worth waiting for, not a reason to stop."""
    return isinstance(error, KafkaTimeoutError) or (
        isinstance(error, KafkaError) and error.retriable
    )
