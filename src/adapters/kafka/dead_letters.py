"""The dead-letter topic (CONTRACT §3): the original record plus why and where it came from."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
    TopicAuthorizationFailedError,
    TransactionalIdAuthorizationFailed,
)
from loguru import logger

from adapters.kafka.closing import close_keeping_cancellation
from adapters.kafka.security import PLAINTEXT, KafkaSecurity
from adapters.kafka.transient_errors import is_transient
from domain.records import RawRecord, Rejected


def make_producer(
    bootstrap: str, client_id: str = "streamview-dlq", security: KafkaSecurity = PLAINTEXT
) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        enable_idempotence=True,  # a retried send is never written twice
        acks="all",
        # Fail the batch (and let the worker pause and retry) well within a rebalance timeout.
        request_timeout_ms=15_000,
        **security.client_kwargs(),
    )


async def started_producer(
    bootstrap: str, client_id: str = "streamview-dlq", security: KafkaSecurity = PLAINTEXT
) -> AIOKafkaProducer:
    """make_producer's producer, started; stopped again when it cannot start."""
    producer = make_producer(bootstrap, client_id=client_id, security=security)
    try:
        await producer.start()
    except BaseException:
        await close_keeping_cancellation(producer.stop())
        raise
    return producer


# x-dlq-detail is for people; capped so that a letter echoing a huge field still fits.
MAX_DETAIL_BYTES = 1024
_ELLIPSIS = "…".encode()
_SIZE_ERRORS = (MessageSizeTooLargeError, RecordListTooLargeError, RecordTooLargeError)
_DENIALS = (
    TopicAuthorizationFailedError,
    ClusterAuthorizationFailedError,
    TransactionalIdAuthorizationFailed,
)


class LetterForm(Enum):
    """How much of the original record a dead letter carries; smaller forms only when the
    fuller one is too large for the producer or the DLQ topic. The source coordinates are
    always there, and enough to find the original in its topic while it is retained."""

    WHOLE = "whole"
    WITHOUT_VALUE = "without value"  # the value dropped: x-dlq-value-dropped: size
    BARE = "bare"  # key and original headers dropped too: x-dlq-{key,headers}-dropped: size


def dead_letter_headers(
    letter: Rejected, form: LetterForm = LetterForm.WHOLE
) -> list[tuple[str, bytes]]:
    record = letter.record
    original = list(record.headers) if form is not LetterForm.BARE else []
    dropped = {
        LetterForm.WHOLE: [],
        LetterForm.WITHOUT_VALUE: ["value"],
        LetterForm.BARE: ["value", "key", "headers"],
    }[form]
    return [
        *original,
        ("x-dlq-reason", letter.reason.value.encode()),
        ("x-dlq-detail", capped_detail(letter.detail)),
        ("x-dlq-source-topic", record.topic.encode()),
        ("x-dlq-source-partition", str(record.partition).encode()),
        ("x-dlq-source-offset", str(record.offset).encode()),
        *[(f"x-dlq-{part}-dropped", b"size") for part in dropped if _present(record, part)],
    ]


def capped_detail(detail: str, limit: int = MAX_DETAIL_BYTES) -> bytes:
    encoded = detail.encode("utf-8", "replace")
    if len(encoded) <= limit:
        return encoded
    cut = encoded[: limit - len(_ELLIPSIS)].decode("utf-8", "ignore")  # whole characters only
    return cut.encode() + _ELLIPSIS


def _present(record: RawRecord, part: str) -> bool:
    return bool({"value": record.value, "key": record.key, "headers": record.headers}[part])


def _key_and_value(letter: Rejected, form: LetterForm) -> tuple[bytes | None, bytes]:
    """Kafka wants a key or a value: a letter with neither gets an empty value."""
    record = letter.record
    key = record.key if form is not LetterForm.BARE else None
    value = record.value if form is LetterForm.WHOLE else None
    return key, b"" if value is None else value


