"""Any delivery order, duplication and batching gives the views of the log applied in order."""

from __future__ import annotations

import itertools
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.ports import ListQuery, OrderDetail, OrderFilters, Sort
from domain.batch import OrderSnapshot, apply_batch
from domain.decoding import decode_record
from domain.events import OrderEvent, event_type
from domain.projection import OrderLine, OrderView, project
from domain.records import Accepted, Envelope, RawRecord
from tests.support.events import (
    TOPIC,
    at,
    envelope,
    item,
    item_added,
    order_created,
    order_log,
    status_changed,
    with_offsets,
)
from tests.support.projection import GROUP, MemoryPipeline

pytestmark = pytest.mark.unit


def _order(order_id: str = "order-1") -> list[Envelope]:
    """Sequences 1..4 of one order: created with one line, two items added, paid."""
    bodies = [
        order_created(order_id, items=[item(price="1.00")]),
        item_added(order_id, item_id="b", price="2.00", occurred_at=at(1)),
        item_added(order_id, item_id="c", price="3.00", tax_rate="0.5", occurred_at=at(2)),
        status_changed(order_id, "PAID", occurred_at=at(3)),
    ]
    return [envelope(body, seq) for seq, body in enumerate(bodies, start=1)]


def test_in_order_batch_applies_every_event() -> None:
    result = apply_batch({}, _order())

    (view,) = result.views
    assert (view.last_event_sequence, view.line_count, view.total_gross) == (4, 3, Decimal("7.50"))
    assert [line.line_no for line in result.new_lines] == [1, 2, 3]
    assert result.tally.applied == {"OrderCreated": 1, "OrderItemAdded": 2, "OrderStatusChanged": 1}
    assert (result.stashed, result.released) == ([], [])


def test_reversed_batch_stashes_then_drains_to_the_same_view() -> None:
    log = _order()

    result = apply_batch({}, log[::-1])

    assert result.views == apply_batch({}, log).views
    assert [line.item_id for line in result.new_lines] == ["item-1", "b", "c"]
    assert (result.tally.gaps, result.tally.released, result.tally.applied_total) == (3, 3, 4)
    assert (result.stashed, result.released, result.stash_delta) == ([], [], 0)


def test_stash_survives_between_batches_and_is_released_from_the_snapshot() -> None:
    log = _order()

    first = apply_batch({}, [log[3], log[2]])
    snapshot = OrderSnapshot(stash={e.sequence: e for e in first.stashed})
    second = apply_batch({"order-1": snapshot}, log[:2])

    assert (first.views, [e.sequence for e in first.stashed], first.stash_delta) == ([], [4, 3], 2)
    assert second.released == [("order-1", 3), ("order-1", 4)]
    assert (second.stash_delta, second.tally.released) == (-2, 2)
    assert second.views == apply_batch({}, log).views


def test_duplicates_and_late_copies_change_nothing() -> None:
    log = _order()

    result = apply_batch({}, [log[0], log[0], log[1], log[0], log[1], log[3], log[3]])

    (view,) = result.views
    assert view.last_event_sequence == 2
    assert (result.tally.duplicates, result.tally.late, result.tally.gaps) == (3, 1, 1)
    assert [e.sequence for e in result.stashed] == [4]


def test_a_stored_view_decides_what_is_old() -> None:
    log = _order()
    stored = apply_batch({}, log[:2]).views[0]

    result = apply_batch({"order-1": OrderSnapshot(view=stored)}, [log[1], log[0], log[2]])

    assert (result.tally.duplicates, result.tally.late, result.tally.applied_total) == (1, 1, 1)
    assert result.views[0].last_event_sequence == 3
    assert [line.line_no for line in result.new_lines] == [3]


def test_orders_do_not_interfere() -> None:
    a, b = _order("order-a"), _order("order-b")

    result = apply_batch({}, [b[1], a[0], b[0], a[2], a[1]])

    assert {v.order_id: v.last_event_sequence for v in result.views} == {"order-a": 3, "order-b": 2}


# --- the property ----------------------------------------------------------------------------

prices = st.decimals(min_value=0, max_value=1000, places=2).map(str)
tax_rates = st.sampled_from([None, "0", "0.05", "0.23", "0.5"])
item_fields: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {"item_id": st.sampled_from(["i-1", "i-2"]), "qty": st.integers(1, 5), "price": prices},
    optional={"tax_rate": tax_rates},
)
statuses = st.sampled_from(["PAID", "SHIPPED", "DELIVERED", "CANCELLED"])


