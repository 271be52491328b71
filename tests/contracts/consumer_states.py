"""The contract of the ConsumerStates port: every adapter passes it unchanged.

Subclass `ConsumerStatesContract` (in a `test_*.py` module) and provide an async fixture
`states` that yields an empty store. Subclass `ConsumerStatesOutageContract` and provide a
fixture `unreachable`: a store that cannot be reached.
"""

from __future__ import annotations

from typing import Any

import pytest

from application.errors import Unavailable
from application.ports import ConsumerState

RUNNING, STOPPED, FAILED = ConsumerState.RUNNING, ConsumerState.STOPPED, ConsumerState.FAILED


class ConsumerStatesContract:
    async def test_no_member_has_reported_yet(self, states: Any) -> None:
        assert await states.members("group", "topic") == []

    async def test_each_member_keeps_its_last_report(self, states: Any) -> None:
        await states.report("group", "topic", "host:1", RUNNING)
        await states.report("group", "topic", "host:2", RUNNING)
        await states.report("group", "topic", "host:1", STOPPED)

        members = await states.members("group", "topic")

        assert [(m.member, m.state) for m in members] == [("host:1", STOPPED), ("host:2", RUNNING)]
        assert all(0 <= m.age_seconds < 60 for m in members)

    async def test_groups_and_topics_are_apart(self, states: Any) -> None:
        await states.report("group", "topic", "host:1", RUNNING)
        await states.report("other-group", "topic", "host:1", FAILED)
        await states.report("group", "other-topic", "host:1", FAILED)

        members = await states.members("group", "topic")

        assert [(m.member, m.state) for m in members] == [("host:1", RUNNING)]

    async def test_a_report_is_younger_than_the_one_before(self, states: Any) -> None:
        await states.report("group", "topic", "host:1", RUNNING)
        [first] = await states.members("group", "topic")
        await states.report("group", "topic", "host:1", RUNNING)
        [second] = await states.members("group", "topic")

        assert second.age_seconds <= first.age_seconds + 0.5


class ConsumerStatesOutageContract:
    """Reports fail as `Unavailable` (the worker logs it and goes on); reads too (/lags of an
    API-only process answers 503)."""

    async def test_a_report_is_unavailable(self, unreachable: Any) -> None:
        with pytest.raises(Unavailable):
            await unreachable.report("group", "topic", "host:1", RUNNING)

    async def test_reading_the_members_is_unavailable(self, unreachable: Any) -> None:
        with pytest.raises(Unavailable):
            await unreachable.members("group", "topic")
