"""The customers view projected with the orders view, in the same transactions, over PostgreSQL:
its rows always equal the aggregate of orders_view, whatever the delivery and whoever writes."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Any

import pytest
from psycopg_pool import AsyncConnectionPool

from adapters.memory.dead_letters import MemoryDeadLetters
from adapters.memory.metrics import MemoryMetrics
from adapters.memory.views import MemoryViewStore
from adapters.postgres.store import PostgresViewStore
from adapters.tracing.null_spans import NullSpans
from application.ports import BatchWrite, ProjectionTransaction
from application.projecting import ProjectBatch
from domain.batch import BatchResult, apply_batch
from domain.records import Envelope, RawRecord
from tests.contracts.customer_writes import Rows
from tests.integration.customers_support import (
    EXPECTED_CURRENCIES,
    EXPECTED_SUMMARIES,
    customer_rows,
    customers_pool,
)
from tests.support.events import (
    at,
    envelope,
    item,
    item_added,
    order_created,
    order_log,
    status_changed,
    with_offsets,
)
from tests.support.projection import MemoryPipeline
from views.customers.domain import CurrencyTotals, CustomerSummary
from views.customers.memory import MemoryCustomers
from views.customers.postgres_writes import part_on_connection

STATUSES = ["CREATED", "PAID", "SHIPPED", "DELIVERED", "CANCELLED"]


def random_log(rng: random.Random, orders: int = 40) -> list[RawRecord]:
    """Orders of a few customers in three currencies, each log in sequence order; the times of
    an order's events increase, so a customer's updated_at is its orders' latest updated_at."""
    records: list[RawRecord] = []
    for n in range(orders):
        order_id, created = f"order-{n:02d}", rng.randrange(0, 1000)
        later = []
        for seq in range(2, rng.randint(1, 7) + 1):
            ids = {"event_id": f"{order_id}-{seq}", "occurred_at": at(created + seq)}
            if rng.random() < 0.5:
                later.append(item_added(order_id, **ids, **_item(rng)))
            else:
                later.append(status_changed(order_id, rng.choice(STATUSES), **ids))
        first = order_created(
            order_id,
            items=[item(**_item(rng)) for _ in range(rng.randint(0, 3))],
            customer_id=f"c-{rng.randint(1, 5)}",
            currency=rng.choice(["EUR", "PLN", "USD"]),
            event_id=f"{order_id}-1",
            occurred_at=at(created),
        )
        records += order_log(order_id, *later, created=first)
    return records


def _item(rng: random.Random) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "item_id": f"i-{rng.randint(1, 3)}",
        "qty": rng.randint(1, 5),
        "price": f"{rng.randint(0, 100000) / 100:.2f}",
    }
    if rng.random() < 0.7:
        fields["tax_rate"] = rng.choice(["0", "0.05", "0.23", "0.5"])
    return fields


