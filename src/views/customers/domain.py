"""The customers view as pure functions: what each order contributes, and the rows it adds up to.

Per customer: its orders, counted in total and per status; per (customer, currency): its
orders and their totals net and gross. Money in different currencies is never added together.

The view moves by differences. Each event the sequence policy applies (CONTRACT §2) turns the
order's contribution `old` into `new`; `change_of(old, new)` takes the old one out and puts
the new one in. An event is applied at most once, so every difference is counted at most once
and the view is exactly-once by inheritance: it needs no sequence state of its own.

Decisions:
- A CANCELLED order still counts: in `order_count`, in `cancelled_count` and in its currency's
  `order_count`. Its money does not: it adds 0 to `total_net` and `total_gross`, because the
  money of a cancelled order was never earned. The contract allows an order to leave CANCELLED;
  its money then counts again, including items added while it was cancelled.
- `first_order_at` and `last_order_at` are the earliest and latest `created_at` (the
  `occurredAt` of OrderCreated) over the customer's orders.
- `updated_at` is the latest `occurredAt` of any applied event of the customer's orders. Each
  contribution keeps its order's latest `occurredAt` for that. It is `orders_view.updated_at`
  (the time of the *last applied* event) whenever an order's events carry increasing times;
  when a later event carries an earlier time the customer keeps the later one, since a row
  written with GREATEST cannot move back, and a rebuild must give the same row.

A batch writes each customer row and each (customer, currency) row once: `merge_changes` adds
up the batch's differences per key, and `apply_customer_change` / `apply_currency_change` are
what a store does with a merged change (the PostgreSQL upsert: counts and money added,
LEAST/GREATEST for the times). `aggregate` computes the same rows from scratch, as a reference.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, overload

import msgspec

from domain.events import OrderCreated, OrderEvent, OrderItemAdded, OrderStatus, OrderStatusChanged
from domain.projection import ZERO, ProjectionError, make_line

CurrencyKey = tuple[str, str]  # (customer_id, currency)


class OrderContribution(msgspec.Struct, frozen=True, gc=False):
    """What one order brings to its customer's rows, after its last applied event."""

    order_id: str
    customer_id: str
    currency: str
    status: OrderStatus
    # The order's own totals (orders_view's), cancelled or not: `counted_money` applies the rule.
    total_net: Decimal
    total_gross: Decimal
    created_at: datetime
    updated_at: datetime  # the latest occurredAt of the order's applied events
    last_event_sequence: int


def contribute(
    state: OrderContribution | None,
    event: OrderEvent,
    sequence: int,
    default_tax_rate: Decimal = Decimal(0),
) -> OrderContribution:
    """Apply one event that the sequence policy accepted to its order's contribution."""
    match event, state:
        case OrderCreated(), None:
            return _created(event, sequence, default_tax_rate)
        case OrderItemAdded(), OrderContribution():
            tax_rate = default_tax_rate if event.tax_rate is None else event.tax_rate
            net, gross = _line_totals(
                event.order_id, event.item_id, event.sku, event.qty, event.price, tax_rate
            )
            return _advanced_by(
                state,
                event,
                sequence,
                total_net=state.total_net + net,
                total_gross=state.total_gross + gross,
            )
        case OrderStatusChanged(), OrderContribution():
            return _advanced_by(state, event, sequence, status=event.status)
    raise ProjectionError(
        f"cannot apply {type(event).__name__} seq {sequence} to the contribution of "
        f"{'a missing order' if state is None else 'an existing order'} {event.order_id!r}"
    )


def _created(event: OrderCreated, sequence: int, default_tax_rate: Decimal) -> OrderContribution:
    total_net = total_gross = ZERO
    for item in event.items:
        tax_rate = default_tax_rate if item.tax_rate is None else item.tax_rate
        net, gross = _line_totals(
            event.order_id, item.item_id, item.sku, item.qty, item.price, tax_rate
        )
        total_net += net
        total_gross += gross
    return OrderContribution(
        order_id=event.order_id,
        customer_id=event.customer_id,
        currency=event.currency,
        status=OrderStatus.CREATED,
        total_net=total_net,
        total_gross=total_gross,
        created_at=event.occurred_at,
        updated_at=event.occurred_at,
        last_event_sequence=sequence,
    )


