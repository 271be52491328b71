"""Order ids of the benchmark data: generated orders, and their clones for the read views.

Scenario 1 produces `ord-0000000 … ord-<orders-1>`; the read scenarios grow the views to
`read_orders` by cloning each order as `ord-0000042-x1`, `ord-0000042-x2`, … (bench.amplify).
Index i in [0, read_orders) names one of them, so a load generator can draw ids uniformly.
"""

from __future__ import annotations

PREFIX = "ord"
CLONE_MARK = "-x"


def order_id(index: int, orders: int) -> str:
    base, copy = index % orders, index // orders
    name = f"{PREFIX}-{base:07d}"
    return name if copy == 0 else f"{name}{CLONE_MARK}{copy}"


def lua_order_id(orders_var: str, index_var: str) -> str:
    """The same function in Lua, for wrk scripts."""
    return (
        f"(function(i, n) local b, c = i % n, math.floor(i / n);"
        f' local s = string.format("{PREFIX}-%07d", b);'
        f' if c == 0 then return s end; return s .. "{CLONE_MARK}" .. c end)'
        f"({index_var}, {orders_var})"
    )
