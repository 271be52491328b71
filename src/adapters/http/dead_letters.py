"""Ops endpoints over the dead-letter topic, mounted behind OpsOnly by `create_app`:
list (filtered by reason and time, paged by offsets), show one, redrive some or all of a reason.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIType
from litestar.params import FromPath, JSONBody, QueryParameter

from adapters.http.dependencies import use_cases
from adapters.http.limits import limits_spec
from adapters.http.ops import OPS_RESPONSES
from adapters.http.params import optional, parse_moment
from adapters.http.problems import problem_spec, unavailable_spec
from adapters.http.schemas import CamelStruct, utc
from application.dead_letter_ops import (
    MAX_LIST,
    MAX_REDRIVE_IDS,
    ListDeadLetters,
    RedriveDeadLetters,
    RedriveRequest,
    RedriveResult,
    ShowDeadLetter,
    known_reason,
)
from application.errors import InvalidParameter
from application.ports import DeadLetter, LetterId, LetterQuery

PREVIEW_CHARS = 256
MAX_PARTITIONS = 128


class Source(CamelStruct, frozen=True):
    topic: str | None
    partition: int | None
    offset: int | None


class LetterSummary(CamelStruct, frozen=True):
    partition: int
    offset: int
    timestamp: datetime
    reason: str
    detail: str
    source: Source
    key: str | None
    value_preview: str | None
    value_bytes: int | None
    redrive_count: int
    dropped: list[str]


class Header(CamelStruct, frozen=True):
    name: str
    value: str | None


class LetterBody(LetterSummary, frozen=True):
    value: str | None
    value_base64: str | None
    headers: list[Header]


class LetterListBody(CamelStruct, frozen=True):
    items: list[LetterSummary]
    next: Annotated[
        str | None,
        msgspec.Meta(description="`offsets` of the next page; null once the topic was read"),
    ]


class LetterRef(CamelStruct, frozen=True):
    partition: Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1)]
    offset: Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]


class RedriveBody(CamelStruct, frozen=True, forbid_unknown_fields=True):
    """Either `records`, or `reason` (all of it, optionally `from`/`to`, continued by `offsets`)."""

    records: Annotated[list[LetterRef], msgspec.Meta(max_length=MAX_REDRIVE_IDS)] = msgspec.field(
        default_factory=list
    )
    reason: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    from_: Annotated[str, msgspec.Meta(max_length=64)] | None = msgspec.field(
        default=None, name="from"
    )
    to: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    offsets: Annotated[str, msgspec.Meta(min_length=1, max_length=4096)] | None = None


class RedriveResultBody(CamelStruct, frozen=True):
    partition: int
    offset: int
    outcome: str
    detail: str


class RedriveReportBody(CamelStruct, frozen=True):
    results: list[RedriveResultBody]
    next: str | None


def _text(data: bytes | None, limit: int | None = None) -> str | None:
    if data is None:
        return None
    text = data.decode("utf-8", "replace")
    return text if limit is None or len(text) <= limit else text[:limit] + "…"


def summary(letter: DeadLetter) -> LetterSummary:
    return LetterSummary(
        partition=letter.partition,
        offset=letter.offset,
        timestamp=utc(letter.timestamp),
        reason=letter.reason,
        detail=letter.detail,
        source=Source(letter.source_topic, letter.source_partition, letter.source_offset),
        key=_text(letter.key, 128),
        value_preview=_text(letter.value, PREVIEW_CHARS),
        value_bytes=None if letter.value is None else len(letter.value),
        redrive_count=letter.redrive_count,
        dropped=list(letter.dropped),
    )


def detail_body(letter: DeadLetter) -> LetterBody:
    return LetterBody(
        **msgspec.structs.asdict(summary(letter)),
        value=_text(letter.value),
        value_base64=None if letter.value is None else base64.b64encode(letter.value).decode(),
        headers=[Header(n, _text(v)) for n, v in letter.headers],
    )


def parse_offsets(text: str | None, name: str = "offsets") -> dict[int, int] | None:
    """`partition:offset,…`: where a page starts (a previous page's `next`)."""
    if text is None:
        return None
    offsets: dict[int, int] = {}
    parts = text.split(",")
    if len(parts) > MAX_PARTITIONS:
        raise InvalidParameter(name, f"at most {MAX_PARTITIONS} partitions")
    for part in parts:
        p, _, o = part.strip().partition(":")
        ok = all(x.isascii() and x.isdigit() and len(x) <= 18 for x in (p, o))
        if not ok or int(p) > 2**31 - 1:
            raise InvalidParameter(name, "must be `partition:offset` pairs, e.g. 0:120,1:75")
        offsets[int(p)] = int(o)
    return offsets


def shown_offsets(offsets: dict[int, int] | None) -> str | None:
    return None if offsets is None else ",".join(f"{p}:{o}" for p, o in sorted(offsets.items()))


def result_body(result: RedriveResult) -> RedriveResultBody:
    return RedriveResultBody(result.partition, result.offset, result.outcome.value, result.detail)


def requested_by(request: Request[Any, Any, Any]) -> str:
    claims = request.scope.get("auth")
    sub = getattr(claims, "sub", None)
    return f"token:{sub}" if sub else "token:(no sub)"


Reasons = Annotated[
    list[str] | None,
    QueryParameter(
        name="reason",
        description="Only letters with these `x-dlq-reason`s (repeatable).",
        schema_extra=optional(OpenAPIType.ARRAY),
    ),
]


def _moment(name: str, meaning: str) -> QueryParameter:
    return QueryParameter(
        name=name,
        description=f"RFC 3339 timestamp; only letters written to the DLQ {meaning}.",
        max_length=64,
        schema_extra=optional(OpenAPIType.STRING, format="date-time"),
    )


Since = Annotated[str | None, _moment("from", "at or after it")]
Until = Annotated[str | None, _moment("to", "before it")]
Offsets = Annotated[
    str | None,
    QueryParameter(
        name="offsets",
        description="Where to start: a previous page's `next` (`partition:offset,…`).",
        min_length=1,
        max_length=4096,
        schema_extra=optional(OpenAPIType.STRING),
    ),
]
Limit = Annotated[
    int,
    QueryParameter(name="limit", ge=1, le=MAX_LIST, description="Letters per page (max 500)."),
]

_RESPONSES = {**OPS_RESPONSES, **unavailable_spec(), **limits_spec()}


def dead_letters_controller(
    list_factory: Callable[[], ListDeadLetters],
    show_factory: Callable[[], ShowDeadLetter],
    redrive_factory: Callable[[], RedriveDeadLetters],
) -> type[Controller]:
    class DeadLettersController(Controller):
        path = "/ops/dead-letters"
        tags = ("ops",)
        dependencies = use_cases(
            list_dead_letters=list_factory,
            show_dead_letter=show_factory,
            redrive_dead_letters=redrive_factory,
        )

        @get(
            "/",
            summary="List dead letters",
            responses={**_RESPONSES, 400: problem_spec("A parameter is invalid")},
        )
        async def list_letters(
            self,
            list_dead_letters: NamedDependency[ListDeadLetters],
            reason: Reasons = None,
            since: Since = None,
            until: Until = None,
            offsets: Offsets = None,
            limit: Limit = 50,
        ) -> LetterListBody:
            """Records of the DLQ topic with why and where they came from, oldest first."""
            query = LetterQuery(
                reasons=frozenset(known_reason(r) for r in reason or ()),
                since=parse_moment("from", since),
                until=parse_moment("to", until),
                start=parse_offsets(offsets),
                limit=limit,
            )
            page = await list_dead_letters(query)
            return LetterListBody([summary(x) for x in page.letters], shown_offsets(page.next))

        @get(
            "/{partition:int}/{offset:int}",
            summary="Show one dead letter",
            responses={
                **_RESPONSES,
                400: problem_spec("The partition or offset is out of range"),
                404: problem_spec("No DLQ record there"),
            },
        )
        async def show_letter(
            self,
            partition: FromPath[int],
            offset: FromPath[int],
            show_dead_letter: NamedDependency[ShowDeadLetter],
        ) -> LetterBody:
            """One DLQ record whole: its value (text and base64) and original headers."""
            if not (0 <= partition < 2**31 and 0 <= offset < 2**63):
                raise InvalidParameter(
                    "offset", "the partition must be 0 to 2^31 - 1, the offset 0 to 2^63 - 1"
                )
            return detail_body(await show_dead_letter(LetterId(partition, offset)))

        @post(
            "/redrive",
            status_code=200,
            summary="Redrive dead letters",
            responses={**_RESPONSES, 400: problem_spec("The body is invalid")},
        )
        async def redrive_letters(
            self,
            request: Request[Any, Any, Any],
            data: JSONBody[RedriveBody],
            redrive_dead_letters: NamedDependency[RedriveDeadLetters],
        ) -> RedriveReportBody:
            """Send letters back to their source topic, each at most once (see `outcome`)."""
            report = await redrive_dead_letters(
                RedriveRequest(
                    ids=tuple(LetterId(r.partition, r.offset) for r in data.records),
                    reason=data.reason,
                    since=parse_moment("from", data.from_),
                    until=parse_moment("to", data.to),
                    start=parse_offsets(data.offsets),
                ),
                requested_by(request),
            )
            return RedriveReportBody(
                [result_body(r) for r in report.results], shown_offsets(report.next)
            )

    return DeadLettersController