def _line_totals(
    order_id: str, item_id: str, sku: str, qty: int, price: Decimal, tax_rate: Decimal
) -> tuple[Decimal, Decimal]:
    """A line's net and gross, by the one rounding rule, so the cents agree with orders_view.

    Totals are sums of per-line rounded grosses (CONTRACT §4), not a rounding of the sum.
    Line numbers do not change the totals, and the contribution does not count lines.
    """
    line = make_line(order_id, 0, item_id, sku, qty, price, tax_rate)
    return line.net_line_total, line.gross_line_total


def _advanced_by(
    state: OrderContribution, event: OrderEvent, sequence: int, **changes: Any
) -> OrderContribution:
    return msgspec.structs.replace(
        state,
        updated_at=max(state.updated_at, event.occurred_at),
        last_event_sequence=sequence,
        **changes,
    )


def counted_money(contribution: OrderContribution) -> tuple[Decimal, Decimal]:
    """The (net, gross) an order adds to its currency's totals: none while it is cancelled."""
    if contribution.status == OrderStatus.CANCELLED:
        return ZERO, ZERO
    return contribution.total_net, contribution.total_gross


# --- the difference one applied event makes ---------------------------------------------------


class CustomerChange(msgspec.Struct, frozen=True, gc=False):
    """Deltas to add to a customer's counts, and candidates for its times (None: no candidate)."""

    customer_id: str
    order_count: int = 0
    created: int = 0
    paid: int = 0
    shipped: int = 0
    delivered: int = 0
    cancelled: int = 0
    first_order_at: datetime | None = None  # LEAST
    last_order_at: datetime | None = None  # GREATEST
    updated_at: datetime | None = None  # GREATEST


class CurrencyChange(msgspec.Struct, frozen=True, gc=False):
    """Deltas to add to a customer's row in one currency."""

    customer_id: str
    currency: str
    order_count: int = 0
    total_net: Decimal = ZERO
    total_gross: Decimal = ZERO

    @property
    def key(self) -> CurrencyKey:
        return self.customer_id, self.currency

    @property
    def moves_nothing(self) -> bool:
        return self.order_count == 0 and self.total_net == 0 and self.total_gross == 0


class OrderChange(msgspec.Struct, frozen=True, gc=False):
    customer: CustomerChange
    currency: CurrencyChange


# 1 at the status in the order of CustomerChange's count fields (the enum's order), by value
# (a str equal to a status is that status); made once: change_of is on the ingest's hot path.
_ONE_HOT: dict[str | None, tuple[int, ...]] = {
    None: (0,) * len(OrderStatus),
    **{status.value: tuple(int(each is status) for each in OrderStatus) for status in OrderStatus},
}


def _one_hot(status: OrderStatus | None) -> tuple[int, ...]:
    return _ONE_HOT[None if status is None else str(status)]


def change_of(old: OrderContribution | None, new: OrderContribution) -> OrderChange:
    """The difference `new` makes to its customer's rows: `old` taken out, `new` put in."""
    if old is not None and (old.order_id, old.customer_id, old.currency) != (
        new.order_id,
        new.customer_id,
        new.currency,
    ):
        raise ProjectionError(
            f"order {old.order_id!r} of customer {old.customer_id!r} in {old.currency} cannot "
            f"become order {new.order_id!r} of {new.customer_id!r} in {new.currency}"
        )
    first = old is None
    out_net, out_gross = (ZERO, ZERO) if old is None else counted_money(old)
    in_net, in_gross = counted_money(new)
    created, paid, shipped, delivered, cancelled = (
        into - out
        for out, into in zip(
            _one_hot(None if old is None else old.status), _one_hot(new.status), strict=True
        )
    )
    customer = CustomerChange(
        customer_id=new.customer_id,
        order_count=int(first),
        created=created,
        paid=paid,
        shipped=shipped,
        delivered=delivered,
        cancelled=cancelled,
        # An order's created_at never changes: it is a candidate once, with the order's first event.
        first_order_at=new.created_at if first else None,
        last_order_at=new.created_at if first else None,
        updated_at=new.updated_at,
    )
    currency = CurrencyChange(
        customer_id=new.customer_id,
        currency=new.currency,
        order_count=int(first),
        total_net=in_net - out_net,
        total_gross=in_gross - out_gross,
    )
    return OrderChange(customer, currency)


