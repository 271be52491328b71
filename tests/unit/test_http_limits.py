"""Bounded requests: headers over the limits are a 431 problem on every path, under the ASGI
app and under `streamview serve` with either HTTP parser; If-None-Match is read with bounds."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
from litestar.testing import AsyncTestClient

from adapters.http.etags import none_match_hits
from adapters.http.limits import MAX_HEADER_BYTES, MAX_HEADER_COUNT, MAX_HEADERS_BYTES
from entrypoints.asgi import create_app_from_container
from entrypoints.bootstrap import build_container
from entrypoints.bounded_http import MAX_REQUEST_HEAD_BYTES
from entrypoints.settings import Settings
from tests.support.processes import IN_MEMORY, serving

pytestmark = pytest.mark.unit

TAG = '"0123456789abcdef0123456789abcdef"'


@pytest.fixture
async def client() -> AsyncIterator[AsyncTestClient]:
    container = build_container(Settings.from_env({}, dev_mode=True, backend="memory"))
    async with AsyncTestClient(create_app_from_container(container)) as client:
        yield client


def _many(count: int, size: int) -> dict[str, str]:
    return {f"x-h{n}": "v" * size for n in range(count)}


@pytest.mark.parametrize("path", ["/orders", "/orders/o-1", "/health/live", "/no/such/route"])
@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"x-big": "v" * MAX_HEADER_BYTES}, "request header 'x-big' is over"),
        ({"If-None-Match": "W/" + '"x", ' * 2_000_000}, "'if-none-match' is over"),
        (_many(MAX_HEADER_COUNT + 1, 1), f"more than {MAX_HEADER_COUNT}"),
        (_many(5, MAX_HEADERS_BYTES // 5), f"total over {MAX_HEADERS_BYTES}"),
    ],
    ids=["one header", "8 MB If-None-Match", "too many", "too many bytes"],
)
async def test_headers_over_the_limits_are_a_431_problem_on_every_path(
    client, path, headers, reason
):
    response = await client.get(path, headers=headers)

    assert response.status_code == 431
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 431 and body["title"] == "Request Header Fields Too Large"
    assert reason in body["detail"]


async def test_headers_under_the_limits_are_served(client):
    headers = _many(MAX_HEADER_COUNT - 10, MAX_HEADERS_BYTES // (2 * MAX_HEADER_COUNT))
    response = await client.get("/orders", headers=headers)

    assert response.status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "x" * 8_000_000,  # one long token
        '"x",' * 2_000_000,
        ",".join(['"other"'] * 64 + [TAG]),  # the current tag, but as tag 65
        TAG + " " * 5000,
    ],
    ids=["8 MB token", "2M tags", "65 tags", "padded"],
)
def test_an_oversized_if_none_match_matches_nothing(header):
    assert none_match_hits(header, TAG) is False


@pytest.mark.parametrize(
    "header", [TAG, f"W/{TAG}", f'"a", {TAG}', ",".join(['"other"'] * 63 + [TAG]), "*"]
)
def test_a_bounded_if_none_match_still_matches(header):
    assert none_match_hits(header, TAG) is True


def _raw_request(base: str, header_bytes: int) -> bytes:
    """GET /orders with one header of this size over a plain socket; the whole answer."""
    address = urlsplit(base)
    request = b"GET /orders HTTP/1.1\r\nHost: x\r\nx-big: " + b"v" * header_bytes + b"\r\n\r\n"
    with socket.create_connection((address.hostname, address.port), timeout=10) as conn:
        # Refused before all of it was read: the answer is there already.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.sendall(request)
        chunks = []
        while chunk := _recv(conn):
            chunks.append(chunk)
    return b"".join(chunks)


def _recv(conn: socket.socket) -> bytes:
    try:
        return conn.recv(65536)
    except ConnectionResetError:
        return b""


@pytest.mark.parametrize("parser", ["httptools", "h11"])
def test_serve_refuses_large_request_heads_with_431_under_either_parser(parser):
    pytest.importorskip(parser)
    with serving("--dev", "--http", parser, settings=IN_MEMORY) as base:
        app_level = _raw_request(base, 40 * 1024)  # under the server's bound: the app's 431
        huge = _raw_request(base, 8 * 1024 * 1024)

    assert app_level.startswith(b"HTTP/1.1 431 ")
    assert b"request-headers-too-large" in app_level
    if parser == "httptools":  # refused as it arrives, before 8 MB are buffered
        assert huge.startswith(b"HTTP/1.1 431 ")
        assert str(MAX_REQUEST_HEAD_BYTES).encode() in huge
    else:  # h11 stops at the same size with a 400 of its own
        assert huge.startswith(b"HTTP/1.1 400 ")
