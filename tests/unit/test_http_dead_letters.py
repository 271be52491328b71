"""The dead-letter endpoints over the in-memory adapters: pages across partitions, and a 503
problem (never a 500) when the broker or the ledger is away."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import NamedTuple

import jwt
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from adapters.http.dead_letters import dead_letters_controller
from adapters.memory.dead_letter_ops import (
    MemoryDeadLetterReader,
    MemoryRedriveLedger,
    MemoryRedriveSender,
)
from adapters.memory.topic import MemoryTopic
from application.dead_letter_ops import ListDeadLetters, RedriveDeadLetters, ShowDeadLetter
from application.ports import DeadLetter
from tests.support.ops_app import memory_app_with

pytestmark = pytest.mark.unit

SECRET = "test-ops-secret-long-enough-for-hs256"
TOPIC = "orders.events"
CLAIMS = {"sub": "alice", "roles": ["ops"], "exp": int(time.time()) + 3600}
OPS = {"Authorization": f"Bearer {jwt.encode(CLAIMS, SECRET, algorithm='HS256')}"}


def letter(partition: int, offset: int) -> DeadLetter:
    return DeadLetter(
        partition, offset, datetime(2026, 12, 1, tzinfo=UTC), "unsupported_version", "v9",
        TOPIC, partition, offset, b"o-1", b"{}", (("x-sequence", b"1"),),
    )  # fmt: skip


class Ops(NamedTuple):
    reader: MemoryDeadLetterReader
    ledger: MemoryRedriveLedger
    sender: MemoryRedriveSender


def app(ops: Ops) -> Litestar:
    controller = dead_letters_controller(
        lambda: ListDeadLetters(ops.reader),
        lambda: ShowDeadLetter(ops.reader),
        lambda: RedriveDeadLetters(ops.reader, ops.ledger, ops.sender, TOPIC),
    )
    return memory_app_with(controller, SECRET)


@pytest.fixture
def ops() -> Ops:
    letters = [letter(0, 0), letter(0, 1), letter(1, 0)]
    return Ops(
        MemoryDeadLetterReader(letters, 2),
        MemoryRedriveLedger(),
        MemoryRedriveSender(MemoryTopic(TOPIC, 2)),
    )


@pytest.fixture
async def client(ops: Ops) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app(ops)) as client:
        yield client


async def test_next_pages_through_every_partition_once(client: AsyncTestClient[Litestar]) -> None:
    first = (await client.get("/ops/dead-letters?limit=2", headers=OPS)).json()
    params = {"limit": "2", "offsets": first["next"]}
    rest = (await client.get("/ops/dead-letters", params=params, headers=OPS)).json()

    assert first["next"] == "0:2,1:0"
    assert [(x["partition"], x["offset"]) for x in first["items"] + rest["items"]] == [
        (0, 0),
        (0, 1),
        (1, 0),
    ]
    assert rest["next"] is None


@pytest.mark.parametrize("away", ["reader", "ledger", "sender"])
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/ops/dead-letters", None),
        ("GET", "/ops/dead-letters/0/1", None),
        ("POST", "/ops/dead-letters/redrive", {"reason": "unsupported_version"}),
        ("POST", "/ops/dead-letters/redrive", {"records": [{"partition": 1, "offset": 0}]}),
    ],
)
async def test_a_server_away_is_a_503_problem(
    client: AsyncTestClient[Litestar],
    ops: Ops,
    away: str,
    method: str,
    path: str,
    body: object,
) -> None:
    getattr(ops, away).reachable = False

    response = await client.request(method, path, json=body, headers=OPS)

    if method == "GET" and away != "reader":
        assert response.status_code == 200, response.text  # reading needs the broker only
        return
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "retry-after" in response.headers
    assert ops.ledger.claims == {}
