"""A set of orders whose sort keys collide a lot, and what each listing must return for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.records import RawRecord
from tests.support.events import (
    at,
    item,
    order_created,
    order_log,
    status_changed,
    with_offsets,
)

ORDERS = 61
SORTS = [
    f"{sign}{key}"
    for key in ("updatedAt", "createdAt", "totalGross", "orderId")
    for sign in ("", "-")
]
STATUSES = ("PAID", "SHIPPED", "DELIVERED", "CANCELLED")
PRICES = ("10.00", "20.00", "30.00")


@dataclass(frozen=True)
class Row:
    order_id: str
    customer_id: str
    status: str
    created_at: datetime
    updated_at: datetime
    total_gross: Decimal

    def key(self, field: str) -> Any:
        return {
            "updatedAt": self.updated_at,
            "createdAt": self.created_at,
            "totalGross": self.total_gross,
            "orderId": self.order_id,
        }[field]


def _row(i: int) -> tuple[Row, list[RawRecord]]:
    order_id, customer = f"ord-{i:03d}", f"cust-{i % 3}"
    created = order_created(
        order_id,
        customer_id=customer,
        items=[item(price=PRICES[(i // 2) % 3])],
        occurred_at=at(i % 4),  # only 4 distinct createdAt values
    )
    later = (
        []
        if i % 5 == 0
        else [status_changed(order_id, STATUSES[i % 4], occurred_at=at(10 + i % 3))]
    )
    row = Row(
        order_id=order_id,
        customer_id=customer,
        status=later[0]["status"] if later else "CREATED",
        created_at=_moment(i % 4),
        updated_at=_moment(10 + i % 3) if later else _moment(i % 4),
        total_gross=Decimal(PRICES[(i // 2) % 3]),
    )
    return row, order_log(order_id, *later, created=created)


def _moment(minutes: int) -> datetime:
    return datetime.fromisoformat(at(minutes))


def dataset() -> tuple[list[Row], list[RawRecord]]:
    rows, records = [], []
    for i in range(ORDERS):
        row, log = _row(i)
        rows.append(row)
        records.extend(log)
    return rows, with_offsets(records)


def expected(rows: list[Row], sort: str, **filters: Any) -> list[str]:
    """Order ids in the order CONTRACT §5 prescribes: sort key, ties by orderId, same direction."""
    field = sort.lstrip("-")
    statuses = filters.get("statuses")
    kept = [
        r
        for r in rows
        if (not statuses or r.status in statuses)
        and (filters.get("customer_id") in (None, r.customer_id))
        and (filters.get("updated_from") is None or filters["updated_from"] <= r.updated_at)
        and (filters.get("updated_to") is None or r.updated_at < filters["updated_to"])
    ]
    kept.sort(key=lambda r: (r.key(field), r.order_id), reverse=sort.startswith("-"))
    return [r.order_id for r in kept]


_AT10, _AT12, _AT1 = (datetime.fromisoformat(at(m)) for m in (10, 12, 1))

# name -> (query pairs, the same filters for `expected`)
FILTERS: dict[str, tuple[list[tuple[str, str]], dict[str, Any]]] = {
    "none": ([], {}),
    "statuses repeated": (
        [("status", "PAID"), ("status", "SHIPPED")],
        {"statuses": {"PAID", "SHIPPED"}},
    ),
    "statuses with commas": (
        [("status", "CREATED,CANCELLED")],
        {"statuses": {"CREATED", "CANCELLED"}},
    ),
    "customer": ([("customerId", "cust-1")], {"customer_id": "cust-1"}),
    "updated window": (
        [("from", at(10)), ("to", at(12))],
        {"updated_from": _AT10, "updated_to": _AT12},
    ),
    "all": (
        [
            ("status", "PAID,DELIVERED"),
            ("status", "CREATED"),
            ("customerId", "cust-2"),
            ("from", at(1)),
        ],
        {
            "statuses": {"PAID", "DELIVERED", "CREATED"},
            "customer_id": "cust-2",
            "updated_from": _AT1,
        },
    ),
}
