"""Driving ProjectBatch over the in-memory adapters, the way the consumer would."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from adapters.memory.dead_letters import MemoryDeadLetters
from adapters.memory.metrics import MemoryMetrics
from adapters.memory.views import MemoryViewStore
from adapters.tracing.null_spans import NullSpans
from application.ports import DeadLetterSink
from application.projecting import BatchOutcome, ProjectBatch
from domain.records import RawRecord

GROUP = "test-group"


class MemoryPipeline:
    """ProjectBatch wired to in-memory adapters that tests can inspect (or replace)."""

    def __init__(
        self,
        default_tax_rate: Decimal = Decimal(0),
        store: MemoryViewStore | None = None,
        dead_letters: DeadLetterSink | None = None,
    ) -> None:
        self.store = store or MemoryViewStore()
        self.dead_letters = MemoryDeadLetters()
        self.metrics = MemoryMetrics()
        self.project = ProjectBatch(
            store=self.store,
            dead_letters=dead_letters or self.dead_letters,
            metrics=self.metrics,
            spans=NullSpans(),
            consumer_group=GROUP,
            default_tax_rate=default_tax_rate,
        )

    async def feed(self, records: Sequence[RawRecord]) -> BatchOutcome:
        return await self.project(records)
