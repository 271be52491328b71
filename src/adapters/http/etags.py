"""Entity tags of order representations and `If-None-Match` evaluation (RFC 9110 §13.1.2)."""

from __future__ import annotations

import hashlib

from domain.projection import OrderView

# Bump when the JSON representation of an order changes shape, so caches revalidate.
REPRESENTATION_VERSION = "1"


def order_etag(view: OrderView) -> str:
    """Strong tag of the view's state. The last applied event identifies it: any change applies
    an event, and a rebuild that reproduces the view reproduces the tag."""
    state = "\x1f".join(
        (REPRESENTATION_VERSION, view.order_id, str(view.last_event_sequence), view.last_event_id)
    )
    return f'"{hashlib.sha256(state.encode()).hexdigest()[:32]}"'


def none_match_hits(header: str | None, etag: str) -> bool:
    """True when `If-None-Match` names the current tag (weak comparison) or is `*`."""
    if header is None:
        return False
    if header.strip() == "*":
        return True
    current = _opaque(etag)
    return any(_opaque(candidate) == current for candidate in _entity_tags(header))


def _entity_tags(header: str) -> list[str]:
    # Tags are quoted and cannot contain '"', so splitting on commas outside quotes is enough.
    tags: list[str] = []
    current: list[str] = []
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            tags.append("".join(current))
            current = []
        else:
            current.append(char)
    tags.append("".join(current))
    return [tag.strip() for tag in tags if tag.strip()]


def _opaque(tag: str) -> str:
    tag = tag[2:] if tag.startswith(("W/", "w/")) else tag
    return tag.strip('"')
