"""A reproducible stream of decoded order events for bench/store_write.py."""

from __future__ import annotations

from collections import Counter, deque
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from random import Random

from domain.events import Item, OrderCreated, OrderItemAdded, OrderStatus, OrderStatusChanged
from domain.records import Envelope

_STATUSES = [s for s in OrderStatus if s is not OrderStatus.CREATED]


class MixedEvents:
    """Batches like a busy topic: 25% creates (1–3 items), 30% item adds, 35% status changes,
    8% redelivered duplicates, 2% held back to the next batch (a gap: later events of that
    order wait in the stash until it arrives)."""

    def __init__(self, seed: int, live_orders: int = 5000) -> None:
        self._random = Random(seed)
        self._next_sequence: dict[str, int] = {}
        self._live: deque[str] = deque(maxlen=live_orders)
        self._recent: deque[Envelope] = deque(maxlen=5000)
        self._held: list[Envelope] = []
        self._clock = datetime(2026, 1, 1, tzinfo=UTC)
        self._counts: Counter[str] = Counter()

    def batch(self, size: int) -> list[Envelope]:
        out, self._held = self._held[:size], self._held[size:]
        while len(out) < size:
            roll = self._random.random()
            if roll < 0.08 and self._recent:
                self._counts["duplicate"] += 1
                out.append(self._random.choice(self._recent))
                continue
            envelope = self._create() if roll < 0.33 or not self._live else self._update(roll)
            self._recent.append(envelope)
            if roll > 0.98:
                self._counts["held back"] += 1
                self._held.append(envelope)
            else:
                out.append(envelope)
        return out

    def describe(self) -> str:
        return ", ".join(f"{name} {count}" for name, count in self._counts.most_common())

    def _create(self) -> Envelope:
        order_id = f"order-{len(self._next_sequence):08d}"
        self._next_sequence[order_id] = 2
        self._live.append(order_id)
        items = tuple(self._item(n) for n in range(self._random.randint(1, 3)))
        event = OrderCreated(
            self._id(), self._tick(), order_id, f"customer-{order_id[-4:]}", "EUR", items
        )
        self._counts["OrderCreated"] += 1
        return Envelope(event, 1)

    def _update(self, roll: float) -> Envelope:
        order_id = self._random.choice(self._live)
        sequence = self._next_sequence[order_id]
        self._next_sequence[order_id] = sequence + 1
        if roll < 0.63:
            item = self._item(sequence)
            event: OrderItemAdded | OrderStatusChanged = OrderItemAdded(
                self._id(),
                self._tick(),
                order_id,
                item.item_id,
                item.sku,
                item.qty,
                item.price,
                item.tax_rate,
            )
        else:
            event = OrderStatusChanged(
                self._id(), self._tick(), order_id, self._random.choice(_STATUSES)
            )
        self._counts[type(event).__name__] += 1
        return Envelope(event, sequence)

    def _item(self, n: int) -> Item:
        cents = self._random.randint(100, 50_000)
        return Item(
            f"item-{n}",
            f"sku-{self._random.randint(1, 500)}",
            self._random.randint(1, 5),
            Decimal(cents) / 100,
            Decimal("0.23"),
        )

    def _id(self) -> str:
        return f"{self._random.getrandbits(128):032x}"

    def _tick(self) -> datetime:
        self._clock += timedelta(milliseconds=10)
        return self._clock