@st.composite
def order_logs(draw: st.DrawFn) -> dict[str, list[RawRecord]]:
    """Several orders, each OrderCreated then item adds and status changes, in sequence."""
    logs: dict[str, list[RawRecord]] = {}
    for n in range(draw(st.integers(1, 4))):
        order_id = f"order-{n}"
        later = []
        for seq in range(2, draw(st.integers(1, 7)) + 1):
            ids = {"event_id": f"{order_id}-{seq}", "occurred_at": at(seq)}
            if draw(st.booleans()):
                later.append(item_added(order_id, **ids, **draw(item_fields)))
            else:
                later.append(status_changed(order_id, draw(statuses), **ids))
        created = order_created(
            order_id,
            items=[item(**f) for f in draw(st.lists(item_fields, max_size=3))],
            event_id=f"{order_id}-1",
        )
        logs[order_id] = order_log(order_id, *later, created=created)
    return logs


@st.composite
def deliveries(draw: st.DrawFn, logs: dict[str, list[RawRecord]]) -> list[list[RawRecord]]:
    """Every record at least once, some again, in any order, cut into batches anywhere."""
    records = [r for log in logs.values() for r in log]
    if not records:  # every record lost: nothing to deliver
        return []
    again = draw(st.lists(st.sampled_from(records), max_size=len(records)))
    delivered = with_offsets(draw(st.permutations(records + again)))
    cuts = sorted(set(draw(st.lists(st.integers(0, len(delivered)), max_size=6))))
    bounds = [0, *cuts, len(delivered)]
    return [delivered[a:b] for a, b in itertools.pairwise(bounds) if a < b]


def in_order(logs: dict[str, list[RawRecord]], tax: Decimal) -> dict[str, OrderDetail]:
    """The reference: each order's log folded through `project` in sequence order."""
    expected = {}
    for order_id, log in logs.items():
        view: OrderView | None = None
        lines: list[OrderLine] = []
        for seq, raw in enumerate(log, start=1):
            decoded = decode_record(raw)
            assert isinstance(decoded, Accepted)
            projected = project(view, decoded.envelope.event, seq, tax)
            view, lines = projected.view, [*lines, *projected.new_lines]
        assert view is not None
        expected[order_id] = OrderDetail(view, tuple(lines))
    return expected


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[dict[str, list[RawRecord]], list[list[RawRecord]]]:
    logs = draw(order_logs())
    return logs, draw(deliveries(logs))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), tax=st.sampled_from([Decimal(0), Decimal("0.2")]))
async def test_any_delivery_plan_projects_the_log_in_order(
    scenario: tuple[dict[str, list[RawRecord]], list[list[RawRecord]]], tax: Decimal
) -> None:
    logs, batches = scenario
    pipeline = MemoryPipeline(default_tax_rate=tax)

    outcomes = [await pipeline.feed(batch) for batch in batches]

    expected = in_order(logs, tax)
    for order_id, detail in expected.items():
        assert await pipeline.store.get_order(order_id) == detail
    listed = await pipeline.store.list_orders(ListQuery(OrderFilters(), Sort(), limit=100))
    assert sorted(v.order_id for v in listed) == sorted(expected)

    tallies = [o.result.tally for o in outcomes]
    delivered = sum(len(batch) for batch in batches)
    distinct = sum(len(log) for log in logs.values())
    applied = sum((t.applied for t in tallies), Counter[str]())
    assert applied == Counter(event_type(_event(r)) for log in logs.values() for r in log)
    assert sum(t.applied_total for t in tallies) == distinct
    # A stashed event is counted as a gap on arrival and as applied on release, so with the
    # stash drained: applied + duplicates + late == delivered, and gaps == released.
    assert sum(t.duplicates + t.late for t in tallies) == delivered - distinct
    assert sum(t.gaps for t in tallies) == sum(t.released for t in tallies)
    assert [o.records for o in outcomes] == [len(batch) for batch in batches]
    assert await pipeline.store.stashed_count() == 0
    assert await pipeline.store.positions(GROUP, TOPIC) == {0: delivered}
    assert pipeline.metrics.stashed == 0
    assert pipeline.metrics.events == applied
    assert pipeline.dead_letters.sent == []


def _event(raw: RawRecord) -> OrderEvent:
    decoded = decode_record(raw)
    assert isinstance(decoded, Accepted)
    return decoded.envelope.event
