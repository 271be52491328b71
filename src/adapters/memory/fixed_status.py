"""A consumer's status that stays where it is put: the tests' stand-in for the worker's."""

from __future__ import annotations

from application.ports import ConsumerState


class FixedStatus:
    """Implements ConsumerStatus: `state` changes only when a test sets it."""

    def __init__(self, state: ConsumerState = ConsumerState.STARTING) -> None:
        self.state = state
