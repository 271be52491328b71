"""Pure: an order's count of applied events, as a function of (state, event)."""

from __future__ import annotations

import msgspec

from domain.events import OrderEvent, event_type


class EventCount(msgspec.Struct, frozen=True):
    order_id: str
    events: int
    last_type: str
    last_event_sequence: int


def count(state: EventCount | None, event: OrderEvent, sequence: int) -> EventCount:
    """One event the stream's sequencing applied: never a duplicate, never out of order."""
    events = 1 if state is None else state.events + 1
    return EventCount(event.order_id, events, event_type(event), sequence)