class KafkaDeadLetters:
    """Implements DeadLetterSink. Connects on first use: a process that never dead-letters
    (the API) never opens a producer, and a broker that was down is retried on the next batch.

    A letter is sent whole if it fits, else without the original value (and, if still too
    large, without the key and original headers). A letter the broker refuses for any other
    lasting reason is logged with its source coordinates and counted by `lost`, and
    processing goes on: a dead letter that cannot be written must not stop the partition.
    Only a transient failure (the broker unreachable or busy) or a denial (a missing ACL:
    the service's configuration, not the record's fault) raises, for the worker to pause and
    publish the batch's letters again: neither loses a letter.
    """

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        lost: Callable[[], None] | None = None,
        security: KafkaSecurity = PLAINTEXT,
    ) -> None:
        self._bootstrap = bootstrap
        self._security = security
        self._topic = topic
        self._lost = lost or (lambda: None)
        self._producer: AIOKafkaProducer | None = None
        self._connecting = asyncio.Lock()

    async def close(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await close_keeping_cancellation(producer.stop())  # flushes what is pending

    async def publish(self, letters: Sequence[Rejected]) -> None:
        """Send every letter, then wait until the broker acknowledged all of them."""
        producer = await self._connected()
        sent = [await self._send(producer, letter, LetterForm.WHOLE) for letter in letters]
        refused = [
            letter for letter, outcome in zip(letters, sent, strict=True) if await _failed(outcome)
        ]
        lost: list[Rejected] = []
        if refused:
            # An idempotent producer whose batch was refused has its sequence numbers ahead
            # of the broker's: a new one starts afresh. Each letter then goes alone, so that
            # one too large for a batch does not take the others with it.
            await self.close()
            lost = [letter for letter in refused if not await self._publish_alone(letter)]
        for letter in letters:
            if letter not in lost:
                _log(letter)

    async def _publish_alone(self, letter: Rejected) -> bool:
        """Whether the letter got to the DLQ topic, in the fullest form that fits."""
        error: Exception | None = None
        for form in LetterForm:
            producer = await self._connected()
            error = await _failed(await self._send(producer, letter, form))
            if error is None:
                return True
            await self.close()
            if not isinstance(error, _SIZE_ERRORS):
                break
        _log_lost(letter, error)
        self._lost()
        return False

    async def _send(
        self, producer: AIOKafkaProducer, letter: Rejected, form: LetterForm
    ) -> asyncio.Future[Any] | Exception:
        """The broker's acknowledgement to come, or why the producer refused the letter."""
        key, value = _key_and_value(letter, form)
        try:
            return await producer.send(  # type: ignore[no-any-return]  # aiokafka: untyped
                self._topic, key=key, value=value, headers=dead_letter_headers(letter, form)
            )
        except Exception as error:
            if _must_wait(error):
                raise
            return error

    async def _connected(self) -> AIOKafkaProducer:
        async with self._connecting:
            if self._producer is None:
                self._producer = await started_producer(self._bootstrap, security=self._security)
            return self._producer


async def _failed(outcome: asyncio.Future[Any] | Exception) -> Exception | None:
    """None once the broker acknowledged the letter; the lasting error if it refused it.
    A transient error (the broker away or busy) or a denial is raised: the worker waits."""
    if isinstance(outcome, Exception):
        return outcome
    try:
        await outcome
    except Exception as error:
        if _must_wait(error):
            raise
        return error
    return None


def _must_wait(error: Exception) -> bool:
    """An outage, or an ACL the service lacks: no fault of the letter, never a lost one."""
    return is_transient(error) or isinstance(error, _DENIALS)


def _bound(record: RawRecord, reason: str) -> Any:
    sequence = record.header("x-sequence")
    return logger.bind(
        orderId=record.key[:128].decode(errors="replace") if record.key is not None else None,
        sequence=sequence[:32].decode(errors="replace") if sequence is not None else None,
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        reason=reason,
    )


def _log(letter: Rejected) -> None:
    record = letter.record
    log = _bound(record, letter.reason.value)
    trace_id = record.header("x-trace-id")
    if trace_id is not None:  # CONTRACT §1: the producer's correlation id goes into the logs
        log = log.bind(traceId=trace_id[:256].decode(errors="replace"))
    log.warning("dead-lettered a record ({}): {}", letter.reason.value, letter.detail)


def _log_lost(letter: Rejected, error: Exception | None) -> None:
    _bound(letter.record, letter.reason.value).error(
        "the dead-letter topic refused a record ({}): {!r}; find it at its source coordinates",
        letter.reason.value,
        error,
    )
