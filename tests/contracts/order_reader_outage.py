"""The OrderReader contract with its store away: every read is `Unavailable` (a 503 for the
API), never an empty answer and never another error.

Subclass `OrderReaderOutageContract` and provide a fixture `unreachable`: a reader whose
store cannot be reached.
"""

from __future__ import annotations

from typing import Any

import pytest

from application.errors import Unavailable
from application.ports import ListQuery, OrderFilters, Sort, SortField

QUERY = ListQuery(OrderFilters(), Sort(SortField.ORDER_ID, descending=False), limit=10)


class OrderReaderOutageContract:
    async def test_a_point_read_is_unavailable(self, unreachable: Any) -> None:
        with pytest.raises(Unavailable):
            await unreachable.get_order("ord-1")

    async def test_a_list_is_unavailable(self, unreachable: Any) -> None:
        with pytest.raises(Unavailable):
            await unreachable.list_orders(QUERY)
