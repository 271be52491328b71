"""The writer sends each table's rows as one JSON parameter: every value must land exactly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import msgspec
import psycopg
import pytest

from adapters.postgres.rows import LINE_COLUMNS, VIEW_COLUMNS
from adapters.postgres.store import PostgresViewStore
from application.ports import BatchWrite, Position, ProjectionTransaction
from domain.batch import BatchResult, BatchTally, OrderSnapshot
from domain.events import OrderStatus, OrderStatusChanged
from domain.projection import OrderLine, OrderView
from domain.records import Envelope
from tests.integration.postgres_support import open_pool

pytestmark = pytest.mark.integration

ORDER = 'o "ż\\1\t'  # quotes, a backslash, a tab and non-ASCII: JSON escapes all of them
INDIA = timezone(timedelta(hours=5, minutes=30))
VIEW = OrderView(
    order_id=ORDER,
    customer_id="klient-ł",
    status=OrderStatus.PAID,
    currency="PLN",
    total_net=Decimal("999999999999999.99"),
    total_gross=Decimal("0.00"),
    item_count=1_000_000,
    line_count=1,
    created_at=datetime(2026, 11, 28, 10, 15, 0, 123456, tzinfo=INDIA),
    updated_at=datetime(2026, 11, 28, 23, 59, 59, 999999, tzinfo=UTC),
    last_event_sequence=2**63 - 1,
    last_event_id="e/1",
)
LINE = OrderLine(
    ORDER, 1, "item'1", "sku\n1", 1_000_000, Decimal("999999999.99"),
    Decimal("0.000000000001"), Decimal("999999999990000.00"), Decimal("999999999990000.01"),
)  # fmt: skip
STASHED = Envelope(
    OrderStatusChanged("e/3", VIEW.created_at, ORDER, OrderStatus.SHIPPED), 3, 1, "tr ż", None
)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[PostgresViewStore]:
    async with open_pool(database_url) as pool:
        yield PostgresViewStore(pool)


def test_the_domain_structs_are_the_rows_the_writer_sends() -> None:
    # The writer encodes OrderView and OrderLine as they are: their fields name the columns.
    assert tuple(f.name for f in msgspec.structs.fields(OrderView)) == VIEW_COLUMNS
    assert tuple(f.name for f in msgspec.structs.fields(OrderLine)) == LINE_COLUMNS


async def test_every_value_lands_exactly(store: PostgresViewStore, database_url: str) -> None:
    result = BatchResult([VIEW], [LINE], [STASHED], [], BatchTally())

    async def save(tx: ProjectionTransaction) -> None:
        await tx.save(BatchWrite("g", result, (Position("t", 5, 2**40),)))

    async def load(tx: ProjectionTransaction) -> dict[str, OrderSnapshot]:
        return await tx.load([ORDER])

    await store.in_transaction(save)
    snapshot = (await store.in_transaction(load))[ORDER]

    assert snapshot == OrderSnapshot(VIEW, {3: STASHED})
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cursor = await conn.execute(
            "SELECT total_net::text, total_gross::text, dedup_event_id FROM orders_view"
        )
        assert await cursor.fetchall() == [("999999999999999.99", "0.00", "e/1")]
        cursor = await conn.execute(
            "SELECT item_id, sku, price::text, tax_rate::text, net_line_total::text,"
            " gross_line_total::text FROM order_items_view"
        )
        assert await cursor.fetchall() == [
            ("item'1", "sku\n1", "999999999.99", "0.000000000001", "999999999990000.00",
             "999999999990000.01"),
        ]  # fmt: skip
    assert await store.positions("g", "t") == {5: 2**40}
