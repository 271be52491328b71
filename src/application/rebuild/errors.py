"""How a rebuild ends other than by succeeding, and what it may retry."""

from __future__ import annotations


class RebuildCancelled(Exception):
    """An operator cancelled the rebuild; its shadow tables are dropped."""


class RebuildFailed(Exception):
    """The rebuild cannot go on (it lost its record, or its replay failed)."""


class SwapContended(Exception):
    """The swap did not get its locks in time, or lost a deadlock to a writer of another
    worker process; it was rolled back whole and may be tried again."""
