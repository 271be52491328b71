"""Entity tags of order representations and `If-None-Match` evaluation (RFC 9110 §13.1.2)."""

from __future__ import annotations

import hashlib
import re

from domain.projection import OrderView

# Bump when the JSON representation of an order changes shape, so caches revalidate.
REPRESENTATION_VERSION = "1"
MAX_IF_NONE_MATCH_LENGTH = 4096  # ~100 of our tags
MAX_IF_NONE_MATCH_TAGS = 64
# RFC 9110 §8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; a tag cannot contain '"'.
# Unquoted tokens, which some clients send, are compared as if quoted.
_ENTITY_TAG = re.compile(r'(?:[Ww]/)?"([^"]*)"|([^\s,"]+)')


def order_etag(view: OrderView) -> str:
    """Strong tag of the view's state. The last applied event identifies it: any change applies
    an event, and a rebuild that reproduces the view reproduces the tag."""
    state = "\x1f".join(
        (REPRESENTATION_VERSION, view.order_id, str(view.last_event_sequence), view.last_event_id)
    )
    return f'"{hashlib.sha256(state.encode()).hexdigest()[:32]}"'


def none_match_hits(header: str | None, etag: str) -> bool:
    """True when `If-None-Match` names the current tag (weak comparison) or is `*`.

    Bounded work whatever the client sends: a header longer than MAX_IF_NONE_MATCH_LENGTH, or
    listing more than MAX_IF_NONE_MATCH_TAGS tags, matches nothing (the full response is
    always a correct answer to a conditional request)."""
    if header is None or len(header) > MAX_IF_NONE_MATCH_LENGTH:
        return False
    if header.strip() == "*":
        return True
    candidates = [quoted or bare for quoted, bare in _ENTITY_TAG.findall(header)]
    if len(candidates) > MAX_IF_NONE_MATCH_TAGS:
        return False
    return etag.strip('"') in candidates
