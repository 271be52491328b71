"""Read-your-writes: position tokens, the `minSequence`/`minPosition`/`wait` parameters, and
the use case that answers a read once the views have caught up with what the client wrote.

A position is the worker's next offset per partition of the orders topic (the consumer
positions stored with the views). A read's token holds the positions the feed knew *before*
the data was read; positions and views move forwards together in one transaction, so the
data reflects at least the token: it may understate, never overstate.
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from collections.abc import Awaitable, Callable, Mapping

from application.change_hub import ChangeHub, WaitersFull
from application.errors import ApplicationError, InvalidParameter
from application.ports import OrderDetail

TOKEN_PREFIX = "p1."
# A token or list naming more partitions is refused: 128 keep the longest one under 4,096
# characters, a query parameter that fits the request head limit however it is encoded.
MAX_PARTITIONS = 128
MAX_OFFSET = 2**63 - 1
# [0-9], not \d: \d also matches the digits of other scripts, which int() would accept.
_WAIT = re.compile(r"^([0-9]{1,9})(?:\.([0-9]{1,3}))?(ms|s)?$")
_PAIR = re.compile(r"^([0-9]{1,9}):([0-9]{1,19})$")

Positions = dict[int, int]  # partition -> next offset


def encode_position(positions: Mapping[int, int]) -> str:
    """The compact opaque token of these positions (`p1.` + base64url, no padding)."""
    text = ",".join(f"{p}:{n}" for p, n in sorted(positions.items()))
    return TOKEN_PREFIX + base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def parse_min_position(text: str, name: str = "minPosition") -> Positions:
    """The next offsets a read must wait for: a token from `StreamView-Position`, or a list
    `partition:offset,…` of record offsets (a producer's send results), which the worker has
    passed once its next offset is beyond them."""
    text = text.strip()
    if text.startswith(TOKEN_PREFIX):
        body = text[len(TOKEN_PREFIX) :]
        try:
            padded = (body + "=" * (-len(body) % 4)).encode("ascii")
            decoded = base64.b64decode(padded, altchars=b"-_", validate=True).decode("ascii")
        except (binascii.Error, ValueError, UnicodeError):
            raise InvalidParameter(name, "is not a position token") from None
        return _pairs(decoded, name, record_offsets=False) if decoded else {}
    return _pairs(text, name, record_offsets=True)


def _pairs(text: str, name: str, *, record_offsets: bool) -> Positions:
    parts = text.split(",") if text else []
    if not parts or len(parts) > MAX_PARTITIONS:
        raise InvalidParameter(
            name, f"must be a position token or 1 to {MAX_PARTITIONS} `partition:offset` pairs"
        )
    wanted: Positions = {}
    for part in parts:
        found = _PAIR.match(part.strip())
        if found is None or int(found[2]) >= MAX_OFFSET:
            raise InvalidParameter(
                name, f"{part[:40]!r} is not `partition:offset` (whole numbers, e.g. 0:1234)"
            )
        partition, offset = int(found[1]), int(found[2]) + (1 if record_offsets else 0)
        wanted[partition] = max(wanted.get(partition, 0), offset)
    return wanted


def parse_min_sequence(text: str | None) -> int | None:
    if text is None:
        return None
    digits = text.isascii() and text.isdigit() and len(text) <= 18
    if not digits or int(text) < 1:
        raise InvalidParameter("minSequence", "must be a whole number from 1 to 10^18 - 1")
    return int(text)


def parse_wait(text: str | None, max_seconds: float) -> float:
    """`wait=2s`, `wait=500ms`, `wait=1.5` (seconds); absent is 0: answer at once."""
    if text is None:
        return 0.0
    found = _WAIT.match(text.strip())
    if found is None:
        raise InvalidParameter("wait", "must be a duration such as 2s, 1.5s or 500ms")
    whole, fraction, unit = found[1], found[2] or "0", found[3] or "s"
    seconds = float(f"{whole}.{fraction}") / (1000 if unit == "ms" else 1)
    if seconds > max_seconds:
        raise InvalidParameter("wait", f"must be at most {max_seconds:g}s (the server's maximum)")
    return seconds


class NotReached(ApplicationError):
    """The views did not reach what the read asked for within its wait."""

    def __init__(
        self, detail: str, positions: Positions | None, current_sequence: int | None = None
    ) -> None:
        super().__init__(detail)
        self.positions = positions
        self.current_sequence = current_sequence


class ReadFreshness:
    """Use case: hold a read back until the views have caught up with what its client wrote,
    woken by the ChangeHub (never by polling the database), for at most `wait` seconds."""

    def __init__(self, hub: ChangeHub, max_wait_seconds: float = 10.0) -> None:
        self._hub = hub
        self.max_wait_seconds = max_wait_seconds

    @property
    def positions(self) -> Positions | None:
        """What the views reflect at least, as of now (None until the feed has read them);
        the hub replaces the dict when positions move, so it is never changed under a reader."""
        return self._hub.positions if self._hub.positions_known else None

    async def await_positions(self, wanted: Positions | None, wait_seconds: float) -> None:
        """Return once the worker has passed `wanted`, or NotReached after the wait."""
        hub = self._hub
        if wanted is None or hub.reached(wanted):
            return
        try:
            reached = await hub.wait_for_positions(wanted, wait_seconds)
        except WaitersFull as full:
            raise NotReached(str(full), self.positions) from None
        if not reached:
            behind = {p: n for p, n in wanted.items() if hub.positions.get(p, 0) < n}
            raise NotReached(
                f"the views had not passed {_shown(behind)} "
                f"after waiting {round(wait_seconds, 3):g}s",
                self.positions,
            )

    async def order(
        self, read: ReadOrder, order_id: str, min_sequence: int, wait_seconds: float
    ) -> tuple[OrderDetail | None, Positions | None]:
        """The order once its lastEventSequence is at least `min_sequence` (0 while absent),
        with the positions known before it was read; NotReached after the wait."""
        deadline = time.monotonic() + wait_seconds
        try:
            waiter = self._hub.sequence_waiter(order_id, min_sequence)
        except WaitersFull as full:
            raise NotReached(str(full), self.positions) from None
        with waiter:  # registered before the read: a change committed meanwhile wakes it
            while True:
                positions = self.positions
                detail = await read(order_id)
                current = 0 if detail is None else detail.view.last_event_sequence
                if current >= min_sequence:
                    return detail, positions
                remaining = deadline - time.monotonic()
                if remaining > 0 and not await waiter.wait(remaining):
                    remaining = 0  # timed out: one last look, in case the feed is away
                    positions = self.positions
                    detail = await read(order_id)
                    current = 0 if detail is None else detail.view.last_event_sequence
                    if current >= min_sequence:
                        return detail, positions
                if remaining <= 0:
                    raise NotReached(
                        f"order {order_id!r} is at sequence {current}, not yet {min_sequence}, "
                        f"after waiting {round(wait_seconds, 3):g}s",
                        positions,
                        current,
                    )


ReadOrder = Callable[[str], Awaitable[OrderDetail | None]]


def _shown(positions: Positions) -> str:
    return ", ".join(f"{p}:{n}" for p, n in sorted(positions.items())[:8])
