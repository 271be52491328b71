"""The API's statements are bounded by STREAMVIEW_API_STATEMENT_TIMEOUT_MS on a real
PostgreSQL: a read stuck behind a lock is cancelled by the server and answered 503 with
Retry-After, like an outage; the worker's connections carry no such bound."""

from __future__ import annotations

from collections.abc import AsyncIterator

import psycopg
import pytest

from entrypoints.asgi import create_app_from_container
from entrypoints.bootstrap import build_container
from entrypoints.container import Container
from entrypoints.settings import Settings
from entrypoints.wiring.lifetimes import holding
from tests.contracts.http_listing import client_without_lifespan
from tests.integration.postgres_support import migrate_database
from tests.support.events import order_log

TIMEOUT_MS = 300


@pytest.fixture
async def container(database_url: str) -> AsyncIterator[Container]:
    await migrate_database(database_url)
    settings = Settings.from_env(
        {}, dev_mode=True, backend="postgres", database_url=database_url, db_pool_min=1,
        db_pool_max=2, api_statement_timeout_ms=TIMEOUT_MS,
    )  # fmt: skip
    container = build_container(settings)
    async with holding(container):
        await container.write_side.project_batch()(order_log("ord-1"))
        yield container


async def test_only_the_api_pool_carries_the_statement_timeout(container: Container) -> None:
    async def setting(pool) -> str:  # type: ignore[no-untyped-def]
        async with pool.connection() as conn:
            row = await (await conn.execute("SHOW statement_timeout")).fetchone()
            return str(row[0])

    assert await setting(container.infrastructure.api_pool()) == f"{TIMEOUT_MS}ms"
    assert await setting(container.infrastructure.postgres_pool()) == "0"


async def test_a_read_past_the_statement_timeout_is_503_with_retry_after(
    container: Container, database_url: str
) -> None:
    async with client_without_lifespan(create_app_from_container(container)) as client:
        assert (await client.get("/orders/ord-1")).status_code == 200
        async with await psycopg.AsyncConnection.connect(database_url) as locker:
            # Held by another session: every read of the views waits for it.
            await locker.execute("LOCK TABLE orders_view IN ACCESS EXCLUSIVE MODE")
            answers = [await client.get(p) for p in ("/orders/ord-1", "/orders?pageSize=1")]
            await locker.rollback()
        after = await client.get("/orders/ord-1")

    assert [a.status_code for a in answers] == [503, 503]
    assert {a.headers["retry-after"] for a in answers} == {"2"}
    assert {a.json()["type"] for a in answers} == {"urn:streamview:problem:unavailable"}
    assert all("did not answer in time" in a.json()["detail"] for a in answers)
    assert after.status_code == 200  # the pool's connections are usable again


async def test_a_slow_statement_is_cancelled_by_the_server(container: Container) -> None:
    async with container.infrastructure.api_pool().connection() as conn:
        with pytest.raises(psycopg.errors.QueryCanceled):
            await conn.execute("SELECT pg_sleep(5)")
