"""The customers view as pure functions: each order's contribution, the difference an applied
event makes to its customer, a batch's differences merged per row, and the rows."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from domain.events import OrderEvent, OrderStatus
from domain.projection import OrderView, ProjectionError, project
from tests.support.customers import CustomerRows
from tests.support.events import (
    T0,
    Body,
    at,
    envelope,
    item,
    item_added,
    order_created,
    status_changed,
)
from views.customers.domain import (
    CurrencyChange,
    CurrencyTotals,
    CustomerChange,
    CustomerSummary,
    OrderChange,
    OrderContribution,
    aggregate,
    apply_currency_change,
    apply_customer_change,
    change_of,
    contribute,
    merge_changes,
)

pytestmark = pytest.mark.unit


def _t(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _event(body: Body, sequence: int) -> OrderEvent:
    return envelope(body, sequence).event


def _contributions(*bodies: Body, tax: Decimal = Decimal(0)) -> list[OrderContribution]:
    """The contribution of one order after each of its events (sequences 1..n)."""
    states: list[OrderContribution] = []
    for seq, body in enumerate(bodies, start=1):
        states.append(contribute(states[-1] if states else None, _event(body, seq), seq, tax))
    return states


def _changes(*bodies: Body) -> list[OrderChange]:
    """What each event of one order changes for its customer, in sequence order."""
    states = _contributions(*bodies)
    return [change_of(old, new) for old, new in zip([None, *states], states, strict=False)]


def _created(
    order_id: str = "o-1",
    *,
    customer_id: str = "c-1",
    currency: str = "EUR",
    items: list[Body] | None = None,
    occurred_at: str | None = None,
) -> Body:
    """An OrderCreated of customer c-1 in EUR, by default with one line of 10.00 at 23%."""
    return order_created(
        order_id,
        items=[item(price="10.00", tax_rate="0.23")] if items is None else items,
        customer_id=customer_id,
        currency=currency,
        event_id=f"{order_id}-1",
        occurred_at=occurred_at,
    )


# --- the per-order projection ---------------------------------------------------------------


def test_created_contributes_the_orders_totals_status_and_times() -> None:
    body = _created(
        currency="PLN",
        items=[item("a", qty=2, price="1.50"), item("b", price="10", tax_rate="0.23")],
        occurred_at=at(5),
    )

    (contribution,) = _contributions(body)

    assert contribution == OrderContribution(
        order_id="o-1",
        customer_id="c-1",
        currency="PLN",
        status=OrderStatus.CREATED,
        total_net=Decimal("13.00"),
        total_gross=Decimal("15.30"),
        created_at=_t(5),
        updated_at=_t(5),
        last_event_sequence=1,
    )


def test_item_added_adds_its_line_at_the_default_rate_when_it_has_none() -> None:
    bodies = (_created(), item_added("o-1", qty=3, price="2.00", occurred_at=at(7)))

    _, added = _contributions(*bodies, tax=Decimal("0.1"))

    assert (added.total_net, added.total_gross) == (Decimal("16.00"), Decimal("18.90"))
    assert (added.status, added.created_at, added.updated_at) == (OrderStatus.CREATED, T0, _t(7))
    assert added.last_event_sequence == 2


def test_status_changed_moves_the_status_and_updated_at_only() -> None:
    created, paid = _contributions(_created(), status_changed("o-1", "PAID", occurred_at=at(3)))

    assert paid.status is OrderStatus.PAID
    assert (paid.total_net, paid.total_gross) == (created.total_net, created.total_gross)
    assert (paid.created_at, paid.updated_at, paid.last_event_sequence) == (T0, _t(3), 2)


def test_a_later_event_with_an_earlier_time_keeps_the_latest_updated_at() -> None:
    bodies = (
        _created(occurred_at=at(0)),
        status_changed("o-1", "PAID", occurred_at=at(30)),
        status_changed("o-1", "SHIPPED", occurred_at=at(10)),
    )

    *_, shipped = _contributions(*bodies)

    assert (shipped.status, shipped.updated_at, shipped.last_event_sequence) == (
        OrderStatus.SHIPPED,
        _t(30),
        3,
    )


@pytest.mark.parametrize(
    ("state", "body", "seq"),
    [
        (None, item_added("o-1"), 2),
        (None, status_changed("o-1", "PAID"), 2),
        # The policy dedups a second sequence 1; the projection refuses it all the same.
        ("existing", _created(), 1),
    ],
    ids=["item-added-to-nothing", "status-changed-of-nothing", "created-twice"],
)
def test_an_impossible_pair_is_a_projection_error(state: str | None, body: Body, seq: int) -> None:
    existing = _contributions(_created())[0] if state else None
    event = _event(body, seq)

    with pytest.raises(ProjectionError, match=rf"cannot apply {type(event).__name__} seq {seq} to"):
        contribute(existing, event, seq)


def test_totals_agree_with_the_orders_view_to_the_cent() -> None:
    # 0.15 x 1.5 = 0.225 is 0.22 half-even, line by line: the first two lines make 0.44, not
    # the 0.45 of rounding their sum (0.30 x 1.5); 0.05 x 1.5 = 0.075 rounds up to the even 0.08.
    bodies = (
        _created(items=[item("a", price="0.15", tax_rate="0.5"), item("b", price="0.15")]),
        item_added("o-1", item_id="c", qty=7, price="0.35", tax_rate="0.075"),
        item_added("o-1", item_id="d", qty=1, price="0.05"),
        status_changed("o-1", "CANCELLED"),
    )
    tax = Decimal("0.5")
    view: OrderView | None = None
    for seq, body in enumerate(bodies, start=1):
        view = project(view, _event(body, seq), seq, tax).view
    assert view is not None

    last = _contributions(*bodies, tax=tax)[-1]

    assert (last.total_net, last.total_gross) == (Decimal("2.80"), Decimal("3.15"))
    assert (last.total_net, last.total_gross) == (view.total_net, view.total_gross)
    assert (last.order_id, last.customer_id, last.currency, last.status) == (
        view.order_id,
        view.customer_id,
        view.currency,
        view.status,
    )
    assert (last.created_at, last.last_event_sequence) == (view.created_at, 4)


# --- the difference each applied event makes ---------------------------------------------------


def test_a_new_order_adds_one_order_in_created_and_its_money_in_its_currency() -> None:
    (change,) = _changes(_created(currency="USD", occurred_at=at(2)))

    assert change == OrderChange(
        CustomerChange(
            customer_id="c-1",
            order_count=1,
            created=1,
            first_order_at=_t(2),
            last_order_at=_t(2),
            updated_at=_t(2),
        ),
        CurrencyChange(
            "c-1", "USD", order_count=1, total_net=Decimal("10.00"), total_gross=Decimal("12.30")
        ),
    )


def test_a_status_move_moves_one_count_and_no_money() -> None:
    *_, shipped = _changes(
        _created(),
        status_changed("o-1", "PAID", occurred_at=at(1)),
        status_changed("o-1", "SHIPPED", occurred_at=at(2)),
    )

    assert shipped.customer == CustomerChange("c-1", paid=-1, shipped=1, updated_at=_t(2))
    assert shipped.currency == CurrencyChange("c-1", "EUR")
    assert shipped.currency.moves_nothing


def test_cancelling_takes_the_money_out_and_keeps_the_order_counted() -> None:
    *_, cancelled = _changes(
        _created(), status_changed("o-1", "PAID"), status_changed("o-1", "CANCELLED")
    )

    assert (cancelled.customer.order_count, cancelled.customer.paid) == (0, -1)
    assert cancelled.customer.cancelled == 1
    assert cancelled.currency == CurrencyChange(
        "c-1", "EUR", order_count=0, total_net=Decimal("-10.00"), total_gross=Decimal("-12.30")
    )


def test_an_item_added_while_cancelled_moves_no_money_until_the_order_leaves_cancelled() -> None:
    *_, added, reopened = _changes(
        _created(),
        status_changed("o-1", "CANCELLED"),
        item_added("o-1", item_id="late", qty=2, price="5.00", tax_rate="0.1"),
        status_changed("o-1", "PAID"),
    )

    assert added.currency.moves_nothing
    assert (added.customer.cancelled, added.customer.order_count) == (0, 0)
    assert (reopened.customer.cancelled, reopened.customer.paid) == (-1, 1)
    assert (reopened.currency.total_net, reopened.currency.total_gross) == (
        Decimal("20.00"),
        Decimal("23.30"),
    )


def test_a_cancelled_order_moving_to_another_cancelled_copy_changes_no_count() -> None:
    *_, again = _changes(
        _created(), status_changed("o-1", "CANCELLED"), status_changed("o-1", "CANCELLED")
    )

    assert again.customer == CustomerChange("c-1", updated_at=T0)
    assert again.currency.moves_nothing


def test_a_difference_between_two_orders_is_a_projection_error() -> None:
    (one,) = _contributions(_created("o-1"))
    (other,) = _contributions(_created("o-2", customer_id="c-2"))

    with pytest.raises(ProjectionError, match="order 'o-1' of customer 'c-1' in EUR cannot"):
        change_of(one, other)


# --- a batch's changes merged per row ----------------------------------------------------------


def test_thousands_of_orders_of_one_customer_in_a_batch_write_one_row_per_key() -> None:
    changes: list[OrderChange] = []
    for n in range(2000):
        order_id = f"o-{n}"
        bodies = [
            _created(
                order_id,
                currency="EUR" if n % 2 == 0 else "PLN",
                items=[item(price="1.00", tax_rate="0.23")],
                occurred_at=at(n),
            ),
            status_changed(order_id, "PAID", occurred_at=at(3000)),
        ]
        if n % 4 == 0:  # a quarter of the orders, all in EUR
            bodies.append(status_changed(order_id, "CANCELLED", occurred_at=at(3001)))
        changes.extend(_changes(*bodies))
    rows = CustomerRows()

    merged = rows.write(changes)

    assert (len(merged.customers), len(merged.currencies), rows.row_writes) == (1, 2, 3)
    assert rows.summaries == {
        "c-1": CustomerSummary(
            customer_id="c-1",
            order_count=2000,
            created_count=0,
            paid_count=1500,
            shipped_count=0,
            delivered_count=0,
            cancelled_count=500,
            first_order_at=T0,
            last_order_at=_t(1999),
            updated_at=_t(3001),
        )
    }
    assert rows.totals == {
        ("c-1", "EUR"): CurrencyTotals("c-1", "EUR", 1000, Decimal("500.00"), Decimal("615.00")),
        ("c-1", "PLN"): CurrencyTotals("c-1", "PLN", 1000, Decimal("1000.00"), Decimal("1230.00")),
    }


def test_merged_changes_come_in_key_order_without_the_ones_that_move_nothing() -> None:
    changes = [
        *_changes(_created("o-1", customer_id="c-2", currency="USD")),
        *_changes(_created("o-2", customer_id="c-1", currency="PLN")),
        *_changes(_created("o-3", customer_id="c-2", currency="EUR")),
        # c-3's order is older than the batch: it only moves between two counted statuses.
        change_of(
            *_contributions(_created("o-4", customer_id="c-3"), status_changed("o-4", "PAID"))
        ),
    ]

    merged = merge_changes(reversed(changes))

    assert [c.customer_id for c in merged.customers] == ["c-1", "c-2", "c-3"]
    assert [c.key for c in merged.currencies] == [("c-1", "PLN"), ("c-2", "EUR"), ("c-2", "USD")]


def test_merging_takes_the_least_first_and_the_greatest_last_and_updated_times() -> None:
    changes = [
        *_changes(
            _created("o-1", occurred_at=at(20)), status_changed("o-1", "PAID", occurred_at=at(50))
        ),
        *_changes(_created("o-2", occurred_at=at(10))),
        *_changes(_created("o-3", occurred_at=at(30))),
    ]

    (customer,) = merge_changes(changes).customers

    assert customer == CustomerChange(
        "c-1",
        order_count=3,
        created=2,
        paid=1,
        first_order_at=_t(10),
        last_order_at=_t(30),
        updated_at=_t(50),
    )


# --- the rows ----------------------------------------------------------------------------------


def test_a_customers_first_change_makes_its_row() -> None:
    change = CustomerChange(
        "c-1", order_count=1, created=1, first_order_at=_t(1), last_order_at=_t(1), updated_at=_t(2)
    )

    row = apply_customer_change(None, change)

    assert row == CustomerSummary("c-1", 1, 1, 0, 0, 0, 0, _t(1), _t(1), _t(2))
    assert row.status_counts == {
        OrderStatus.CREATED: 1,
        OrderStatus.PAID: 0,
        OrderStatus.SHIPPED: 0,
        OrderStatus.DELIVERED: 0,
        OrderStatus.CANCELLED: 0,
    }


def test_a_change_to_a_row_adds_the_counts_and_keeps_the_least_and_greatest_times() -> None:
    row = CustomerSummary("c-1", 5, 1, 2, 1, 1, 0, _t(10), _t(20), _t(30))
    change = CustomerChange(
        "c-1",
        order_count=1,
        paid=-1,
        cancelled=2,
        first_order_at=_t(15),
        last_order_at=_t(25),
        updated_at=_t(28),
    )

    assert apply_customer_change(row, change) == CustomerSummary(
        "c-1", 6, 1, 1, 1, 1, 2, _t(10), _t(25), _t(30)
    )
    assert apply_customer_change(row, CustomerChange("c-1", updated_at=_t(40))) == CustomerSummary(
        "c-1", 5, 1, 2, 1, 1, 0, _t(10), _t(20), _t(40)
    )


def test_a_customer_without_a_row_needs_the_change_of_its_first_order() -> None:
    with pytest.raises(ProjectionError, match="customer 'c-1' has no row yet"):
        apply_customer_change(None, CustomerChange("c-1", paid=1, updated_at=T0))


def test_a_currency_change_adds_to_its_row_and_starts_one_from_zero() -> None:
    change = CurrencyChange("c-1", "EUR", 1, Decimal("2.50"), Decimal("3.08"))
    row = CurrencyTotals("c-1", "EUR", 3, Decimal("10.00"), Decimal("12.30"))

    assert apply_currency_change(None, change) == CurrencyTotals(
        "c-1", "EUR", 1, Decimal("2.50"), Decimal("3.08")
    )
    assert apply_currency_change(row, change) == CurrencyTotals(
        "c-1", "EUR", 4, Decimal("12.50"), Decimal("15.38")
    )


def test_two_currencies_of_one_customer_are_never_summed() -> None:
    eur = _contributions(_created("o-1", currency="EUR", items=[item(price="10.00")]))
    pln = _contributions(
        _created("o-2", currency="PLN", items=[item(price="40.00", tax_rate="0.23")])
    )
    rows = CustomerRows()

    rows.write(change_of(None, only) for only in [*eur, *pln])

    assert rows.totals == {
        ("c-1", "EUR"): CurrencyTotals("c-1", "EUR", 1, Decimal("10.00"), Decimal("10.00")),
        ("c-1", "PLN"): CurrencyTotals("c-1", "PLN", 1, Decimal("40.00"), Decimal("49.20")),
    }
    assert rows.summaries["c-1"].order_count == 2
    assert (rows.summaries, rows.totals) == aggregate([*eur, *pln])


def test_aggregate_counts_a_cancelled_order_without_its_money() -> None:
    *_, paid = _contributions(
        _created("o-1", occurred_at=at(1)), status_changed("o-1", "PAID", occurred_at=at(9))
    )
    *_, cancelled = _contributions(
        _created("o-2", occurred_at=at(4)), status_changed("o-2", "CANCELLED", occurred_at=at(6))
    )
    (other,) = _contributions(_created("o-3", customer_id="c-2", currency="USD"))

    summaries, totals = aggregate([paid, cancelled, other])

    assert summaries == {
        "c-1": CustomerSummary("c-1", 2, 0, 1, 0, 0, 1, _t(1), _t(4), _t(9)),
        "c-2": CustomerSummary("c-2", 1, 1, 0, 0, 0, 0, T0, T0, T0),
    }
    assert totals == {
        ("c-1", "EUR"): CurrencyTotals("c-1", "EUR", 2, Decimal("10.00"), Decimal("12.30")),
        ("c-2", "USD"): CurrencyTotals("c-2", "USD", 1, Decimal("10.00"), Decimal("12.30")),
    }


def test_rows_written_batch_by_batch_equal_the_rows_computed_from_scratch() -> None:
    one = _contributions(
        _created("o-1", occurred_at=at(1)),
        item_added("o-1", item_id="x", price="0.99", tax_rate="0.23", occurred_at=at(2)),
        status_changed("o-1", "CANCELLED", occurred_at=at(3)),
        status_changed("o-1", "DELIVERED", occurred_at=at(4)),
    )
    two = _contributions(
        _created("o-2", currency="PLN", occurred_at=at(0)),
        status_changed("o-2", "CANCELLED", occurred_at=at(8)),
    )
    steps = [(None, one[0]), (None, two[0]), *itertools.pairwise(one), (two[0], two[1])]
    rows = CustomerRows()

    for batch in (steps[:2], steps[2:3], steps[3:]):
        rows.write(change_of(old, new) for old, new in batch)

    assert (rows.summaries, rows.totals) == aggregate([one[-1], two[-1]])
    assert rows.summaries["c-1"] == CustomerSummary("c-1", 2, 0, 0, 0, 1, 1, T0, _t(1), _t(8))
    assert rows.totals[("c-1", "EUR")] == CurrencyTotals(
        "c-1", "EUR", 1, Decimal("10.99"), Decimal("13.52")
    )
    assert rows.totals[("c-1", "PLN")] == CurrencyTotals("c-1", "PLN", 1, Decimal(0), Decimal(0))
