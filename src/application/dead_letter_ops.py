"""Dead letters you can work with: list them, look at one, send them back to their source topic.

A redrive produces the DLQ record's original key, value and headers to the topic it came from,
with `x-redrive-count` one higher than the record carried (refused at the limit, so a record
that keeps failing cannot loop forever); the worker then applies it like any record, or
dead-letters it again. Each DLQ record is redriven at most once: the ledger claims it (keyed
by DLQ topic, partition and offset) in a transaction that commits only after the broker
acknowledged the produce. Should the ledger's commit fail after the acknowledgement, a second
redrive produces the record again; the sequence policy then applies it at most once (same
orderId and x-sequence: a duplicate), so the views still change once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

import msgspec
from loguru import logger

from application.errors import InvalidParameter, NotFound
from application.ports import (
    DeadLetter,
    DeadLetterReader,
    LetterId,
    LetterPage,
    LetterQuery,
    RedriveLedger,
    RedriveMetrics,
    RedriveSender,
)
from domain.records import DlqReason

MAX_LIST = 500
MAX_SCAN = 20_000  # DLQ records looked at per request; `next` continues from there
MAX_REDRIVE_IDS = 1000


class Outcome(StrEnum):
    REDRIVEN = "redriven"
    ALREADY_REDRIVEN = "already_redriven"
    LIMIT_REACHED = "limit_reached"
    NOT_FOUND = "not_found"
    NOT_REDRIVABLE = "not_redrivable"


class RedriveResult(msgspec.Struct, frozen=True):
    partition: int
    offset: int
    outcome: Outcome
    detail: str = ""


class RedriveReport(msgspec.Struct, frozen=True):
    results: list[RedriveResult]
    next: dict[int, int] | None = None  # for "all of a reason": more to look at from here


class RedriveRequest(msgspec.Struct, frozen=True):
    """Either ids, or every letter of `reason` (optionally within a time range)."""

    ids: tuple[LetterId, ...] = ()
    reason: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    start: dict[int, int] | None = None


def known_reason(text: str, name: str = "reason") -> str:
    if text not in {r.value for r in DlqReason}:
        known = ", ".join(r.value for r in DlqReason)
        raise InvalidParameter(name, f"unknown reason {text[:40]!r}; use {known}")
    return text


class ListDeadLetters:
    def __init__(self, reader: DeadLetterReader) -> None:
        self._reader = reader

    async def __call__(self, query: LetterQuery) -> LetterPage:
        if not 1 <= query.limit <= MAX_LIST:
            raise InvalidParameter("limit", f"must be between 1 and {MAX_LIST}")
        return await self._reader.page(query, MAX_SCAN)


class ShowDeadLetter:
    def __init__(self, reader: DeadLetterReader) -> None:
        self._reader = reader

    async def __call__(self, letter: LetterId) -> DeadLetter:
        found = await self._reader.get(letter)
        if found is None:
            raise NotFound(f"no dead letter at partition {letter.partition} offset {letter.offset}")
        return found


class RedriveDeadLetters:
    def __init__(
        self,
        reader: DeadLetterReader,
        ledger: RedriveLedger,
        sender: RedriveSender,
        source_topic: str,
        max_redrives: int = 3,
        metrics: RedriveMetrics | None = None,
    ) -> None:
        self._reader = reader
        self._ledger = ledger
        self._sender = sender
        self._topic = source_topic
        self._max = max_redrives
        self._metrics = metrics

    async def __call__(self, request: RedriveRequest, requested_by: str) -> RedriveReport:
        if bool(request.ids) == (request.reason is not None):
            raise InvalidParameter(
                "records", "give either records (partition and offset) or a reason"
            )
        if len(request.ids) > MAX_REDRIVE_IDS:
            raise InvalidParameter("records", f"at most {MAX_REDRIVE_IDS} per request")
        results: list[RedriveResult] = []
        next_start = None
        if request.ids:
            letters = []
            for letter_id in dict.fromkeys(request.ids):
                found = await self._reader.get(letter_id)
                if found is None:
                    results.append(RedriveResult(*_pair(letter_id), Outcome.NOT_FOUND))
                else:
                    letters.append(found)
        else:
            query = LetterQuery(
                reasons=frozenset({known_reason(request.reason or "")}),
                since=request.since,
                until=request.until,
                start=request.start,
                limit=MAX_LIST,
            )
            page = await self._reader.page(query, MAX_SCAN)
            letters, next_start = page.letters, page.next
        eligible = []
        for letter in letters:
            refusal = self._refusal(letter)
            if refusal is None:
                eligible.append(letter)
            else:
                results.append(RedriveResult(letter.partition, letter.offset, *refusal))
        claimed = (
            await self._ledger.claim(eligible, requested_by, self._send) if eligible else set()
        )
        for letter in eligible:
            outcome = Outcome.REDRIVEN if letter.id in claimed else Outcome.ALREADY_REDRIVEN
            results.append(RedriveResult(letter.partition, letter.offset, outcome))
        results.sort(key=lambda r: (r.partition, r.offset))
        self._log(results, requested_by)
        return RedriveReport(results, next_start)

    def _refusal(self, letter: DeadLetter) -> tuple[Outcome, str] | None:
        if letter.source_topic != self._topic:
            return Outcome.NOT_REDRIVABLE, f"its source topic is not {self._topic!r}"
        if "value" in letter.dropped or letter.value is None:
            return Outcome.NOT_REDRIVABLE, "the DLQ record lacks the original value (too large)"
        if letter.redrive_count >= self._max:
            return Outcome.LIMIT_REACHED, f"redriven {letter.redrive_count} times already"
        return None

    async def _send(self, letters: Sequence[DeadLetter]) -> None:
        await self._sender.send([(letter, letter.redrive_count + 1) for letter in letters])

    def _log(self, results: list[RedriveResult], requested_by: str) -> None:
        counts: dict[str, int] = {}
        for result in results:
            counts[result.outcome.value] = counts.get(result.outcome.value, 0) + 1
            if self._metrics is not None:
                self._metrics.redriven(result.outcome.value)
        redriven = [f"{r.partition}:{r.offset}" for r in results if r.outcome is Outcome.REDRIVEN]
        logger.bind(requestedBy=requested_by, outcomes=counts, redriven=redriven[:100]).info(
            "dead letters redriven on request"
        )


def _pair(letter: LetterId) -> tuple[int, int]:
    return letter.partition, letter.offset
