"""The service behind an in-memory adapter, switched off: what its real twin does when its
server is away."""

from __future__ import annotations

from application.errors import Unavailable


class Switchable:
    """`reachable = False` plays the database or the broker being away: every call of the
    port then raises `Unavailable`, as the adapter over the real service does."""

    reachable = True
    service = "the in-memory store"

    def _check_reachable(self) -> None:
        if not self.reachable:
            raise Unavailable(f"{self.service} is switched off")
