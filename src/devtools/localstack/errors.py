"""The one error type of the local stack: its message is meant for a person at a terminal."""

from __future__ import annotations


class StackError(RuntimeError):
    """Something the developer has to fix (install Java, free a port, ...); says what and how."""
