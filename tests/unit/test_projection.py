"""The order view as a pure function of events: lines, totals and timestamps (CONTRACT §4)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from domain.events import OrderCreated, OrderStatus
from domain.projection import OrderLine, ProjectionError, gross, project
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

pytestmark = pytest.mark.unit


def _created(*items: Body, when: str | None = None) -> OrderCreated:
    event = envelope(order_created(items=list(items), occurred_at=when, event_id="e1")).event
    assert isinstance(event, OrderCreated)
    return event


def _line(qty: int, price: str, tax_rate: str | None, default: str = "0") -> OrderLine:
    event = _created(item(qty=qty, price=price, tax_rate=tax_rate))
    (line,) = project(None, event, 1, Decimal(default)).new_lines
    return line


def test_created_makes_lines_in_array_order() -> None:
    event = _created(
        item("a", "SKU-A", qty=2, price="1.50"),
        item("b", "SKU-B", qty=1, price="10", tax_rate="0.23"),
    )

    projected = project(None, event, 1)

    lines = projected.new_lines
    assert [(line.line_no, line.item_id, line.sku) for line in lines] == [
        (1, "a", "SKU-A"),
        (2, "b", "SKU-B"),
    ]
    assert [(line.price, line.net_line_total, line.gross_line_total) for line in lines] == [
        (Decimal("1.50"), Decimal("3.00"), Decimal("3.00")),
        (Decimal("10.00"), Decimal("10.00"), Decimal("12.30")),
    ]
    view = projected.view
    assert (view.order_id, view.customer_id, view.currency) == ("order-1", "customer-1", "EUR")
    assert view.status is OrderStatus.CREATED
    assert (view.total_net, view.total_gross) == (Decimal("13.00"), Decimal("15.30"))
    assert (view.item_count, view.line_count) == (3, 2)
    assert view.created_at == view.updated_at == T0
    assert (view.last_event_sequence, view.last_event_id) == (1, "e1")


def test_created_without_items_has_zero_totals() -> None:
    view = project(None, _created(), 1).view

    assert (view.total_net, view.total_gross, view.item_count, view.line_count) == (
        Decimal("0.00"),
        Decimal("0.00"),
        0,
        0,
    )


def test_item_added_appends_the_next_line_and_moves_updated_at_only() -> None:
    start = project(None, _created(item(price="1.00"), item(price="2.00")), 1).view
    added = envelope(
        item_added(item_id="c", qty=4, price="0.25", event_id="e2", occurred_at=at(30)), 2
    ).event

    projected = project(start, added, 2)

    (line,) = projected.new_lines
    assert (line.line_no, line.item_id, line.qty, line.net_line_total) == (
        3,
        "c",
        4,
        Decimal("1.00"),
    )
    view = projected.view
    assert (view.total_net, view.total_gross) == (Decimal("4.00"), Decimal("4.00"))
    assert (view.item_count, view.line_count) == (6, 3)
    assert (view.created_at, view.updated_at) == (T0, datetime.fromisoformat(at(30)))
    assert (view.last_event_sequence, view.last_event_id) == (2, "e2")


@pytest.mark.parametrize("status", list(OrderStatus))
def test_status_changed_sets_the_status_and_keeps_lines(status: OrderStatus) -> None:
    start = project(None, _created(item()), 1).view
    changed = envelope(status_changed(status=status.value, event_id="e9", occurred_at=at(5)), 9)

    projected = project(start, changed.event, 9)

    assert projected.new_lines == ()
    assert projected.view.status is status
    assert (projected.view.total_gross, projected.view.line_count) == (start.total_gross, 1)
    assert projected.view.updated_at == datetime.fromisoformat(at(5))
    assert projected.view.created_at == T0
    assert (projected.view.last_event_sequence, projected.view.last_event_id) == (9, "e9")


def test_updated_at_is_the_last_applied_event_even_when_its_clock_is_earlier() -> None:
    start = project(None, _created(item(), when=at(60)), 1).view
    earlier = envelope(status_changed(occurred_at=at(10)), 2).event

    view = project(start, earlier, 2).view

    assert (view.created_at, view.updated_at) == (
        datetime.fromisoformat(at(60)),
        datetime.fromisoformat(at(10)),
    )


def test_an_event_the_policy_should_not_have_let_through_is_an_error() -> None:
    existing = project(None, _created(), 1).view

    with pytest.raises(ProjectionError):
        project(None, envelope(item_added(), 2).event, 2)
    with pytest.raises(ProjectionError):
        project(existing, _created(), 1)


@pytest.mark.parametrize(
    ("qty", "price", "tax_rate", "net", "gross_total"),
    [
        (1, "0.05", "0.5", "0.05", "0.08"),  # 0.075: exactly half a cent, rounds to even (up)
        (1, "0.10", "0.25", "0.10", "0.12"),  # 0.125: exactly half a cent, rounds to even (down)
        (1, "0.10", "0.35", "0.10", "0.14"),  # 0.135 -> 0.14
        (1, "0.10", "0.45", "0.10", "0.14"),  # 0.145 -> 0.14, where half-up would say 0.15
        (1, "0.10", "0.251", "0.10", "0.13"),  # 0.1251: just above half
        (1, "0.10", "0.249", "0.10", "0.12"),  # 0.1249: just below half
        (3, "0.10", "0", "0.30", "0.30"),  # exact: a float would give 0.30000000000000004
        (7, "19.99", "0.23", "139.93", "172.11"),  # 172.1139
        (2, "0.01", "1", "0.02", "0.04"),
        (5, "0", "0.23", "0.00", "0.00"),
        (
            1_000_000,
            "999999999999999.99",
            "0.23",
            "999999999999999990000.00",
            "1229999999999999987700.00",
        ),  # the largest line loses no digit
    ],
)
def test_line_totals_are_exact_net_and_half_even_gross(
    qty: int, price: str, tax_rate: str, net: str, gross_total: str
) -> None:
    line = _line(qty, price, tax_rate)

    assert str(line.net_line_total) == net
    assert str(line.gross_line_total) == gross_total
    assert line.tax_rate == Decimal(tax_rate)


def test_order_totals_are_sums_of_rounded_lines() -> None:
    event = _created(*[item(item_id=f"i{n}", price="0.05", tax_rate="0.5") for n in range(3)])

    view = project(None, event, 1).view

    # 3 x 0.075 = 0.225 would round to 0.22; the contract sums the rounded lines: 3 x 0.08.
    assert (view.total_net, view.total_gross) == (Decimal("0.15"), Decimal("0.24"))


def test_missing_tax_rate_uses_the_default_and_an_explicit_zero_does_not() -> None:
    assert _line(1, "10.00", None, default="0.2").tax_rate == Decimal("0.2")
    assert _line(1, "10.00", None, default="0.2").gross_line_total == Decimal("12.00")
    assert _line(1, "10.00", "0", default="0.2").gross_line_total == Decimal("10.00")
    assert _line(1, "10.00", None).gross_line_total == Decimal("10.00")


def test_item_added_without_tax_rate_uses_the_default() -> None:
    start = project(None, _created(), 1).view
    added = envelope(item_added(price="10.00"), 2).event

    (line,) = project(start, added, 2, Decimal("0.23")).new_lines

    assert (line.tax_rate, line.gross_line_total) == (Decimal("0.23"), Decimal("12.30"))


def test_prices_are_shown_to_the_cent() -> None:
    assert str(_line(1, "5", None).price) == "5.00"
    assert str(_line(2, "0.5", None).net_line_total) == "1.00"
    negative_zero = _line(3, "-0", "-0.0")
    assert [str(negative_zero.price), str(negative_zero.gross_line_total)] == ["0.00", "0.00"]
    assert not negative_zero.tax_rate.is_signed()


def test_gross_is_the_single_rounding_rule() -> None:
    assert gross(Decimal("0.05"), Decimal("0.5")) == Decimal("0.08")
    assert gross(Decimal("0.10"), Decimal("0.25")) == Decimal("0.12")
