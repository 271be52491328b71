"""The in-process hub of committed changes: fed by one change feed per process, it wakes the
read-your-writes waiters and fans batches out to the change-stream subscribers
(application.change_stream reads the log's backlog and then follows the hub).

Nothing here touches the database: a thousand waiters or subscribers cost memory and the
in-memory dispatch of each committed batch, no query. Everything runs on one event loop.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any

import msgspec

from application.ports import Change, ChangeFilter, LiveMetrics


class Delivered(msgspec.Struct, frozen=True, gc=False):
    """A change as subscribers get it: `rendered` is computed once per change, for all."""

    change: Change
    rendered: Any


class NullLiveMetrics:
    def subscribers_changed(self, count: int) -> None: ...

    def subscriber_dropped(self, reason: str) -> None: ...

    def events_sent(self, count: int) -> None: ...

    def waiters_changed(self, count: int) -> None: ...

    def wait_ended(self, kind: str, outcome: str) -> None: ...


class SubscribersFull(Exception):
    pass


class WaitersFull(Exception):
    pass


class Subscription:
    """One client's bounded queue of delivered changes; `dropped` once it overflowed."""

    def __init__(self, hub: ChangeHub, filter_: ChangeFilter, start: int, max_queued: int) -> None:
        self.filter = filter_
        self.start = start  # the hub's head when it subscribed: later changes come here
        self.dropped = False
        self._hub = hub
        self._max = max_queued
        self._batches: deque[list[Delivered]] = deque()
        self._queued = 0
        self._ready = asyncio.Event()

    def offer(self, batch: list[Delivered]) -> bool:
        """Queue a batch; False (and dropped) when the client is too far behind to hold it."""
        if self._queued + len(batch) > self._max:
            self.dropped = True
            self._ready.set()
            return False
        self._batches.append(batch)
        self._queued += len(batch)
        self._ready.set()
        return True

    async def next_batch(self, timeout: float) -> list[Delivered] | None:
        """The next queued batch, or None after `timeout` seconds without one."""
        if not self._batches and not self.dropped:
            self._ready.clear()
            try:
                await asyncio.wait_for(self._ready.wait(), timeout)
            except TimeoutError:
                return None
        if self.dropped or not self._batches:
            return None
        batch = self._batches.popleft()
        self._queued -= len(batch)
        return batch

    def close(self) -> None:
        self._hub.unsubscribe(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class _SequenceWaiter:
    def __init__(self, hub: ChangeHub, order_id: str, min_sequence: int) -> None:
        self.order_id = order_id
        self.min_sequence = min_sequence
        self.event = asyncio.Event()
        self._hub = hub

    async def wait(self, timeout: float) -> bool:
        """True when a change reached the sequence (reset for the next wait), False at timeout."""
        try:
            await asyncio.wait_for(self.event.wait(), timeout)
        except TimeoutError:
            return False
        self.event.clear()
        return True

    def __enter__(self) -> _SequenceWaiter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._hub.forget_sequence_waiter(self, reached=kind is None)


class ChangeHub:
    """Where the feed publishes what each committed batch changed and the positions after it."""

    def __init__(
        self,
        max_subscribers: int = 1000,
        max_queued: int = 10_000,
        max_waiters: int = 10_000,
        render: Callable[[Change], Any] = lambda change: change,
        metrics: LiveMetrics | None = None,
    ) -> None:
        self.head = 0  # the last change id published
        self.positions: dict[int, int] = {}
        self.connected = False  # whether a feed is publishing (else waits can only time out)
        self.positions_known = False  # the feed has published positions at least once
        self.render = render
        self._metrics = metrics or NullLiveMetrics()
        self._max_subscribers = max_subscribers
        self._max_queued = max_queued
        self._max_waiters = max_waiters
        self._subscribers: set[Subscription] = set()
        self._by_order: dict[str, list[_SequenceWaiter]] = {}
        self._position_waiters: list[tuple[dict[int, int], asyncio.Event]] = []
        self._waiters = 0

    # --- the feed's side ----------------------------------------------------------------

    def publish(self, changes: Sequence[Change], positions: Mapping[int, int]) -> None:
        """Changes in id order (all above `head`), and the positions they were read with."""
        self.positions_known = True
        moved = {p: n for p, n in positions.items() if n > self.positions.get(p, -1)}
        if moved:  # a new dict, never changed in place: readers may keep the one they got
            self.positions = {**self.positions, **moved}
        if changes:
            self.head = max(self.head, changes[-1].change_id)
            self._wake_sequence_waiters(changes)
            self._fan_out(changes)
        self._wake_position_waiters()

    def _wake_sequence_waiters(self, changes: Sequence[Change]) -> None:
        if not self._by_order:
            return
        for change in changes:
            for waiter in self._by_order.get(change.view.order_id, ()):
                if change.view.last_event_sequence >= waiter.min_sequence:
                    waiter.event.set()

    def _wake_position_waiters(self) -> None:
        for wanted, event in self._position_waiters:
            if not event.is_set() and self.reached(wanted):
                event.set()

    def _fan_out(self, changes: Sequence[Change]) -> None:
        if not self._subscribers:
            return
        delivered = [Delivered(c, self.render(c)) for c in changes]
        for subscription in list(self._subscribers):
            f = subscription.filter
            if f.order_id is None and f.customer_id is None and not f.statuses:
                batch = delivered
            else:
                batch = [d for d in delivered if f.matches(d.change.view)]
            if batch and not subscription.offer(batch):
                self.unsubscribe(subscription)
                self._metrics.subscriber_dropped("slow")

    # --- the change streams' side -------------------------------------------------------

    def subscribe(self, filter_: ChangeFilter) -> Subscription:
        if len(self._subscribers) >= self._max_subscribers:
            self._metrics.subscriber_dropped("full")
            raise SubscribersFull(
                f"this process serves its maximum of {self._max_subscribers} change streams"
            )
        subscription = Subscription(self, filter_, self.head, self._max_queued)
        self._subscribers.add(subscription)
        self._metrics.subscribers_changed(len(self._subscribers))
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        if subscription in self._subscribers:
            self._subscribers.discard(subscription)
            self._metrics.subscribers_changed(len(self._subscribers))

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    # --- the waiters' side --------------------------------------------------------------

    def reached(self, wanted: Mapping[int, int]) -> bool:
        return all(self.positions.get(p, 0) >= n for p, n in wanted.items())

    def sequence_waiter(self, order_id: str, min_sequence: int) -> _SequenceWaiter:
        self._admit()
        waiter = _SequenceWaiter(self, order_id, min_sequence)
        self._by_order.setdefault(order_id, []).append(waiter)
        return waiter

    def forget_sequence_waiter(self, waiter: _SequenceWaiter, reached: bool) -> None:
        waiters = self._by_order.get(waiter.order_id, [])
        if waiter in waiters:
            waiters.remove(waiter)
            if not waiters:
                del self._by_order[waiter.order_id]
            self._release()
            self._metrics.wait_ended("sequence", "reached" if reached else "timeout")

    async def wait_for_positions(self, wanted: Mapping[int, int], timeout: float) -> bool:
        if self.reached(wanted):
            return True
        self._admit()
        entry = (dict(wanted), asyncio.Event())
        self._position_waiters.append(entry)
        try:
            await asyncio.wait_for(entry[1].wait(), timeout)
            self._metrics.wait_ended("position", "reached")
            return True
        except TimeoutError:
            self._metrics.wait_ended("position", "timeout")
            return False
        finally:
            self._position_waiters.remove(entry)
            self._release()

    def _admit(self) -> None:
        if self._waiters >= self._max_waiters:
            raise WaitersFull(
                f"this process holds its maximum of {self._max_waiters} waiting reads"
            )
        self._waiters += 1
        self._metrics.waiters_changed(self._waiters)

    def _release(self) -> None:
        self._waiters -= 1
        self._metrics.waiters_changed(self._waiters)
