"""`Link` headers (RFC 8288) for pages of a listing: next and prev, keeping every filter."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote, urlencode

from application.queries import MAX_ROWS_BY_PAGE_NUMBER, OrderPage


def page_links(path: str, filters: Sequence[tuple[str, str]], page: OrderPage) -> str | None:
    """`filters` are the request's query pairs without `page` and `cursor`, in order."""
    links = cursor_links(path, filters, page.next_cursor, page.prev_cursor)
    within = (page.page - 1) * page.page_size <= MAX_ROWS_BY_PAGE_NUMBER
    if not page.prev_cursor and page.has_prev and within:
        # Past the last row there is no row to anchor a cursor on: go back by number.
        links.append(_link(path, [*filters, ("page", str(page.page - 1))], "prev"))
    return ", ".join(links) or None


def cursor_links(
    path: str, filters: Sequence[tuple[str, str]], next_cursor: str | None, prev_cursor: str | None
) -> list[str]:
    """The `rel="next"` and `rel="prev"` links of a keyset listing, keeping its `filters`."""
    links = []
    if next_cursor:
        links.append(_link(path, [*filters, ("cursor", next_cursor)], "next"))
    if prev_cursor:
        links.append(_link(path, [*filters, ("cursor", prev_cursor)], "prev"))
    return links


def _link(path: str, pairs: Sequence[tuple[str, str]], rel: str) -> str:
    # `quote` (not `quote_plus`): a "+" in a timestamp offset must arrive as "+", not as " ".
    return f'<{path}?{urlencode(pairs, quote_via=quote)}>; rel="{rel}"'
