"""The API over a PostgreSQL that crashes and comes back: 503 with Retry-After meanwhile (reads
and the rebuild endpoints), readiness naming postgres, never a 500 or a request hanging for
psycopg_pool's default 30 s; then served again."""

from __future__ import annotations

import asyncio
import time

import jwt
from litestar.testing import AsyncTestClient

from devtools.localstack.postgres import PostgresNode
from entrypoints.api_secrets import DEV_SECRETS
from entrypoints.asgi import create_app_from_container
from entrypoints.bootstrap import build_container
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
        ops = {"Authorization": f"Bearer {_ops_token()}"}
        answers += [
            await client.post("/views/rebuild", headers=ops),
            await client.get("/views/rebuild/some-id", headers=ops),
            await client.delete("/ops/views/rebuild/some-id", headers=ops),
        ]
        ready = await client.get("/health/ready")

        assert [a.status_code for a in answers] == [503] * 5, [a.text for a in answers]
        assert {a.headers["retry-after"] for a in answers} == {"2"}
        assert {a.json()["type"] for a in answers} == {"urn:streamview:problem:unavailable"}
        assert ready.status_code == 503
        checks = {c["name"]: c["problem"] for c in ready.json()["checks"]}
        assert checks["postgres"] == "unreachable"
        assert checks["schema"] == "not checked: postgres is unreachable"
        port = str(disposable_postgres.config.postgres_port)
        assert port not in ready.text and "127.0.0.1" not in ready.text

        disposable_postgres.start()
        statuses = []
        async with asyncio.timeout(60):
            while not statuses or statuses[-1] == 503:
                statuses.append((await client.get("/orders/nope")).status_code)
        assert statuses[-1] == 404
        assert set(statuses) <= {503, 404}


def _ops_token() -> str:
    now = int(time.time())
    claims = {"roles": ["ops"], "iat": now, "exp": now + 600}
    return jwt.encode(claims, DEV_SECRETS["ops_jwt_secret"], algorithm="HS256")
