"""Query parameters of `GET /orders`: documented for OpenAPI, turned into a ListRequest."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar.openapi.spec import Example, OpenAPIType, Schema
from litestar.params import HeaderParameter, QueryParameter

from application.errors import InvalidParameter
from application.ports import SortField
from application.queries import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_ROWS_BY_PAGE_NUMBER
from domain.events import OrderStatus

MAX_PAGE = 1_000_000_000  # keeps OFFSET far inside BIGINT; deep pages should use `cursor`
_STATUS = "|".join(s.value for s in OrderStatus)
_SORTS = [f"{sign}{field.value}" for field in SortField for sign in ("", "-")]
# An unencoded "+" in a query string arrives as a space: "…T10:15:00 02:00" meant "+02:00".
_SPACE_FOR_PLUS = re.compile(r" (\d{2}:\d{2})$")
_EXAMPLE = "2026-11-28T10:15:00Z"
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def optional(type_: OpenAPIType, **schema: Any) -> dict[str, Any]:
    """`schema_extra` of an optional parameter: documented as its type, not `oneOf [type, null]`
    (a query string cannot say null; absent is how it says "no filter")."""
    return {"one_of": None, "type": type_, **schema}


Statuses = Annotated[
    list[str] | None,
    QueryParameter(
        name="status",
        description="Only orders in these statuses; repeat the parameter "
        "(`status=PAID&status=SHIPPED`) or separate with commas (`status=PAID,SHIPPED`).",
        schema_extra=optional(
            OpenAPIType.ARRAY,
            items=Schema(type=OpenAPIType.STRING, pattern=f"^({_STATUS})(,({_STATUS}))*$"),
        ),
        examples=[Example(value=["PAID", "SHIPPED"])],
    ),
]
CustomerId = Annotated[
    str | None,
    QueryParameter(
        name="customerId",
        description="Only orders of this customer.",
        min_length=1,
        max_length=64,
        schema_extra=optional(OpenAPIType.STRING, pattern="^[^\\u0000]+$"),
        examples=[Example(value="c-42")],
    ),
]


def _moment(name: str, meaning: str) -> QueryParameter:
    return QueryParameter(
        name=name,
        description=f"RFC 3339 timestamp with an offset; {meaning}",
        schema_extra=optional(OpenAPIType.STRING, format="date-time"),
        examples=[Example(value=_EXAMPLE)],
    )


UpdatedFrom = Annotated[str | None, _moment("from", "only orders with `updatedAt` at or after it.")]
UpdatedTo = Annotated[str | None, _moment("to", "only orders with `updatedAt` before it.")]
SortParam = Annotated[
    str | None,
    QueryParameter(
        name="sort",
        description="Sort key, `-` prefix for descending; ties broken by orderId. "
        "Default `-updatedAt`.",
        min_length=1,
        schema_extra=optional(OpenAPIType.STRING, enum=_SORTS),
    ),
]
# Read as text: the lenient decoder would turn `page=null` into "no page" for `int | None`.
PageParam = Annotated[
    str | None,
    QueryParameter(
        name="page",
        description="1-based page number (default 1); not with cursor. "
        f"page x pageSize is at most {MAX_ROWS_BY_PAGE_NUMBER}: deeper pages go by cursor.",
        schema_extra=optional(OpenAPIType.INTEGER, minimum=1, maximum=MAX_PAGE),
    ),
]
# Text too, for the same reason: absent (not `null`) is what lets a cursor's page size apply.
PageSizeParam = Annotated[
    str | None,
    QueryParameter(
        name="pageSize",
        description=f"Orders per page, default {DEFAULT_PAGE_SIZE} (with a cursor: the cursor's).",
        schema_extra=optional(
            OpenAPIType.INTEGER, minimum=1, maximum=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE
        ),
    ),
]
CursorParam = Annotated[
    str | None,
    QueryParameter(
        name="cursor",
        description="Opaque token from `nextCursor` or a `Link` header; not with page. It "
        "continues the listing it came from: filters, sort and pageSize not sent are its own, "
        "and those sent must be its own.",
        min_length=1,
        # A cursor carries its listing: up to ~1,300 characters with 64-character identifiers
        # of four-byte characters, every status and both bounds.
        max_length=2048,
        schema_extra=optional(OpenAPIType.STRING),
    ),
]


IfNoneMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-None-Match",
        description="ETag(s) of a copy the client holds; 304 when one is current.",
        schema_extra=optional(OpenAPIType.STRING),
    ),
]


def customer_filter(value: str | None) -> str | None:
    if value is not None and "\x00" in value:
        raise InvalidParameter("customerId", "must not contain NUL characters")
    return value


def parse_page(text: str | None) -> int | None:
    if text is None:
        return None
    # Length first: int() refuses strings of thousands of digits with an error of its own.
    digits = text.isascii() and text.isdigit() and len(text) <= len(str(MAX_PAGE))
    if not digits or not 1 <= int(text) <= MAX_PAGE:
        raise InvalidParameter("page", f"must be a whole number from 1 to {MAX_PAGE}")
    return int(text)


def parse_page_size(text: str | None) -> int | None:
    if text is None:
        return None
    digits = text.isascii() and text.isdigit() and len(text) <= len(str(MAX_PAGE_SIZE))
    if not digits or not 1 <= int(text) <= MAX_PAGE_SIZE:
        raise InvalidParameter("pageSize", f"must be between 1 and {MAX_PAGE_SIZE}")
    return int(text)


def split_statuses(values: list[str] | None) -> tuple[str, ...]:
    return tuple(part.strip() for value in values or () for part in value.split(","))


def parse_moment(name: str, text: str | None) -> datetime | None:
    """An RFC 3339 timestamp with an offset, or InvalidParameter naming the parameter."""
    if text is None:
        return None
    text = _SPACE_FOR_PLUS.sub(r"+\1", text.strip())
    if not _RFC3339.match(text):
        raise InvalidParameter(
            name, f"must be an RFC 3339 timestamp with an offset, e.g. {_EXAMPLE}"
        )
    try:
        moment = msgspec.convert(text.upper(), datetime)
        moment.astimezone(UTC)  # a time at the edge of the calendar may not exist in UTC
    except (msgspec.ValidationError, OverflowError):
        raise InvalidParameter(name, "is not a valid date and time") from None
    return moment


def rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
