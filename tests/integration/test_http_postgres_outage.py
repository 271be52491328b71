"""The API over a PostgreSQL that crashes and comes back: 503 with Retry-After meanwhile,
never a 500 or a request hanging for psycopg_pool's default 30 s; then served again."""

from __future__ import annotations

import asyncio

from litestar.testing import AsyncTestClient

from entrypoints.asgi import create_app_from_container
from entrypoints.container import build_container
from entrypoints.localstack.postgres import PostgresNode
from entrypoints.settings import Settings
from tests.integration.postgres_support import crash, migrate_database


async def test_reads_answer_503_while_the_database_is_down_and_200_when_it_is_back(
    disposable_postgres: PostgresNode,
) -> None:
    url = disposable_postgres.config.database_url
    await migrate_database(url)
    settings = Settings.from_env(
        {}, dev_mode=True, backend="postgres", database_url=url, db_pool_min=1, db_pool_max=2,
        db_pool_timeout_ms=1000,
    )  # fmt: skip
    container = build_container(settings)
    app = create_app_from_container(container)
    async with AsyncTestClient(app) as client:  # the lifespan opens the pool
        assert (await client.get("/orders?pageSize=1")).json()["items"] == []
        assert (await client.get("/orders/nope")).status_code == 404

        crash(disposable_postgres)
        answers = [await client.get(path) for path in ("/orders/nope", "/orders?pageSize=1")]

        assert [a.status_code for a in answers] == [503, 503]
        assert {a.headers["retry-after"] for a in answers} == {"2"}
        assert {a.json()["type"] for a in answers} == {"urn:streamview:problem:unavailable"}

        disposable_postgres.start()
        statuses = []
        async with asyncio.timeout(60):
            while not statuses or statuses[-1] == 503:
                statuses.append((await client.get("/orders/nope")).status_code)
        assert statuses[-1] == 404
        assert set(statuses) <= {503, 404}
