"""Request headers are bounded before any of them is read: 431 with a problem body beyond.

It wraps the application's ASGI handler, ahead of routing, so that it holds for every path
(Litestar's middleware runs only for routes that match). Under uvicorn, httptools buffers a
request head of any size before the application sees it; h11 stops at its own limit, which
`serve` and `run` set above these (entrypoints.serving), so both parsers answer the same 431.
"""

from __future__ import annotations

from http import HTTPStatus

import msgspec
from litestar.enums import ScopeType
from litestar.openapi.datastructures import ResponseSpec
from litestar.types import ASGIApp, Receive, Scope, Send

from adapters.http.problems import PROBLEM_JSON, Problem, problem_spec

MAX_HEADER_BYTES = 8 * 1024  # one header: name and value
MAX_HEADERS_BYTES = 32 * 1024  # all of them together
MAX_HEADER_COUNT = 100
TYPE_HEADERS_TOO_LARGE = "urn:streamview:problem:request-headers-too-large"
_STATUS = HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE


def limits_spec() -> dict[int, ResponseSpec]:
    """The 431 every route may answer."""
    return {
        431: problem_spec(
            f"Request headers over the limits: more than {MAX_HEADER_COUNT}, one over "
            f"{MAX_HEADER_BYTES} bytes or all over {MAX_HEADERS_BYTES} bytes"
        )
    }


def headers_problem(headers: list[tuple[bytes, bytes]]) -> str | None:
    """What is too large about these headers, or None."""
    if len(headers) > MAX_HEADER_COUNT:
        return f"more than {MAX_HEADER_COUNT} request headers"
    total = 0
    for name, value in headers:
        size = len(name) + len(value)
        if size > MAX_HEADER_BYTES:
            shown = name[:64].decode("latin-1")
            return f"request header {shown!r} is over {MAX_HEADER_BYTES} bytes"
        total += size
    if total > MAX_HEADERS_BYTES:
        return f"request headers total over {MAX_HEADERS_BYTES} bytes"
    return None


class HeaderLimits:
    """ASGI: 431 for an HTTP request whose headers are over the limits; the rest goes on."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            problem = headers_problem(list(scope["headers"]))
            if problem is not None:
                await _refuse(send, problem)
                return
        await self._app(scope, receive, send)


def _problem_body(detail: str) -> bytes:
    return msgspec.json.encode(
        Problem(TYPE_HEADERS_TOO_LARGE, _STATUS.phrase, _STATUS.value, detail)
    )


def headers_too_large_response(detail: str) -> bytes:
    """The whole HTTP/1.1 response, for a server that refuses before any ASGI app runs."""
    body = _problem_body(detail)
    head = (
        f"HTTP/1.1 {_STATUS.value} {_STATUS.phrase}\r\ncontent-type: {PROBLEM_JSON}\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


async def _refuse(send: Send, detail: str) -> None:
    body = _problem_body(detail)
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": _STATUS.value, "headers": headers})
    await send({"type": "http.response.body", "body": body})  # type: ignore[arg-type]
