"""The rebuild endpoints over an in-memory rebuild log: OpsOnly, 202/Location, 404, 409."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import jwt
import pytest
from litestar.testing import AsyncTestClient
from msgspec.structs import replace

from adapters.http.rebuilds import rebuild_controller
from adapters.memory.rebuild_log import MemoryRebuildLog
from adapters.memory.topic import MemoryTopic
from application.rebuild.model import RebuildState
from application.rebuild.requests import CancelRebuild, GetRebuild, StartRebuild
from tests.support.ops_app import memory_app_with

pytestmark = pytest.mark.unit

SECRET = "test-ops-secret-long-enough-for-hs256"
PATHS = ["/views/rebuild", "/ops/views/rebuild"]


def token(roles: list[str]) -> dict[str, str]:
    claims = {"sub": "alice", "roles": roles, "exp": int(time.time()) + 3600}
    return {"Authorization": f"Bearer {jwt.encode(claims, SECRET, algorithm='HS256')}"}


OPS, VIEWER = token(["ops"]), token(["viewer"])


def app(log: MemoryRebuildLog, allowed: bool = True):  # type: ignore[no-untyped-def]
    ids = iter(f"rebuild-{n}" for n in range(1, 100))
    controller = rebuild_controller(
        lambda: StartRebuild(log, allowed, new_id=lambda: next(ids)),
        lambda: GetRebuild(log),
        lambda: CancelRebuild(log),
    )
    return memory_app_with(controller, SECRET, MemoryTopic("orders.events"))


@pytest.fixture
def log() -> MemoryRebuildLog:
    return MemoryRebuildLog()


@pytest.fixture
async def client(log: MemoryRebuildLog) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app(log)) as client:
        yield client


@pytest.mark.parametrize("path", PATHS)
async def test_post_accepts_and_points_at_the_status(client, log, path) -> None:
    response = await client.post(path, headers=OPS)

    assert response.status_code == 202, response.text
    assert response.json() == {"rebuildId": "rebuild-1", "state": "RUNNING"}
    assert response.headers["location"] == "/views/rebuild/rebuild-1"
    assert log.rows["rebuild-1"].mode == "blue-green"


async def test_status_reports_progress(client, log) -> None:
    await client.post("/views/rebuild?mode=inplace", headers=OPS)
    claimed = await log.claim("worker-1")
    assert claimed is not None
    await log.heartbeat(replace(claimed, events_replayed=250, target_offsets={0: 600, 1: 400}))

    response = await client.get("/ops/views/rebuild/rebuild-1", headers=OPS)

    assert response.status_code == 200, response.text
    body = response.json()
    assert {k: body[k] for k in ("rebuildId", "mode", "state", "phase", "cancelRequested")} == {
        "rebuildId": "rebuild-1",
        "mode": "inplace",
        "state": "RUNNING",
        "phase": "REPLAYING",
        "cancelRequested": False,
    }
    assert (body["eventsReplayed"], body["targetEvents"], body["progress"]) == (250, 1000, 25.0)
    assert body["targetOffsets"] == {"0": 600, "1": 400}
    assert set(body) >= {"rate", "etaSeconds", "requestedAt", "startedAt", "finishedAt", "error"}


async def test_a_second_rebuild_while_one_runs_is_a_409_problem(client) -> None:
    assert (await client.post("/views/rebuild", headers=OPS)).status_code == 202

    response = await client.post("/ops/views/rebuild", headers=OPS)

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert "rebuild rebuild-1 is RUNNING" in response.json()["detail"]


async def test_delete_cancels_and_a_finished_rebuild_cannot_be(client, log) -> None:
    await client.post("/views/rebuild", headers=OPS)

    cancelled = await client.delete("/views/rebuild/rebuild-1", headers=OPS)
    assert cancelled.status_code == 202
    assert cancelled.json()["state"] == "CANCELLED"

    await client.post("/views/rebuild", headers=OPS)
    claimed = await log.claim("worker-1")
    assert claimed is not None and await log.move(claimed, RebuildState.FAILED, "boom")
    refused = await client.delete("/ops/views/rebuild/rebuild-2", headers=OPS)
    assert refused.status_code == 409
    assert "FAILED: it can no longer be cancelled" in refused.json()["detail"]


@pytest.mark.parametrize("method", ["GET", "DELETE"])
async def test_unknown_rebuild_is_a_404_problem(client, method) -> None:
    response = await client.request(method, "/views/rebuild/nope", headers=OPS)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_an_unknown_mode_is_a_400_naming_it(client) -> None:
    response = await client.post("/views/rebuild?mode=sideways", headers=OPS)
    assert response.status_code == 400
    assert response.json()["invalidParams"][0]["name"] == "mode"


async def test_disabled_rebuilds_are_a_409_problem_saying_so(log) -> None:
    async with AsyncTestClient(app(log, allowed=False)) as client:
        response = await client.post("/views/rebuild", headers=OPS)
    assert response.status_code == 409
    assert "STREAMVIEW_ALLOW_REBUILD" in response.json()["detail"]
    assert log.rows == {}


ENDPOINTS = [
    ("POST", "/views/rebuild"),
    ("POST", "/ops/views/rebuild"),
    ("GET", "/views/rebuild/rebuild-1"),
    ("GET", "/ops/views/rebuild/rebuild-1"),
    ("DELETE", "/views/rebuild/rebuild-1"),
    ("DELETE", "/ops/views/rebuild/rebuild-1"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "Bearer not.a.jwt"}, 401), (VIEWER, 403)],
    ids=["no token", "invalid token", "without the ops role"],
)
async def test_every_rebuild_endpoint_is_ops_only(client, log, method, path, headers, status):
    response = await client.request(method, path, headers=headers)

    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert log.rows == {}
