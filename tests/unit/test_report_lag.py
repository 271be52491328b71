"""ReportLag: lag per partition, and the state of this process's worker or of the group's."""

from __future__ import annotations

import pytest

from adapters.memory.consumer_states import MemoryConsumerStates
from adapters.memory.fixed_status import FixedStatus
from adapters.memory.views import MemoryViewStore
from application.ops import ReportLag, ViewLag, group_state
from application.ports import ConsumerState, EndOffsets, MemberState
from tests.contracts.consumer_states import ConsumerStatesContract, ConsumerStatesOutageContract

pytestmark = pytest.mark.unit

S = ConsumerState
GROUP, TOPIC = "streamview-orders", "orders.events"


class TestMemoryConsumerStates(ConsumerStatesContract):
    @pytest.fixture
    def states(self) -> MemoryConsumerStates:
        return MemoryConsumerStates()


class TestMemoryConsumerStatesAway(ConsumerStatesOutageContract):
    @pytest.fixture
    def unreachable(self) -> MemoryConsumerStates:
        states = MemoryConsumerStates()
        states.reachable = False
        return states


def fresh(*states: ConsumerState) -> list[MemberState]:
    return [MemberState(f"host:{n}", state, 1.0) for n, state in enumerate(states)]


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        ([], S.STARTING),  # no worker ever reported
        (fresh(S.RUNNING), S.RUNNING),
        (fresh(S.RUNNING, S.STOPPED), S.RUNNING),  # one stopped, the other goes on
        (fresh(S.STOPPED, S.STOPPED), S.STOPPED),
        (fresh(S.RUNNING, S.STARTING), S.RUNNING),
        (fresh(S.RUNNING, S.PAUSED), S.PAUSED),  # a member waiting out an outage
        (fresh(S.PAUSED, S.REBUILDING), S.REBUILDING),
        (fresh(S.REBUILDING, S.FAILED, S.RUNNING), S.FAILED),
        ([MemberState("host:1", S.RUNNING, 16.0)], S.STOPPED),  # silent: gone without a word
        ([MemberState("host:1", S.FAILED, 16.0), *fresh(S.RUNNING)], S.RUNNING),
    ],
)
def test_the_group_state_is_the_most_pressing_fresh_one(
    members: list[MemberState], expected: ConsumerState
) -> None:
    assert group_state(members, stale_after_seconds=15.0) is expected


class EndAtSeven:
    async def end_offsets(self, topic: str) -> dict[int, int]:
        return {0: 7}


async def test_a_process_with_a_worker_reports_its_own_state() -> None:
    states = MemoryConsumerStates()
    await states.report(GROUP, TOPIC, "elsewhere:1", S.FAILED)
    report = ReportLag(MemoryViewStore(), EndAtSeven(), FixedStatus(S.RUNNING), GROUP, TOPIC)

    lag = await report()

    assert (lag.state, lag.total_lag) == (S.RUNNING, 7)


async def test_a_process_without_a_worker_reports_the_groups_state() -> None:
    states = MemoryConsumerStates()
    report = ReportLag(
        MemoryViewStore(), EndAtSeven(), FixedStatus(S.STARTING), GROUP, TOPIC, members=states
    )
    assert (await report()).state is S.STARTING

    await states.report(GROUP, TOPIC, "worker:1", S.RUNNING)
    assert (await report()).state is S.RUNNING

    await states.report(GROUP, TOPIC, "worker:1", S.STOPPED)
    assert (await report()).state is S.STOPPED


async def test_each_view_of_the_stream_is_as_far_behind_as_the_stream() -> None:
    report = ReportLag(
        MemoryViewStore(),
        EndAtSeven(),
        FixedStatus(S.RUNNING),
        GROUP,
        TOPIC,
        views=["orders", "customers"],
    )

    lag = await report()

    assert lag.stream == "orders"
    assert lag.views == [ViewLag("orders", 7), ViewLag("customers", 7)]


def _stand_in_for_the_ports() -> None:
    """Never called: mypy (make lint) checks these fakes against the Protocols they stand in
    for, so that a port that changes breaks its fake too."""
    offsets: EndOffsets = EndAtSeven()
    del offsets
