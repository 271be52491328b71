"""The contract of the TopicInspector port: every adapter passes it unchanged.

Subclass `TopicInspectorContract` (in a `test_*.py` module) and provide a fixture `fresh`: an
async factory `fresh(partitions)` that makes a new topic of that many partitions, with the
broker's defaults, and returns `(inspector, topic name)`. Subclass
`TopicInspectorOutageContract` and provide a fixture `unreachable`: an inspector whose broker
is away.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from application.errors import Unavailable
from application.ports import TopicFacts, TopicInspector

Fresh = Callable[[int], Awaitable[tuple[TopicInspector, str]]]
WEEK_MS = 7 * 24 * 3600 * 1000  # Kafka's default retention, which the test stack keeps


class TopicInspectorContract:
    async def test_a_fresh_topic_deletes_after_a_week_and_starts_at_zero(
        self, fresh: Fresh
    ) -> None:
        inspector, topic = await fresh(3)

        facts = await inspector.facts(topic)

        assert facts == TopicFacts("delete", WEEK_MS, {0: 0, 1: 0, 2: 0})

    async def test_a_topic_that_does_not_exist_is_a_lookup_error(self, fresh: Fresh) -> None:
        inspector, topic = await fresh(1)

        with pytest.raises(LookupError, match=f"{topic}.missing"):
            await inspector.facts(f"{topic}.missing")


class TopicInspectorOutageContract:
    """With the broker away the facts are `Unavailable`: the guard keeps the problems it last
    found (lag report) or checks again later (worker start)."""

    async def test_the_facts_are_unavailable(self, unreachable: TopicInspector) -> None:
        with pytest.raises(Unavailable):
            await unreachable.facts("orders.events")