# --- a batch's writes: the changes merged per row -----------------------------------------------


class BatchChanges(msgspec.Struct, frozen=True, gc=False):
    """One change per customer and per (customer, currency), in key order.

    Key order, so that two writers lock the rows in the same order and a batch's writes do not
    depend on delivery order. A currency change that moves nothing (a status move between two
    counted statuses, an item added to a cancelled order) is left out: it would write nothing.
    """

    customers: tuple[CustomerChange, ...]
    currencies: tuple[CurrencyChange, ...]


def merge_changes(changes: Iterable[OrderChange]) -> BatchChanges:
    """The batch's changes added up per customer and per (customer, currency)."""
    customers: dict[str, CustomerChange] = {}
    currencies: dict[CurrencyKey, CurrencyChange] = {}
    for change in changes:
        customer, currency = change.customer, change.currency
        held = customers.get(customer.customer_id)
        customers[customer.customer_id] = customer if held is None else _plus(held, customer)
        held_currency = currencies.get(currency.key)
        currencies[currency.key] = (
            currency if held_currency is None else _plus_currency(held_currency, currency)
        )
    return BatchChanges(
        customers=tuple(customers[key] for key in sorted(customers)),
        currencies=tuple(
            currencies[key] for key in sorted(currencies) if not currencies[key].moves_nothing
        ),
    )


def _plus(a: CustomerChange, b: CustomerChange) -> CustomerChange:
    return CustomerChange(
        customer_id=a.customer_id,
        order_count=a.order_count + b.order_count,
        created=a.created + b.created,
        paid=a.paid + b.paid,
        shipped=a.shipped + b.shipped,
        delivered=a.delivered + b.delivered,
        cancelled=a.cancelled + b.cancelled,
        first_order_at=_least(a.first_order_at, b.first_order_at),
        last_order_at=_greatest(a.last_order_at, b.last_order_at),
        updated_at=_greatest(a.updated_at, b.updated_at),
    )


def _plus_currency(a: CurrencyChange, b: CurrencyChange) -> CurrencyChange:
    return CurrencyChange(
        customer_id=a.customer_id,
        currency=a.currency,
        order_count=a.order_count + b.order_count,
        total_net=a.total_net + b.total_net,
        total_gross=a.total_gross + b.total_gross,
    )


