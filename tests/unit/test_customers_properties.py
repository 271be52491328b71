"""Any delivery plan keeps the customers view equal to its orders, recomputed from scratch."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.batch import OrderSnapshot, apply_batch
from domain.decoding import decode_record
from domain.events import OrderStatus
from domain.projection import ZERO, OrderView, project
from domain.records import Accepted, Envelope, RawRecord
from domain.sequencing import Decision, decide, releasable
from tests.support.customers import CustomerRows
from tests.support.events import at, item, item_added, order_created, order_log, status_changed
from tests.unit.test_batch_properties import deliveries, item_fields
from views.customers.domain import (
    CurrencyKey,
    CurrencyTotals,
    CustomerSummary,
    OrderChange,
    OrderContribution,
    aggregate,
    change_of,
    contribute,
)

pytestmark = pytest.mark.unit

Logs = dict[str, list[RawRecord]]

customers = st.sampled_from(["c-1", "c-2", "c-3"])
currencies = st.sampled_from(["EUR", "PLN", "USD"])
statuses = st.sampled_from([status.value for status in OrderStatus])  # CREATED again too
# Times drawn apart from the sequence: a later event may say it happened earlier.
minutes = st.integers(0, 120)


@st.composite
def customer_logs(draw: st.DrawFn) -> Logs:
    """Orders of a few customers, in at least two currencies, each log in sequence order."""
    logs: Logs = {}
    two_first = draw(st.lists(currencies, min_size=2, max_size=2, unique=True))
    for n in range(draw(st.integers(2, 6))):
        order_id = f"order-{n}"
        later = []
        for seq in range(2, draw(st.integers(1, 6)) + 1):
            ids = {"event_id": f"{order_id}-{seq}", "occurred_at": at(draw(minutes))}
            if draw(st.booleans()):
                later.append(item_added(order_id, **ids, **draw(item_fields)))
            else:
                later.append(status_changed(order_id, draw(statuses), **ids))
        created = order_created(
            order_id,
            items=[item(**fields) for fields in draw(st.lists(item_fields, max_size=3))],
            customer_id=draw(customers),
            currency=two_first[n] if n < 2 else draw(currencies),
            event_id=f"{order_id}-1",
            occurred_at=at(draw(minutes)),
        )
        logs[order_id] = order_log(order_id, *later, created=created)
    return logs


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Logs, list[list[RawRecord]]]:
    """A log, and batches delivering it in any order with copies, a few records never."""
    logs = draw(customer_logs())
    places = [(order_id, n) for order_id, log in logs.items() for n in range(len(log))]
    lost = draw(st.sets(st.sampled_from(places), max_size=2))
    delivered = {
        order_id: [r for n, r in enumerate(log) if (order_id, n) not in lost]
        for order_id, log in logs.items()
    }
    return logs, draw(deliveries(delivered))


class PolicySequencer:
    """Mirrors the engine's sequencing: which envelopes CONTRACT §2 applies, in which order.

    The per-order policy (domain.sequencing's `decide` and `releasable`) over a whole batch, as
    domain.batch.apply_batch runs it, with each order's last sequence and stash kept between
    batches. It stands in for the engine's coming `sequence_batch`; the property checks that
    it gives apply_batch's views, so the two cannot drift apart unnoticed.
    """

    def __init__(self) -> None:
        self.last: dict[str, int] = {}
        self.stash: dict[str, dict[int, Envelope]] = {}

    def applied(self, batch: Iterable[Envelope]) -> list[Envelope]:
        applied: list[Envelope] = []
        for envelope in batch:
            order_id, seq = envelope.order_id, envelope.sequence
            stash = self.stash.setdefault(order_id, {})
            match decide(self.last.get(order_id, 0), seq, stash):
                case Decision.STASH:
                    stash[seq] = envelope
                case Decision.APPLY:
                    released = [held for _, held in releasable(seq, stash)]
                    for held in released:
                        del stash[held.sequence]
                    applied += [envelope, *released]
                    self.last[order_id] = applied[-1].sequence
        return applied


class BatchEngine:
    """domain.batch.apply_batch over the same batches, its views and stash kept as a store would."""

    def __init__(self, default_tax_rate: Decimal) -> None:
        self.tax = default_tax_rate
        self.snapshots: dict[str, OrderSnapshot] = {}

    def feed(self, envelopes: list[Envelope]) -> None:
        result = apply_batch(self.snapshots, envelopes, self.tax)
        for view in result.views:
            self.snapshots.setdefault(view.order_id, OrderSnapshot()).view = view
        for held in result.stashed:
            self.snapshots.setdefault(held.order_id, OrderSnapshot()).stash[held.sequence] = held
        for order_id, seq in result.released:
            del self.snapshots[order_id].stash[seq]

    @property
    def views(self) -> dict[str, OrderView]:
        return {key: s.view for key, s in self.snapshots.items() if s.view is not None}


def _envelope(raw: RawRecord) -> Envelope:
    decoded = decode_record(raw)
    assert isinstance(decoded, Accepted)
    return decoded.envelope


def rows_from_views(
    views: Mapping[str, OrderView], logs: Logs
) -> tuple[dict[str, CustomerSummary], dict[CurrencyKey, CurrencyTotals]]:
    """The rows as the orders' views say they must be, computed apart from the customers view:
    counts from the orders' statuses, money of the orders not cancelled per currency, and
    `updated_at` the latest time of an event applied to them (sequences 1..last of the log)."""
    summaries: dict[str, CustomerSummary] = {}
    totals: dict[CurrencyKey, CurrencyTotals] = {}
    for customer_id in sorted({view.customer_id for view in views.values()}):
        orders = [view for view in views.values() if view.customer_id == customer_id]
        counts = Counter(view.status for view in orders)
        summaries[customer_id] = CustomerSummary(
            customer_id=customer_id,
            order_count=len(orders),
            created_count=counts[OrderStatus.CREATED],
            paid_count=counts[OrderStatus.PAID],
            shipped_count=counts[OrderStatus.SHIPPED],
            delivered_count=counts[OrderStatus.DELIVERED],
            cancelled_count=counts[OrderStatus.CANCELLED],
            first_order_at=min(view.created_at for view in orders),
            last_order_at=max(view.created_at for view in orders),
            updated_at=max(
                _envelope(raw).event.occurred_at
                for view in orders
                for raw in logs[view.order_id][: view.last_event_sequence]
            ),
        )
        for currency in sorted({view.currency for view in orders}):
            in_currency = [view for view in orders if view.currency == currency]
            earned = [view for view in in_currency if view.status is not OrderStatus.CANCELLED]
            totals[customer_id, currency] = CurrencyTotals(
                customer_id=customer_id,
                currency=currency,
                order_count=len(in_currency),
                total_net=sum((view.total_net for view in earned), ZERO),
                total_gross=sum((view.total_gross for view in earned), ZERO),
            )
    return summaries, totals


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), tax=st.sampled_from([Decimal(0), Decimal("0.2")]))
def test_any_delivery_plan_keeps_the_customer_rows_equal_to_their_orders(
    scenario: tuple[Logs, list[list[RawRecord]]], tax: Decimal
) -> None:
    logs, batches = scenario
    sequencer, engine, rows = PolicySequencer(), BatchEngine(tax), CustomerRows()
    contributions: dict[str, OrderContribution] = {}
    views: dict[str, OrderView] = {}

    for batch in batches:
        envelopes = [_envelope(raw) for raw in batch]
        changes: list[OrderChange] = []
        for applied in sequencer.applied(envelopes):
            order_id, event, seq = applied.order_id, applied.event, applied.sequence
            old = contributions.get(order_id)
            contributions[order_id] = contribute(old, event, seq, tax)
            changes.append(change_of(old, contributions[order_id]))
            views[order_id] = project(views.get(order_id), event, seq, tax).view
        merged = rows.write(changes)
        engine.feed(envelopes)

        # One write per touched customer and per (customer, currency), whatever the batch holds.
        touched = sorted({change.customer.customer_id for change in changes})
        assert [change.customer_id for change in merged.customers] == touched
        keys = [change.key for change in merged.currencies]
        assert keys == sorted(set(keys))
        assert (rows.summaries, rows.totals) == aggregate(contributions.values())

    assert views == engine.views
    assert {k: sorted(s) for k, s in sequencer.stash.items() if s} == {
        k: sorted(s.stash) for k, s in engine.snapshots.items() if s.stash
    }
    for order_id, view in views.items():
        mine = contributions[order_id]
        assert (mine.customer_id, mine.currency, mine.status, mine.created_at) == (
            view.customer_id,
            view.currency,
            view.status,
            view.created_at,
        )
        assert (mine.total_net, mine.total_gross, mine.last_event_sequence) == (
            view.total_net,
            view.total_gross,
            view.last_event_sequence,
        )
    assert (rows.summaries, rows.totals) == rows_from_views(views, logs)
