"""Spans that record nothing: the Spans and BatchSpans ports with tracing switched off."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from domain.records import RawRecord


class NullSpans:
    """What the service traces with when no OTEL_TRACES_EXPORTER is set, and what tests use."""

    @contextmanager
    def span(self, name: str, **attributes: Any) -> Iterator[None]:
        yield None

    @contextmanager
    def batch(
        self, records: Sequence[RawRecord], poll_started_ns: int | None = None
    ) -> Iterator[None]:
        yield None
