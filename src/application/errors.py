"""Errors the use cases raise; entrypoints map them to responses in one place."""

from __future__ import annotations


class ApplicationError(Exception):
    pass


class NotFound(ApplicationError):
    pass


class Conflict(ApplicationError):
    pass


class InvalidParameter(ApplicationError):
    """A request parameter that cannot be used as given."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


class Unavailable(ApplicationError):
    """A store or broker the request needs did not answer in time; worth retrying later."""


class LiveViewsRewritten(Exception):
    """Raised into the live consume loop once after an in-place rebuild: the stored positions
    changed under it. The worker treats it as transient: it seeks to them again."""
