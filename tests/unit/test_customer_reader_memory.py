"""The CustomerReader contract over the in-memory reader."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from tests.contracts.customer_reader import CustomerReaderSuite, ReaderOf
from tests.support.customers import HeldCustomers
from views.customers.memory_reads import MemoryCustomerReader
from views.customers.ports import CustomerDetail, CustomerReader

pytestmark = pytest.mark.unit


class TestCustomerReaderInMemory(CustomerReaderSuite):
    @pytest.fixture
    def reader_of(self) -> ReaderOf:
        async def reader_of(details: Sequence[CustomerDetail]) -> CustomerReader:
            held = HeldCustomers()
            held.hold(details)
            return MemoryCustomerReader(held)

        return reader_of


def _stand_in_for_the_ports() -> None:
    """Never called: mypy (make lint) checks the reader against its port."""
    reader: CustomerReader = MemoryCustomerReader(HeldCustomers())
    del reader
