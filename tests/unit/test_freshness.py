"""Read-your-writes: the parameters' parsing, position tokens, and the waiters of the hub."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from application.change_hub import ChangeHub, WaitersFull
from application.errors import InvalidParameter
from application.freshness import (
    NotReached,
    ReadFreshness,
    encode_position,
    parse_min_position,
    parse_min_sequence,
    parse_wait,
)
from application.ports import Change, OrderDetail
from domain.events import OrderStatus
from domain.projection import OrderView

pytestmark = pytest.mark.unit
T = datetime(2026, 11, 28, tzinfo=UTC)


def view(order_id: str, sequence: int, status: OrderStatus = OrderStatus.CREATED) -> OrderView:
    return OrderView(
        order_id, "c-1", status, "EUR", Decimal(1), Decimal(1), 1, 1, T, T, sequence, f"e{sequence}"
    )


@pytest.mark.parametrize(
    ("positions", "expected"), [({}, {}), ({0: 5}, {0: 5}), ({3: 10, 0: 2**62}, {0: 2**62, 3: 10})]
)
def test_a_token_round_trips_its_positions(
    positions: dict[int, int], expected: dict[int, int]
) -> None:
    token = encode_position(positions)
    assert token.startswith("p1.") and "=" not in token
    assert parse_min_position(token) == expected


def test_the_empty_token_is_the_position_before_anything_was_consumed() -> None:
    assert parse_min_position("p1.") == {}


def test_record_offsets_mean_the_next_offset_after_them() -> None:
    assert parse_min_position("0:41, 1:7,0:3") == {0: 42, 1: 8}


@pytest.mark.parametrize(
    "text",
    ["", "0", "0:", ":1", "a:1", "0:1:2", "0:-1", "-1:0", "p1.!!!", "0:" + "9" * 19,
     ",".join(f"{p}:1" for p in range(129)), "0:1;1:2", "0:１"],
)  # fmt: skip
def test_a_malformed_position_is_refused_naming_the_parameter(text: str) -> None:
    with pytest.raises(InvalidParameter) as refused:
        parse_min_position(text)
    assert refused.value.name == "minPosition"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (None, 0.0),
        ("2s", 2.0),
        ("2", 2.0),
        ("1.5s", 1.5),
        ("500ms", 0.5),
        ("0", 0.0),
        ("10s", 10.0),
    ],
)
def test_wait_durations(text: str | None, seconds: float) -> None:
    assert parse_wait(text, 10.0) == seconds


@pytest.mark.parametrize("text", ["10.001s", "1h", "-1s", "NaN", "inf", "1e3", "", "2 s", "9" * 12])
def test_a_bad_or_too_long_wait_is_refused(text: str) -> None:
    with pytest.raises(InvalidParameter) as refused:
        parse_wait(text, 10.0)
    assert refused.value.name == "wait"


@pytest.mark.parametrize("text", ["0", "-1", "1.0", "abc", "", "1" * 19, "١"])
def test_a_bad_min_sequence_is_refused(text: str) -> None:
    with pytest.raises(InvalidParameter) as refused:
        parse_min_sequence(text)
    assert refused.value.name == "minSequence"


class Reader:
    def __init__(self) -> None:
        self.sequence = 0
        self.reads = 0

    async def __call__(self, order_id: str) -> OrderDetail | None:
        self.reads += 1
        return None if self.sequence == 0 else OrderDetail(view(order_id, self.sequence), ())


async def test_a_sequence_waiter_is_woken_by_the_change_and_reads_once_more() -> None:
    hub, reader = ChangeHub(), Reader()
    fresh = ReadFreshness(hub, 10)
    waiting = asyncio.create_task(fresh.order(reader, "o-1", 2, 5.0))
    await asyncio.sleep(0.01)
    assert reader.reads == 1 and not waiting.done()
    hub.publish([Change(1, view("o-2", 2))], {0: 1})  # another order: no read
    await asyncio.sleep(0.01)
    assert reader.reads == 1
    reader.sequence = 2
    hub.publish([Change(2, view("o-1", 2))], {0: 2})
    detail, positions = await asyncio.wait_for(waiting, 1)
    assert detail is not None and detail.view.last_event_sequence == 2
    assert positions == {0: 2} and reader.reads == 2


async def test_a_sequence_wait_times_out_with_the_current_sequence() -> None:
    hub, reader = ChangeHub(), Reader()
    reader.sequence = 1
    with pytest.raises(NotReached) as timed_out:
        await ReadFreshness(hub, 10).order(reader, "o-1", 3, 0.05)
    assert timed_out.value.current_sequence == 1
    assert reader.reads == 2  # the first look and the last one, nothing in between


async def test_position_waiters_wake_when_every_partition_passed() -> None:
    hub = ChangeHub()
    fresh = ReadFreshness(hub, 10)
    waiting = asyncio.create_task(fresh.await_positions({0: 5, 1: 3}, 5.0))
    hub.publish([], {0: 5, 1: 2})
    await asyncio.sleep(0.01)
    assert not waiting.done()
    hub.publish([], {1: 3})
    await asyncio.wait_for(waiting, 1)
    assert fresh.positions == {0: 5, 1: 3}


async def test_positions_only_move_forwards() -> None:
    hub = ChangeHub()
    hub.publish([], {0: 9})
    hub.publish([], {0: 4})
    assert hub.positions == {0: 9}


async def test_a_thousand_waiters_are_woken_by_one_publish() -> None:
    hub = ChangeHub()
    fresh = ReadFreshness(hub, 10)
    waits = [asyncio.create_task(fresh.await_positions({0: 100}, 5.0)) for _ in range(1000)]
    await asyncio.sleep(0.01)
    hub.publish([], {0: 100})
    await asyncio.wait_for(asyncio.gather(*waits), 2)
    assert hub._waiters == 0


async def test_waiters_past_the_cap_are_refused() -> None:
    hub = ChangeHub(max_waiters=1)
    fresh = ReadFreshness(hub, 10)
    first = asyncio.create_task(fresh.await_positions({0: 1}, 5.0))
    await asyncio.sleep(0.01)
    with pytest.raises(NotReached, match="maximum"):
        await fresh.await_positions({0: 1}, 5.0)
    with pytest.raises(WaitersFull):
        hub.sequence_waiter("o", 1)
    hub.publish([], {0: 1})
    await first
