"""The PostgreSQL view store: the contract suite, then what only a real database can show."""

from __future__ import annotations

from collections.abc import AsyncIterator

import psycopg
import pytest

from adapters.postgres.pool import make_pool
from adapters.postgres.store import PostgresViewStore, RetryPolicy
from application.ports import BatchWrite, Position, ProjectionTransaction
from domain.batch import BatchResult, apply_batch
from tests.contracts.order_reader_outage import OrderReaderOutageContract
from tests.contracts.view_store import ViewStoreContract
from tests.contracts.view_store_data import created, item_added, status_changed
from tests.integration.postgres_support import dump, execute, open_pool, project

FAST_RETRY = RetryPolicy(attempts=3, first_delay=0.01)
MIXED_BATCH = [
    created("o-1", qty=2, price="9.99", tax="0.23"),
    item_added("o-1", 2),
    status_changed("o-1", 3, "PAID"),
    created("o-2", qty=1, price="100.00", tax="0"),
    status_changed("o-2", 3, "CANCELLED"),  # a gap: stashed
    created("o-3", qty=5, price="0.10", tax="0.08"),
    item_added("o-3", 2, qty=3),
    created("o-1", qty=2, price="9.99", tax="0.23"),  # a duplicate
]


class TestPostgresViewStore(ViewStoreContract):
    @pytest.fixture
    async def store(self, database_url: str) -> AsyncIterator[PostgresViewStore]:
        async with open_pool(database_url) as pool:
            yield PostgresViewStore(pool)


class TestPostgresViewStoreAway(OrderReaderOutageContract):
    @pytest.fixture
    async def unreachable(self) -> AsyncIterator[PostgresViewStore]:
        # Nothing listens on port 1: every connection attempt is refused.
        pool = make_pool("postgresql://streamview@127.0.0.1:1/none", 1, 1, timeout_ms=500)
        await pool.open(wait=False)
        try:
            yield PostgresViewStore(pool)
        finally:
            await pool.close()


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[PostgresViewStore]:
    async with open_pool(database_url) as pool:
        yield PostgresViewStore(pool, retry=FAST_RETRY)


async def test_a_batch_applied_twice_changes_nothing_the_second_time(
    store: PostgresViewStore, database_url: str
) -> None:
    first = await project(store, MIXED_BATCH, [Position("t", 0, 8)])
    after_first = await dump(database_url)

    again = await project(store, MIXED_BATCH, [Position("t", 0, 8)])

    assert first.tally.applied_total == 6 and first.tally.gaps == 1
    assert (again.views, again.new_lines, again.stashed, again.released) == ([], [], [], [])
    assert await dump(database_url) == after_first  # projected_at included: nothing rewritten


async def test_a_batch_failing_mid_write_leaves_no_trace(
    store: PostgresViewStore, database_url: str
) -> None:
    await project(store, MIXED_BATCH[:3], [Position("t", 0, 3)])
    before = await dump(database_url)
    # The positions are written last: by then views, lines and stash are written too.
    await execute(database_url, _trigger("consumer_positions", "RAISE EXCEPTION 'disk on fire'"))

    with pytest.raises(psycopg.errors.RaiseException, match="disk on fire"):
        await project(store, MIXED_BATCH[3:], [Position("t", 0, 8)])

    assert await dump(database_url) == before
    assert await store.positions("g", "t") == {0: 3}


async def test_a_serialization_failure_is_retried_and_the_batch_applied_once(
    store: PostgresViewStore, database_url: str
) -> None:
    await execute(database_url, "CREATE SEQUENCE failures")
    fail_once = "IF nextval('failures') = 1 THEN RAISE EXCEPTION USING ERRCODE = '40001'; END IF"
    await execute(database_url, _trigger("order_items_view", fail_once))

    result = await project(store, MIXED_BATCH, [Position("t", 0, 8)])

    assert result.tally.applied_total == 6
    detail = await store.get_order("o-1")
    assert detail is not None
    assert (detail.view.last_event_sequence, len(detail.lines)) == (3, 2)
    assert await store.positions("g", "t") == {0: 8}


async def test_a_lost_connection_is_retried_on_a_new_one(
    store: PostgresViewStore, database_url: str
) -> None:
    await execute(database_url, "CREATE SEQUENCE failures")
    hang_up = (
        "IF nextval('failures') = 1 THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF"
    )
    await execute(database_url, _trigger("order_stash", hang_up))
    attempts = 0

    async def work(tx: ProjectionTransaction) -> BatchResult:
        nonlocal attempts
        attempts += 1
        result = apply_batch(await tx.load({"o-1", "o-2", "o-3"}), MIXED_BATCH)
        await tx.save(BatchWrite("g", result, (Position("t", 0, 8),)))
        return result

    result = await store.in_transaction(work)

    assert attempts == 2 and result.tally.applied_total == 6
    assert await store.stashed_count() == 1


async def test_retries_are_bounded_then_the_error_surfaces(
    store: PostgresViewStore, database_url: str
) -> None:
    always = "RAISE EXCEPTION USING ERRCODE = '40P01'"  # deadlock_detected
    await execute(database_url, _trigger("orders_view", always))

    with pytest.raises(psycopg.errors.DeadlockDetected):
        await project(store, MIXED_BATCH)

    assert await store.get_order("o-1") is None


async def test_the_stash_survives_a_restart_and_drains_when_the_gap_fills(
    database_url: str,
) -> None:
    async with open_pool(database_url) as pool:
        await project(PostgresViewStore(pool), [created("o-1", 1, "2.00", "0"),
                                                status_changed("o-1", 4, "SHIPPED"),
                                                item_added("o-1", 3)])  # fmt: skip

    async with open_pool(database_url) as pool:
        restarted = PostgresViewStore(pool)
        assert await restarted.stashed_count() == 2
        result = await project(restarted, [item_added("o-1", 2, qty=2)])
        detail = await restarted.get_order("o-1")

        assert len(result.released) == 2 and await restarted.stashed_count() == 0
    assert detail is not None
    assert (detail.view.last_event_sequence, detail.view.status) == (4, "SHIPPED")
    assert [(line.line_no, line.qty) for line in detail.lines] == [(1, 1), (2, 2), (3, 1)]


def _trigger(table: str, body: str) -> str:
    return f"""
        CREATE FUNCTION fail_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN {body}; RETURN NEW; END $$;
        CREATE TRIGGER fail_{table} BEFORE INSERT OR UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION fail_{table}();
    """
