"""The projection's and the worker's metrics in memory: what tests read instead of Prometheus."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from application.ports import ConsumerState, ConsumerStatus
from domain.batch import BatchResult
from domain.records import Rejected


class MemoryMetrics:
    """Implements ProjectionMetrics and WorkerMetrics: counts what CONTRACT §6 counts,
    readable by tests."""

    def __init__(self) -> None:
        self.events: Counter[str] = Counter()
        self.duplicates = 0
        self.out_of_order: Counter[str] = Counter()
        self.dead_letters: Counter[str] = Counter()
        self.stashed = 0
        self.writes: list[float] = []
        self.view_writes: Counter[str] = Counter()  # batches each plug-in view projected
        self.formats: Counter[str] = Counter()
        self.lags: dict[str, dict[int, int]] = {}
        self._status: ConsumerStatus | None = None

    def batch_projected(self, result: BatchResult, rejected: Sequence[Rejected]) -> None:
        self.events.update(result.tally.applied)
        self.duplicates += result.tally.duplicates
        self.out_of_order["late"] += result.tally.late
        self.out_of_order["gap"] += result.tally.gaps
        self.dead_letters.update(r.reason.value for r in rejected)
        self.stashed += result.stash_delta

    def write_observed(self, seconds: float) -> None:
        self.writes.append(seconds)

    def view_projected(self, view: str, seconds: float) -> None:
        self.view_writes[view] += 1

    def records_decoded(self, formats: Mapping[str, int]) -> None:
        self.formats.update(formats)

    def follow_state(self, status: ConsumerStatus) -> None:
        self._status = status

    @property
    def state(self) -> ConsumerState | None:
        """The followed status's state now; None before any was followed."""
        return None if self._status is None else self._status.state

    def lag_observed(self, topic: str, lags: dict[int, int]) -> None:
        self.lags[topic] = dict(lags)

    def stash_counted(self, count: int) -> None:
        self.stashed = count