# SQL's LEAST and GREATEST, where NULL is no candidate: a row's time stays a time.
@overload
def _least(a: datetime, b: datetime | None) -> datetime: ...
@overload
def _least(a: datetime | None, b: datetime | None) -> datetime | None: ...
def _least(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


@overload
def _greatest(a: datetime, b: datetime | None) -> datetime: ...
@overload
def _greatest(a: datetime | None, b: datetime | None) -> datetime | None: ...
def _greatest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


# --- the rows -----------------------------------------------------------------------------------


class CustomerSummary(msgspec.Struct, frozen=True, gc=False):
    """One customer's row."""

    customer_id: str
    order_count: int
    created_count: int
    paid_count: int
    shipped_count: int
    delivered_count: int
    cancelled_count: int
    first_order_at: datetime
    last_order_at: datetime
    updated_at: datetime

    @property
    def status_counts(self) -> dict[OrderStatus, int]:
        counts = (
            self.created_count,
            self.paid_count,
            self.shipped_count,
            self.delivered_count,
            self.cancelled_count,
        )
        return dict(zip(OrderStatus, counts, strict=True))


class CurrencyTotals(msgspec.Struct, frozen=True, gc=False):
    """One customer's row in one currency."""

    customer_id: str
    currency: str
    order_count: int
    total_net: Decimal
    total_gross: Decimal

    @property
    def key(self) -> CurrencyKey:
        return self.customer_id, self.currency


def apply_customer_change(row: CustomerSummary | None, change: CustomerChange) -> CustomerSummary:
    """The customer's row after a merged change (None: no row yet), as the upsert makes it."""
    if row is None:
        first, last, updated = change.first_order_at, change.last_order_at, change.updated_at
        if first is None or last is None or updated is None:
            raise ProjectionError(
                f"customer {change.customer_id!r} has no row yet and the change does not "
                "bring its first order"
            )
        row = CustomerSummary(change.customer_id, 0, 0, 0, 0, 0, 0, first, last, updated)
    return CustomerSummary(
        customer_id=row.customer_id,
        order_count=row.order_count + change.order_count,
        created_count=row.created_count + change.created,
        paid_count=row.paid_count + change.paid,
        shipped_count=row.shipped_count + change.shipped,
        delivered_count=row.delivered_count + change.delivered,
        cancelled_count=row.cancelled_count + change.cancelled,
        first_order_at=_least(row.first_order_at, change.first_order_at),
        last_order_at=_greatest(row.last_order_at, change.last_order_at),
        updated_at=_greatest(row.updated_at, change.updated_at),
    )


def apply_currency_change(row: CurrencyTotals | None, change: CurrencyChange) -> CurrencyTotals:
    """The (customer, currency) row after a merged change (None: no row yet)."""
    if row is None:
        row = CurrencyTotals(change.customer_id, change.currency, 0, ZERO, ZERO)
    return CurrencyTotals(
        customer_id=row.customer_id,
        currency=row.currency,
        order_count=row.order_count + change.order_count,
        total_net=row.total_net + change.total_net,
        total_gross=row.total_gross + change.total_gross,
    )


# --- the reference ------------------------------------------------------------------------------


def aggregate(
    contributions: Iterable[OrderContribution],
) -> tuple[dict[str, CustomerSummary], dict[CurrencyKey, CurrencyTotals]]:
    """Every row computed from scratch from the orders' contributions (one per order)."""
    orders_of: dict[str, list[OrderContribution]] = {}
    for contribution in contributions:
        orders_of.setdefault(contribution.customer_id, []).append(contribution)
    summaries: dict[str, CustomerSummary] = {}
    totals: dict[CurrencyKey, CurrencyTotals] = {}
    for customer_id, orders in sorted(orders_of.items()):
        statuses = Counter(order.status for order in orders)
        summaries[customer_id] = CustomerSummary(
            customer_id=customer_id,
            order_count=len(orders),
            created_count=statuses[OrderStatus.CREATED],
            paid_count=statuses[OrderStatus.PAID],
            shipped_count=statuses[OrderStatus.SHIPPED],
            delivered_count=statuses[OrderStatus.DELIVERED],
            cancelled_count=statuses[OrderStatus.CANCELLED],
            first_order_at=min(order.created_at for order in orders),
            last_order_at=max(order.created_at for order in orders),
            updated_at=max(order.updated_at for order in orders),
        )
        for currency in sorted({order.currency for order in orders}):
            in_currency = [order for order in orders if order.currency == currency]
            money = [counted_money(order) for order in in_currency]
            totals[customer_id, currency] = CurrencyTotals(
                customer_id=customer_id,
                currency=currency,
                order_count=len(in_currency),
                total_net=sum((net for net, _ in money), ZERO),
                total_gross=sum((gross for _, gross in money), ZERO),
            )
    return summaries, totals
