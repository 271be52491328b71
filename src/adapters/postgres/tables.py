"""Table names of the views, so that a rebuild can write the same way into shadow tables."""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import sql

POSITIONS_TABLE = sql.Identifier("consumer_positions")  # shared by live and shadow views


@dataclass(frozen=True)
class ViewTables:
    """Which tables hold the views; a rebuild passes e.g. `ViewTables.suffixed("_shadow")`."""

    orders: str = "orders_view"
    items: str = "order_items_view"
    stash: str = "order_stash"

    @classmethod
    def suffixed(cls, suffix: str) -> ViewTables:
        live = cls()
        return cls(live.orders + suffix, live.items + suffix, live.stash + suffix)

    @property
    def orders_id(self) -> sql.Identifier:
        return sql.Identifier(self.orders)

    @property
    def items_id(self) -> sql.Identifier:
        return sql.Identifier(self.items)

    @property
    def stash_id(self) -> sql.Identifier:
        return sql.Identifier(self.stash)
