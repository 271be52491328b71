"""Read-your-writes over HTTP: `minSequence`, `minPosition`, `wait` and the position header.

A read that asks for more than the views hold after its wait answers `412 Precondition Failed`
(the precondition is the client's `minSequence`/`minPosition`), a problem whose body says
where the views are: `currentSequence` for an order, `position` (a token) for any read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from litestar import Response
from litestar.datastructures import ResponseHeader
from litestar.openapi.spec import Example, OpenAPIType
from litestar.params import QueryParameter

from adapters.http.params import optional
from adapters.http.problems import PROBLEM_JSON, Problem, problem_spec
from application.freshness import NotReached, encode_position

POSITION_HEADER = "StreamView-Position"
TYPE_NOT_REACHED = "urn:streamview:problem:not-reached"

MinSequenceParam = Annotated[
    str | None,
    QueryParameter(
        name="minSequence",
        description="Answer only once the order's `lastEventSequence` is at least this (an "
        "absent order counts as 0), waiting up to `wait`; else 412 with `currentSequence`.",
        schema_extra=optional(OpenAPIType.INTEGER, minimum=1),
        examples=[Example(value="3")],
    ),
]
MinPositionParam = Annotated[
    str | None,
    QueryParameter(
        name="minPosition",
        description=f"Answer only once the worker has passed these offsets, waiting up to "
        f"`wait`; else 412 with the current `position`. A `{POSITION_HEADER}` token, or "
        "`partition:offset` pairs separated by commas, the offsets of records the client "
        "produced (its send results): passed means consumed and applied, or dead-lettered.",
        min_length=1,
        max_length=4096,
        schema_extra=optional(OpenAPIType.STRING),
        examples=[Example(value="0:1234,1:987")],
    ),
]
WaitParam = Annotated[
    str | None,
    QueryParameter(
        name="wait",
        description="How long to wait for `minSequence`/`minPosition`: `2s`, `1.5s`, `500ms` "
        "or seconds; absent is 0 (look once). At most STREAMVIEW_READ_WAIT_MAX_MS.",
        max_length=32,
        schema_extra=optional(OpenAPIType.STRING, pattern="^[0-9]+(\\.[0-9]{1,3})?(ms|s)?$"),
        examples=[Example(value="2s")],
    ),
]

POSITION_RESPONSE_HEADER = ResponseHeader(
    name=POSITION_HEADER,
    description="Opaque token of the consumer positions the data reflects at least; send it "
    "back as `minPosition` to read your writes on any endpoint. Absent until this process's "
    "change feed has read the positions.",
    documentation_only=True,
)


class NotReachedProblem(Problem, frozen=True, rename="camel", omit_defaults=True):
    current_sequence: int | None = None
    position: str | None = None


class _LastToken:
    """The token of the positions last encoded: they change once per batch, reads are many."""

    positions: Mapping[int, int] | None = None
    token = ""


def position_headers(positions: Mapping[int, int] | None) -> dict[str, str]:
    if positions is None:
        return {}
    if positions is not _LastToken.positions:  # the hub's dicts are replaced, never changed
        _LastToken.token, _LastToken.positions = encode_position(positions), positions
    return {POSITION_HEADER: _LastToken.token}


def not_reached_response(error: NotReached) -> Response[NotReachedProblem]:
    body = NotReachedProblem(
        type=TYPE_NOT_REACHED,
        title="Precondition Failed",
        status=412,
        detail=str(error),
        current_sequence=error.current_sequence,
        position=None if error.positions is None else encode_position(error.positions),
    )
    return Response(
        body,
        status_code=412,
        media_type=PROBLEM_JSON,
        headers={**position_headers(error.positions), "Cache-Control": "no-store"},
    )


NOT_REACHED_SPEC = {
    412: problem_spec(
        "`minSequence`/`minPosition` not reached within `wait`: `currentSequence` and "
        "`position` say where the views are",
        NotReachedProblem,
    )
}