def random_delivery(rng: random.Random, log: list[RawRecord]) -> list[list[RawRecord]]:
    """Every record but a few (their orders wait at the gap), a third again, in any order,
    cut into batches of 1 to 60 records."""
    kept = [r for r in log if rng.random() > 0.02]
    delivered = with_offsets(rng.sample(kept, len(kept)) + rng.sample(kept, len(kept) // 3))
    rng.shuffle(delivered)
    batches, start = [], 0
    while start < len(delivered):
        size = rng.randint(1, 60)
        batches.append(delivered[start : start + size])
        start += size
    return batches


async def expected_rows(pool: AsyncConnectionPool) -> Rows:
    """The rows as orders_view says they must be (the versions are not its to say)."""
    async with pool.connection() as conn:
        summaries = await (await conn.execute(EXPECTED_SUMMARIES)).fetchall()
        currencies = await (await conn.execute(EXPECTED_CURRENCIES)).fetchall()
    return Rows(
        summaries={row[0]: CustomerSummary(*row) for row in summaries},
        currencies={(row[0], row[1]): CurrencyTotals(*row) for row in currencies},
        versions=(await customer_rows(pool)).versions,
    )


async def dump(pool: AsyncConnectionPool) -> list[list[tuple[Any, ...]]]:
    """Every row of the view's tables, projected_at and version included."""
    async with pool.connection() as conn:
        return [
            await (await conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2")).fetchall()
            for table in ("customer_orders", "customers_view", "customer_totals_view")
        ]


@pytest.mark.parametrize(("seed", "tax"), [(1, Decimal(0)), (2, Decimal("0.2")), (3, Decimal(0))])
async def test_any_delivery_keeps_every_customer_row_equal_to_the_aggregate_of_its_orders(
    database_url: str, seed: int, tax: Decimal
) -> None:
    rng = random.Random(seed)
    batches = random_delivery(rng, random_log(rng))
    customers = MemoryCustomers()
    in_memory = MemoryPipeline(tax, MemoryViewStore(parts=[customers.part_on_commit(tax)]))

    async with customers_pool(database_url) as pool:
        project = ProjectBatch(
            store=PostgresViewStore(pool, parts=[part_on_connection(tax)]),
            dead_letters=MemoryDeadLetters(),
            metrics=MemoryMetrics(),
            spans=NullSpans(),
            consumer_group="g",
            default_tax_rate=tax,
        )
        for batch in batches:
            await project(batch)
            await in_memory.feed(batch)

        rows, expected = await customer_rows(pool), await expected_rows(pool)
        assert rows == expected
        assert len(rows.summaries) == 5 and len(rows.currencies) > 5
        assert sum(s.cancelled_count for s in rows.summaries.values()) > 0
        # The in-memory view, fed the same batches, wrote the same rows as often.
        assert Rows(customers.summaries, customers.currencies, customers.versions) == rows

        # A replay of the whole delivery applies nothing, so writes nothing.
        before = await dump(pool)
        for batch in batches:
            await project(batch)
        assert await dump(pool) == before


# --- two writers of the same order: a zombie consumer and the partition's new owner -----------


Hook = Callable[[], Awaitable[None]]


async def _nothing() -> None:
    return None


async def engine_batch(
    store: PostgresViewStore,
    envelopes: Sequence[Envelope],
    loaded: Hook = _nothing,
    projected: Hook = _nothing,
) -> BatchResult:
    """One projection transaction as ProjectBatch runs it, with pauses after the load and
    after the views' parts wrote."""

    async def work(tx: ProjectionTransaction) -> BatchResult:
        result = apply_batch(await tx.load({e.order_id for e in envelopes}), envelopes)
        await loaded()
        for part in tx.view_parts:
            await part.project(result.applied)
        await projected()
        await tx.save(BatchWrite("g", result, ()))
        return result

    return await store.in_transaction(work)


async def wait_until_a_writer_waits_for_a_lock(pool: AsyncConnectionPool) -> None:
    query = (
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    async with pool.connection() as conn:
        for _ in range(1000):
            row = await (await conn.execute(query)).fetchone()
            if row and row[0]:
                return
            await asyncio.sleep(0.01)
    raise AssertionError("the second writer never waited for the first one's lock")


async def race(
    pool: AsyncConnectionPool,
    store: PostgresViewStore,
    first: Sequence[Envelope],
    second: Sequence[Envelope],
    blocked: bool,
) -> tuple[BatchResult, BatchResult]:
    """Two transactions that loaded the same state: `first` commits, then `second` moves.

    blocked: the second moves while the first still holds its rows, waits for its commit,
    and then sees the moved row; otherwise the second moves after the first has committed.
    """
    first_wrote, second_loaded, commit_first, first_done = (asyncio.Event() for _ in range(4))

    async def hold_first() -> None:
        first_wrote.set()
        await commit_first.wait()

    async def hold_second() -> None:
        second_loaded.set()
        await first_done.wait()

    if blocked:
        one = asyncio.create_task(engine_batch(store, first, projected=hold_first))
        await first_wrote.wait()
        two = asyncio.create_task(engine_batch(store, second))
        await wait_until_a_writer_waits_for_a_lock(pool)
        commit_first.set()
    else:
        two = asyncio.create_task(engine_batch(store, second, loaded=hold_second))
        await second_loaded.wait()
        commit_first.set()
        one = asyncio.create_task(engine_batch(store, first))
        await one
        first_done.set()
    return await one, await two


def _order_of(customer_id: str) -> list[Envelope]:
    bodies = [
        order_created("o-1", items=[item(price="10.00", tax_rate="0.23")],
                      customer_id=customer_id, event_id="o-1-1", occurred_at=at(0)),
        item_added("o-1", item_id="b", price="5.00", tax_rate="0.23", event_id="o-1-2",
                   occurred_at=at(1)),
        status_changed("o-1", "PAID", event_id="o-1-3", occurred_at=at(2)),
        item_added("o-1", item_id="c", price="1.00", event_id="o-1-4", occurred_at=at(3)),
    ]  # fmt: skip
    return [envelope(body, seq) for seq, body in enumerate(bodies, start=1)]


RACES = pytest.mark.parametrize(
    "blocked", [True, False], ids=["waits-for-the-first-commit", "moves-after-the-first-commit"]
)


@RACES
@pytest.mark.parametrize("known", [True, False], ids=["known-order", "new-order"])
async def test_two_writers_applying_the_same_event_count_it_once(
    database_url: str, known: bool, blocked: bool
) -> None:
    log = _order_of("c-1")
    setup, batch = (log[:1], log[1:2]) if known else ([], log[:1])
    async with customers_pool(database_url) as pool:
        store = PostgresViewStore(pool, parts=[part_on_connection()])
        if setup:
            await engine_batch(store, setup)

        first, second = await race(pool, store, batch, batch, blocked)

        # Both applied the event as far as their sequencing knew.
        assert len(first.applied) == len(second.applied) == 1
        rows = await customer_rows(pool)
        assert rows == await expected_rows(pool)
        (summary,) = rows.summaries.values()
        assert (summary.order_count, summary.created_count) == (1, 1)
        (totals,) = rows.currencies.values()
        assert (totals.order_count, totals.total_net, totals.total_gross) == (
            (1, Decimal("15.00"), Decimal("18.45"))
            if known
            else (1, Decimal("10.00"), Decimal("12.30"))
        )
        assert rows.versions == {"c-1": 2 if known else 1}  # the second writer wrote nothing


@RACES
@pytest.mark.parametrize("further", ["second", "first"])
async def test_the_writer_that_applied_more_takes_the_order_as_far(
    database_url: str, further: str, blocked: bool
) -> None:
    log = _order_of("c-1")
    short, long = log[1:2], log[1:3]
    async with customers_pool(database_url) as pool:
        store = PostgresViewStore(pool, parts=[part_on_connection()])
        await engine_batch(store, log[:1])

        # From the same state, one applies sequence 2, the other 2 and 3, and commits first
        # or second; then the next event comes.
        await race(pool, store, *((short, long) if further == "second" else (long, short)), blocked)
        await engine_batch(store, log[3:])

        rows = await customer_rows(pool)
        assert rows == await expected_rows(pool)
        (summary,) = rows.summaries.values()
        assert (summary.created_count, summary.paid_count) == (0, 1)
        (totals,) = rows.currencies.values()
        assert (totals.total_net, totals.total_gross) == (Decimal("16.00"), Decimal("19.45"))
