"""Between table rows and domain values: column lists, row decoders, the stash's JSON."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from psycopg import sql

from domain.events import OrderStatus
from domain.projection import OrderLine, OrderView
from domain.records import Envelope

# orders_view columns in OrderView field order; dedup_event_id and projected_at are extra.
VIEW_COLUMNS = (
    "order_id",
    "customer_id",
    "status",
    "currency",
    "total_net",
    "total_gross",
    "item_count",
    "line_count",
    "created_at",
    "updated_at",
    "last_event_sequence",
    "last_event_id",
)
VIEW_TYPES = (
    "text",
    "text",
    "text",
    "text",
    "numeric",
    "numeric",
    "bigint",
    "integer",
    "timestamptz",
    "timestamptz",
    "bigint",
    "text",
)
LINE_COLUMNS = (
    "order_id",
    "line_no",
    "item_id",
    "sku",
    "qty",
    "price",
    "tax_rate",
    "net_line_total",
    "gross_line_total",
)
LINE_TYPES = (
    "text",
    "integer",
    "text",
    "text",
    "integer",
    "numeric",
    "numeric",
    "numeric",
    "numeric",
)

_envelope_encoder = msgspec.json.Encoder()
_envelope_decoder = msgspec.json.Decoder(Envelope)


def column_list(columns: Sequence[str], table: str | None = None) -> sql.Composable:
    if table is None:
        return sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    return sql.SQL(", ").join(sql.Identifier(table, c) for c in columns)


def view_from_row(row: Sequence[Any]) -> OrderView:
    """A row whose first columns are VIEW_COLUMNS."""
    return OrderView(row[0], row[1], OrderStatus(row[2]), *row[3:12])


def line_from_row(row: Sequence[Any]) -> OrderLine:
    """A row whose first columns are LINE_COLUMNS."""
    return OrderLine(*row[:9])


def view_values(view: OrderView) -> tuple[Any, ...]:
    return (
        view.order_id,
        view.customer_id,
        view.status.value,
        view.currency,
        view.total_net,
        view.total_gross,
        view.item_count,
        view.line_count,
        view.created_at,
        view.updated_at,
        view.last_event_sequence,
        view.last_event_id,
    )


def line_values(line: OrderLine) -> tuple[Any, ...]:
    return (
        line.order_id,
        line.line_no,
        line.item_id,
        line.sku,
        line.qty,
        line.price,
        line.tax_rate,
        line.net_line_total,
        line.gross_line_total,
    )


def encode_envelope(envelope: Envelope) -> str:
    return _envelope_encoder.encode(envelope).decode()


def decode_envelope(text: str | bytes) -> Envelope:
    return _envelope_decoder.decode(text)
