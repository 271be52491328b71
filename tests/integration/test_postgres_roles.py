"""The grants of deploy/postgres/roles.sql are enough: migrations as streamview_owner, the
worker as streamview_worker, the API as streamview_api, which can only read."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from application.ports import ListQuery, OrderFilters, Sort, SortField
from devtools.generator import GeneratorOptions, generate
from entrypoints.bootstrap import build_container
from entrypoints.settings import Settings
from entrypoints.wiring.lifetimes import holding
from tests.integration.worker_support import (
    caught_up,
    migrated,
    produce,
    running_worker,
    worker_settings,
)

ROLES_SQL = Path(__file__).parents[2] / "deploy" / "postgres" / "roles.sql"


def as_role(url: str, role: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return parts._replace(netloc=f"{role}@{host}").geturl()


async def test_each_role_does_its_part_with_the_documented_grants(
    stack_endpoints, database_url, new_topic, group_id
) -> None:
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(ROLES_SQL.read_text())
    await migrated(as_role(database_url, "streamview_owner"))
    bootstrap = stack_endpoints.kafka_bootstrap
    topic = new_topic(partitions=1)
    sent = await produce(bootstrap, topic, generate(GeneratorOptions(orders=5, seed=5)))

    worker = worker_settings(bootstrap, as_role(database_url, "streamview_worker"), topic, group_id)
    async with running_worker(worker):
        await caught_up(database_url, group_id, topic, {0: sent})

    api = build_container(
        Settings(
            database_url=as_role(database_url, "streamview_api"),
            kafka_bootstrap=bootstrap,
            topic=topic,
            consumer_group=group_id,
            db_pool_min=1,
        )
    )
    async with holding(api):  # reads go through the API's own pool
        order = await api.read_side.get_order()("ord-0000001")
        page = await api.read_side.order_reader().list_orders(
            ListQuery(OrderFilters(), Sort(SortField.ORDER_ID, descending=False), limit=10)
        )
        lag = await api.ops.group_report_lag()()

    assert order is not None
    assert len(page) == 5
    assert lag.total_lag == 0
    async with await psycopg.AsyncConnection.connect(
        as_role(database_url, "streamview_api")
    ) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            await conn.execute("DELETE FROM orders_view")


API_GRANTS = (  # README "PostgreSQL: TLS and roles": what API processes write, after migrating
    "GRANT DELETE ON order_changes TO streamview_api",
    "GRANT UPDATE ON order_changes_pruned TO streamview_api",
    "GRANT INSERT ON dlq_redrives TO streamview_api",
)


async def test_the_api_role_prunes_the_change_log_and_claims_redrives_with_its_grants(
    database_url,
) -> None:
    from datetime import UTC, datetime

    from adapters.postgres.change_log import _PRUNE
    from adapters.postgres.redrives import _CLAIM, PostgresRedriveLedger
    from application.errors import Unavailable
    from application.ports import DeadLetter
    from tests.integration.postgres_support import open_pool

    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(ROLES_SQL.read_text())
    await migrated(as_role(database_url, "streamview_owner"))
    claim = ("orders.events.dlq", "api", [0], [7], ["orders.events"], [1])
    letter = DeadLetter(
        0, 7, datetime.now(UTC), "invalid_json", "", "orders.events", 0, 7, b"k", b"v", ()
    )
    async with open_pool(as_role(database_url, "streamview_api"), migrated=False) as pool:
        ledger = PostgresRedriveLedger(pool, "orders.events.dlq")
        sent: list[object] = []

        async def send(letters: object) -> None:
            sent.append(letters)

        with pytest.raises(Unavailable, match="privilege"):  # a 503, not a 500
            await ledger.claim([letter], "test", send)
        assert sent == []
    async with await psycopg.AsyncConnection.connect(
        as_role(database_url, "streamview_api"), autocommit=True
    ) as api:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            await api.execute(_PRUNE, (3600,))
        with psycopg.connect(database_url, autocommit=True) as admin:
            for grant in API_GRANTS:
                admin.execute(grant)
        pruned = await (await api.execute(_PRUNE, (3600,))).fetchone()
        claimed = await (await api.execute(_CLAIM, claim)).fetchall()

    assert pruned == (0,)
    assert claimed == [(0, 7)]
