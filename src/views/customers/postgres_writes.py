"""The customers view's tables in PostgreSQL, written inside the open projection transaction.

Rows travel as in adapters/postgres/writer.py: each statement has ONE parameter, its rows as a
JSON array that msgspec encodes straight from the domain structs (their fields are the
columns; decimals go as strings, so exactly; timestamps as RFC 3339), expanded by
`json_to_recordset`. A batch costs three round trips: the contributions read, the move (whose
answer decides what is added), and the two upserts of `add` in one pipeline.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from decimal import Decimal
from typing import Any

import msgspec
from msgspec.structs import asdict
from psycopg import AsyncConnection
from psycopg.types.json import Json

from domain.events import OrderStatus
from views.customers.domain import BatchChanges, OrderContribution
from views.customers.ports import ContributionMove
from views.customers.projecting import ProjectCustomers

_encode = msgspec.json.Encoder().encode

# customer_orders columns, in OrderContribution field order.
_COLUMNS = (
    "order_id, customer_id, currency, status, total_net, total_gross, created_at, updated_at,"
    " last_event_sequence"
)
_CONTRIBUTION_TYPES = (
    "order_id text, customer_id text, currency text, status text, total_net numeric,"
    " total_gross numeric, created_at timestamptz, updated_at timestamptz,"
    " last_event_sequence bigint"
)

_CONTRIBUTIONS = f"SELECT {_COLUMNS} FROM customer_orders WHERE order_id = ANY(%s)"

# The compare-and-set of a batch's moves. Not `INSERT … ON CONFLICT DO UPDATE … WHERE`: its
# WHERE sees only the stored row and EXCLUDED, which has the table's columns and so cannot
# carry the old sequence. Instead, in one statement: an UPDATE of the rows that still hold
# their old sequence (under READ COMMITTED a row a concurrent writer moved is re-checked after
# its commit, and then no longer matches), and an INSERT of the new orders (old sequence 0,
# which no stored row has) that does nothing when a concurrent writer inserted first. A move
# whose old row is missing matches neither: refused, as the port says. The rows are parsed
# once (a CTE read twice is materialized).
_MOVE = f"""
WITH r AS (
    SELECT * FROM json_to_recordset(%s) AS r({_CONTRIBUTION_TYPES}, old_sequence bigint)
), moved AS (
    UPDATE customer_orders AS c
    SET status = r.status, total_net = r.total_net, total_gross = r.total_gross,
        updated_at = r.updated_at, last_event_sequence = r.last_event_sequence
    FROM r
    WHERE c.order_id = r.order_id COLLATE "C" AND c.last_event_sequence = r.old_sequence
    RETURNING c.order_id
), born AS (
    INSERT INTO customer_orders ({_COLUMNS})
    SELECT {_COLUMNS} FROM r WHERE r.old_sequence = 0
    ON CONFLICT (order_id) DO NOTHING
    RETURNING order_id
)
SELECT order_id FROM moved UNION ALL SELECT order_id FROM born
"""

# Additive upserts of the merged changes (domain.apply_customer_change is the same in Python).
# PostgreSQL checks NOT NULL on the proposed row before it looks for the conflict, so a time
# with no candidate goes as the infinity that LEAST / GREATEST pass over. A customer with no
# row yet always has candidates: the change brings its first order (the domain's guarantee).
_ADD_CUSTOMERS = """
INSERT INTO customers_view AS v (
    customer_id, order_count, created_count, paid_count, shipped_count, delivered_count,
    cancelled_count, first_order_at, last_order_at, updated_at)
SELECT customer_id, order_count, created, paid, shipped, delivered, cancelled,
    coalesce(first_order_at, 'infinity'), coalesce(last_order_at, '-infinity'),
    coalesce(updated_at, '-infinity')
FROM json_to_recordset(%s) AS r(
    customer_id text, order_count bigint, created bigint, paid bigint, shipped bigint,
    delivered bigint, cancelled bigint, first_order_at timestamptz, last_order_at timestamptz,
    updated_at timestamptz)
ON CONFLICT (customer_id) DO UPDATE SET
    order_count = v.order_count + EXCLUDED.order_count,
    created_count = v.created_count + EXCLUDED.created_count,
    paid_count = v.paid_count + EXCLUDED.paid_count,
    shipped_count = v.shipped_count + EXCLUDED.shipped_count,
    delivered_count = v.delivered_count + EXCLUDED.delivered_count,
    cancelled_count = v.cancelled_count + EXCLUDED.cancelled_count,
    first_order_at = LEAST(v.first_order_at, EXCLUDED.first_order_at),
    last_order_at = GREATEST(v.last_order_at, EXCLUDED.last_order_at),
    updated_at = GREATEST(v.updated_at, EXCLUDED.updated_at),
    projected_at = now(),
    version = v.version + 1
"""
_ADD_CURRENCIES = """
INSERT INTO customer_totals_view AS t (customer_id, currency, order_count, total_net, total_gross)
SELECT customer_id, currency, order_count, total_net, total_gross
FROM json_to_recordset(%s) AS r(
    customer_id text, currency text, order_count bigint, total_net numeric, total_gross numeric)
ON CONFLICT (customer_id, currency) DO UPDATE SET
    order_count = t.order_count + EXCLUDED.order_count,
    total_net = t.total_net + EXCLUDED.total_net,
    total_gross = t.total_gross + EXCLUDED.total_gross
"""


class PostgresCustomerWrites:
    """Implements CustomerWrites on a connection inside an open transaction."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def contributions(self, order_ids: Collection[str]) -> dict[str, OrderContribution]:
        cursor = await self._conn.execute(_CONTRIBUTIONS, (list(order_ids),))
        return {row[0]: _contribution(row) for row in await cursor.fetchall()}

    async def move(self, moves: Sequence[ContributionMove]) -> list[ContributionMove]:
        if not moves:
            return []
        # The new contribution and the sequence it must replace (0: none).
        rows = [
            {**asdict(m.new), "old_sequence": 0 if m.old is None else m.old.last_event_sequence}
            for m in moves
        ]
        cursor = await self._conn.execute(_MOVE, _rows(rows))
        stored = {order_id for (order_id,) in await cursor.fetchall()}
        return [m for m in moves if m.new.order_id in stored]

    async def add(self, changes: BatchChanges) -> None:
        if not (changes.customers or changes.currencies):
            return
        async with self._conn.pipeline(), self._conn.cursor() as cursor:
            if changes.customers:
                await cursor.execute(_ADD_CUSTOMERS, _rows(changes.customers))
            if changes.currencies:
                await cursor.execute(_ADD_CURRENCIES, _rows(changes.currencies))


def _contribution(row: Sequence[Any]) -> OrderContribution:
    """A row of customer_orders, its columns in _COLUMNS order."""
    return OrderContribution(row[0], row[1], row[2], OrderStatus(row[3]), *row[4:])


def _rows(rows: Sequence[Any]) -> tuple[Json]:
    """The one parameter of a statement: its rows as a JSON array of objects."""
    return (Json(rows, dumps=_encode),)


def part_on_connection(
    default_tax_rate: Decimal = Decimal(0),
) -> Callable[[AsyncConnection], ProjectCustomers]:
    """The customers view's part of each projection transaction, on its connection."""

    def part(conn: AsyncConnection) -> ProjectCustomers:
        return ProjectCustomers(PostgresCustomerWrites(conn), default_tax_rate)

    return part
