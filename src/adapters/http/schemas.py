"""Response bodies of the API (CONTRACT §5): camelCase, money as 2-decimal strings, UTC times."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Context, Decimal
from typing import Annotated

import msgspec

from application.ops import LagReport
from application.ports import ConsumerState
from application.queries import OrderPage
from domain.events import OrderStatus
from domain.projection import CENT, OrderLine, OrderView

Money = Annotated[str, msgspec.Meta(pattern=r"^-?\d+\.\d{2}$", examples=["24.60"])]
Rate = Annotated[str, msgspec.Meta(pattern=r"^\d+(\.\d+)?$", examples=["0.23"])]
Timestamp = Annotated[datetime, msgspec.Meta(tz=True, examples=["2026-11-28T10:15:00Z"])]


class CamelStruct(msgspec.Struct, frozen=True, rename="camel"):
    """Base of every body: Python names in code, camelCase on the wire."""


class OrderSummary(CamelStruct, frozen=True):
    order_id: Annotated[str, msgspec.Meta(examples=["o-1001"])]
    customer_id: Annotated[str, msgspec.Meta(examples=["c-42"])]
    status: OrderStatus
    currency: Annotated[str, msgspec.Meta(examples=["EUR"])]
    total_net: Money
    total_gross: Money
    item_count: int
    line_count: int
    created_at: Timestamp
    updated_at: Timestamp
    last_event_sequence: int


class OrderItem(CamelStruct, frozen=True):
    line_no: int
    item_id: str
    sku: str
    qty: int
    price: Money
    tax_rate: Rate
    net_line_total: Money
    gross_line_total: Money


class OrderDetailBody(OrderSummary, frozen=True):
    items: list[OrderItem]


class OrderListBody(CamelStruct, frozen=True):
    items: list[OrderSummary]
    page: int
    page_size: int
    next_cursor: str | None


class PartitionLagBody(CamelStruct, frozen=True):
    partition: int
    committed_offset: int
    end_offset: int
    lag: int


class TopicProblemBody(CamelStruct, frozen=True, omit_defaults=True):
    """A guard rail's finding: `code` ACCESS_DENIED, COMPACTED_TOPIC, SHORT_RETENTION,
    RECORDS_LOST or PARTITION_COUNT_CHANGED; `severity` error or warning."""

    code: str
    severity: str
    message: str
    partition: int | None = None
    records_lost: int | None = None


class ViewLagBody(CamelStruct, frozen=True):
    view: str
    total_lag: int


class LagBody(CamelStruct, frozen=True, omit_defaults=True):  # no `problems`: none
    group_id: str
    topic: str
    state: ConsumerState
    total_lag: int
    partitions: list[PartitionLagBody]
    # Beyond the contract's fields (added, none changed): what the guard rails found, the
    # stream, and each enabled view's lag.
    problems: list[TopicProblemBody] = []
    stream: str = "orders"
    views: list[ViewLagBody] = []


_WIDE = Context(prec=80)  # totals of many large lines exceed the default 28 digits


def money(amount: Decimal) -> str:
    return str(amount.quantize(CENT, context=_WIDE))


def rate(fraction: Decimal) -> str:
    # The same rate reads the same whatever scale the store kept ("0.2300" -> "0.23").
    return format(fraction.normalize(), "f")


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def order_summary(view: OrderView) -> OrderSummary:
    return OrderSummary(
        order_id=view.order_id,
        customer_id=view.customer_id,
        status=view.status,
        currency=view.currency,
        total_net=money(view.total_net),
        total_gross=money(view.total_gross),
        item_count=view.item_count,
        line_count=view.line_count,
        created_at=utc(view.created_at),
        updated_at=utc(view.updated_at),
        last_event_sequence=view.last_event_sequence,
    )


def order_item(line: OrderLine) -> OrderItem:
    return OrderItem(
        line_no=line.line_no,
        item_id=line.item_id,
        sku=line.sku,
        qty=line.qty,
        price=money(line.price),
        tax_rate=rate(line.tax_rate),
        net_line_total=money(line.net_line_total),
        gross_line_total=money(line.gross_line_total),
    )


def order_detail(view: OrderView, lines: tuple[OrderLine, ...]) -> OrderDetailBody:
    ordered = sorted(lines, key=lambda line: line.line_no)
    summary = msgspec.structs.asdict(order_summary(view))
    return OrderDetailBody(**summary, items=[order_item(line) for line in ordered])


def order_list(page: OrderPage) -> OrderListBody:
    return OrderListBody(
        items=[order_summary(view) for view in page.items],
        page=page.page,
        page_size=page.page_size,
        next_cursor=page.next_cursor,
    )


def lag_body(report: LagReport) -> LagBody:
    return LagBody(
        group_id=report.group_id,
        topic=report.topic,
        state=report.state,
        total_lag=report.total_lag,
        partitions=[
            PartitionLagBody(p.partition, p.committed_offset, p.end_offset, p.lag)
            for p in report.partitions
        ],
        problems=[
            TopicProblemBody(p.code, p.severity, p.message, p.partition, p.records_lost)
            for p in report.problems
        ],
        stream=report.stream,
        views=[ViewLagBody(v.view, v.total_lag) for v in report.views],
    )
