"""`GET /customers/{customerId}`, `GET /customers` and `GET /customers/{customerId}/orders`
through the app, over the in-memory reader."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta, timezone
from typing import Any, NoReturn
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from adapters.http import OpsPolicy, UseCases, create_app
from application.change_hub import ChangeHub
from application.errors import Unavailable
from application.freshness import ReadFreshness, encode_position
from entrypoints.asgi import create_app_from_container
from entrypoints.bootstrap import build_container
from entrypoints.container import Container
from entrypoints.settings import Settings
from tests.contracts.customer_reader import HOUR, T0, customer
from tests.support.customers import HeldCustomers
from tests.support.events import at, item, order_created, order_log, status_changed
from views.customers.http import routes
from views.customers.memory_reads import MemoryCustomerReader
from views.customers.ports import CustomerDetail, CustomerListQuery, CustomerReader
from views.customers.routes import memory_routes

pytestmark = pytest.mark.unit

SECRET = "customers-http-test-secret"
_LINK = re.compile(r'<([^>]*)>;\s*rel="(\w+)"')

ALICE = customer(
    "alice",
    last=T0 + 2 * HOUR,
    first=(T0 - 24 * HOUR).astimezone(timezone(timedelta(hours=2))),
    updated=T0 + 3 * HOUR,
    statuses=(1, 2, 0, 1, 1),
    totals={"USD": (1, "100", "123.0"), "EUR": (4, "1234567.5", "1518518.03")},
    version=9,
)
BOB = customer("bob", last=T0 + HOUR, statuses=(0, 2, 0, 0, 0), totals={"EUR": (2, "5", "5")})
CAROL = customer("carol", last=T0, totals={"PLN": (1, "40.00", "49.20")})


def memory_container() -> Container:
    return build_container(Settings.from_env({}, dev_mode=True, backend="memory"))


def app_over(
    container: Container, reader: CustomerReader, freshness: ReadFreshness | None = None
) -> Litestar:
    reads, ops = container.read_side, container.ops
    use_cases = UseCases(
        get_order=reads.get_order,
        list_orders=reads.list_orders,
        report_lag=ops.report_lag,
        readiness_probes=ops.readiness_probes,
        **({} if freshness is None else {"read_freshness": lambda: freshness}),
    )
    return create_app(
        use_cases,
        ops_policy=OpsPolicy.shared_secret(SECRET),
        view_routes=routes(reader, reads.cursor_codec()),
    )


@pytest.fixture
def container() -> Container:
    return memory_container()


@pytest.fixture
def held() -> HeldCustomers:
    held = HeldCustomers()
    held.hold([ALICE, BOB, CAROL])
    return held


@pytest.fixture
async def client(container: Container, held: HeldCustomers) -> AsyncIterator[AsyncTestClient]:
    app = create_app(
        UseCases(
            get_order=container.read_side.get_order,
            list_orders=container.read_side.list_orders,
            report_lag=container.ops.report_lag,
            readiness_probes=container.ops.readiness_probes,
        ),
        ops_policy=OpsPolicy.shared_secret(SECRET),
        view_routes=memory_routes(held, container.read_side.cursor_codec()),
    )
    async with AsyncTestClient(app) as client:
        yield client


def links(response: httpx.Response) -> dict[str, str]:
    return {rel: url for url, rel in _LINK.findall(response.headers.get("link", ""))}


def customer_ids(response: httpx.Response) -> list[str]:
    return [c["customerId"] for c in response.json()["items"]]


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["type"] and body["detail"]
    return body


def assert_invalid(response: httpx.Response, name: str) -> None:
    body = assert_problem(response, 400)
    assert body["type"] == "urn:streamview:problem:invalid-parameters"
    assert [p["name"] for p in body["invalidParams"]] == [name], body


ALICE_BODY = {
    "customerId": "alice",
    "orderCount": 5,
    "statusCounts": {"CREATED": 1, "PAID": 2, "SHIPPED": 0, "DELIVERED": 1, "CANCELLED": 1},
    "totals": [
        {"currency": "EUR", "orderCount": 4, "totalNet": "1234567.50", "totalGross": "1518518.03"},
        {"currency": "USD", "orderCount": 1, "totalNet": "100.00", "totalGross": "123.00"},
    ],
    "firstOrderAt": "2026-11-27T10:00:00Z",
    "lastOrderAt": "2026-11-28T12:00:00Z",
    "updatedAt": "2026-11-28T13:00:00Z",
}


# --- one customer -------------------------------------------------------------------------------


async def test_a_customer_has_its_counts_by_status_and_totals_per_currency(client):
    response = await client.get("/customers/alice")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-cache"
    assert response.json() == ALICE_BODY


@pytest.mark.parametrize("if_none_match", ["{tag}", "W/{tag}", '"stale", {tag}', "*"])
async def test_if_none_match_on_the_current_tag_is_304_without_body(client, if_none_match):
    tag = (await client.get("/customers/alice")).headers["etag"]
    response = await client.get(
        "/customers/alice", headers={"If-None-Match": if_none_match.format(tag=tag)}
    )
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == tag
    assert response.headers["cache-control"] == "no-cache"


async def test_the_etag_is_strong_and_repeats_while_nothing_changes(client):
    first = (await client.get("/customers/alice")).headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', first)
    assert (await client.get("/customers/alice")).headers["etag"] == first
    assert (await client.get("/customers/bob")).headers["etag"] != first


async def test_the_etag_changes_with_the_version_and_with_the_values(client, held):
    before = (await client.get("/customers/alice")).headers["etag"]

    held.hold([customer("alice", last=ALICE.summary.last_order_at, version=10)])
    changed = await client.get("/customers/alice", headers={"If-None-Match": before})
    assert changed.status_code == 200 and changed.json()["orderCount"] == 1
    moved = changed.headers["etag"]

    held.hold([customer("alice", last=ALICE.summary.last_order_at, version=11)])
    assert (await client.get("/customers/alice")).headers["etag"] not in (before, moved)
    # The same version with other values (a rebuild numbers versions again): another tag.
    held.hold([customer("alice", last=T0, version=11)])
    assert (await client.get("/customers/alice")).headers["etag"] not in (before, moved)


class CountingReader:
    """A CustomerReader that counts the reads it is asked for."""

    def __init__(self, reader: CustomerReader) -> None:
        self.reader = reader
        self.asked = 0

    async def get_customer(self, customer_id: str) -> CustomerDetail | None:
        self.asked += 1
        return await self.reader.get_customer(customer_id)

    async def list_customers(self, query: CustomerListQuery) -> list[CustomerDetail]:
        self.asked += 1
        return await self.reader.list_customers(query)


@pytest.mark.parametrize("path", ["x" * 65, "%00", "a%00b"])
async def test_an_id_no_customer_can_have_is_404_without_asking(container, held, path):
    reader = CountingReader(MemoryCustomerReader(held))
    async with AsyncTestClient(app_over(container, reader)) as client:
        body = assert_problem(await client.get(f"/customers/{path}"), 404)
        orders = await client.get(f"/customers/{path}/orders")
    assert body["type"] == "urn:streamview:problem:not-found"
    assert_problem(orders, 404)
    assert reader.asked == 0


class UnavailableReader:
    """A CustomerReader whose database does not answer."""

    async def get_customer(self, customer_id: str) -> NoReturn:
        raise Unavailable("the database did not answer: PoolTimeout")

    async def list_customers(self, query: CustomerListQuery) -> NoReturn:
        raise Unavailable("the database did not answer: PoolTimeout")


@pytest.mark.parametrize("path", ["/customers/alice", "/customers?currency=EUR"])
async def test_a_database_that_does_not_answer_is_a_503_with_retry_after(container, path):
    async with AsyncTestClient(app_over(container, UnavailableReader())) as client:
        response = await client.get(path)
    body = assert_problem(response, 503)
    assert response.headers["retry-after"] == "2"
    assert body["type"] == "urn:streamview:problem:unavailable"


@pytest.mark.parametrize("path", ["dave", "ALICE", "alice%20", "%C3%A9"])
async def test_an_unknown_customer_is_a_404_problem(client, path):
    body = assert_problem(await client.get(f"/customers/{path}"), 404)
    assert body["title"] == "Not Found" and "not found" in body["detail"]


async def test_a_64_character_id_is_asked_for(container):
    held = HeldCustomers()
    held.hold([customer("é" * 64)])
    async with AsyncTestClient(app_over(container, MemoryCustomerReader(held))) as client:
        response = await client.get(f"/customers/{'%C3%A9' * 64}")
    assert response.status_code == 200 and response.json()["customerId"] == "é" * 64


# --- read-your-writes ---------------------------------------------------------------------------


@pytest.fixture
def freshness() -> ReadFreshness:
    hub = ChangeHub()
    hub.publish([], {0: 5, 1: 2})
    return ReadFreshness(hub, max_wait_seconds=1.0)


@pytest.mark.parametrize("path", ["/customers/alice", "/customers", "/customers/alice/orders"])
async def test_reads_carry_the_position_and_wait_for_min_position(container, held, freshness, path):
    token = encode_position({0: 5, 1: 2})
    async with AsyncTestClient(app_over(container, MemoryCustomerReader(held), freshness)) as c:
        reached = await c.get(path, params={"minPosition": "0:4,1:1"})
        by_token = await c.get(path, params={"minPosition": token, "wait": "10ms"})
        behind = await c.get(path, params={"minPosition": "0:5", "wait": "10ms"})
        bad = await c.get(path, params={"minPosition": "zero"})
        too_long = await c.get(path, params={"minPosition": "0:1", "wait": "5s"})

    assert reached.status_code == 200 and by_token.status_code == 200
    assert reached.headers["streamview-position"] == token
    body = assert_problem(behind, 412)
    assert body["position"] == token
    assert_invalid(bad, "minPosition")
    assert_invalid(too_long, "wait")


# --- the listing --------------------------------------------------------------------------------


async def test_the_listing_is_latest_order_first_with_whole_customers(client):
    response = await client.get("/customers")

    assert response.status_code == 200
    body = response.json()
    assert [c["customerId"] for c in body["items"]] == ["alice", "bob", "carol"]
    assert body["items"][0] == ALICE_BODY
    assert (body["pageSize"], body["nextCursor"]) == (50, None)
    assert "link" not in response.headers


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"sort": "-orderCount"}, ["alice", "bob", "carol"]),
        ({"sort": "-totalGross", "currency": "EUR"}, ["alice", "bob"]),
        ({"sort": "-totalGross", "currency": "PLN"}, ["carol"]),
        ({"currency": "USD"}, ["alice"]),
        ({"currency": "GBP"}, []),
        ({"minOrders": "2"}, ["alice", "bob"]),
        ({"minOrders": "6"}, []),
        ({"from": "2026-11-28T11:00:00Z"}, ["alice", "bob"]),
        ({"to": "2026-11-28T11:00:00Z"}, ["carol"]),
        # An unencoded "+" arrives as a space: "13:00 02:00" meant "+02:00", 11:00Z.
        ({"from": "2026-11-28T13:00:00 02:00", "to": "2026-11-28T12:00:00Z"}, ["bob"]),
        ({"currency": "EUR", "minOrders": "3", "to": "2026-11-28T12:00:00.000001Z"}, ["alice"]),
    ],
)
async def test_filters_and_sorts(client, params, expected):
    response = await client.get("/customers", params=params)
    assert response.status_code == 200, response.text
    assert customer_ids(response) == expected


async def test_total_gross_sorts_by_the_total_in_the_currency(container):
    held = HeldCustomers()
    held.hold(
        [
            customer("a", totals={"EUR": (1, "1", "99.99"), "USD": (1, "1", "1000.00")}),
            customer("b", totals={"EUR": (1, "1", "100.00")}),
            customer("c", totals={"EUR": (1, "1", "99.99")}),
            customer("d", totals={"USD": (1, "1", "5000.00")}),
        ]
    )
    async with AsyncTestClient(app_over(container, MemoryCustomerReader(held))) as client:
        eur = await client.get("/customers", params={"sort": "-totalGross", "currency": "EUR"})
        usd = await client.get("/customers", params={"sort": "-totalGross", "currency": "USD"})
    assert customer_ids(eur) == ["b", "c", "a"]
    assert [c["totals"][0]["totalGross"] for c in eur.json()["items"]] == [
        "100.00",
        "99.99",
        "99.99",
    ]
    assert customer_ids(usd) == ["d", "a"]


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"currency": "eur"}, "currency"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "E1R"}, "currency"),
        ({"currency": "ÉUR"}, "currency"),
        ({"currency": "EUR\n"}, "currency"),
        ({"currency": ""}, "currency"),
        ({"minOrders": "0"}, "minOrders"),
        ({"minOrders": "-1"}, "minOrders"),
        ({"minOrders": "1.5"}, "minOrders"),
        ({"minOrders": "two"}, "minOrders"),
        ({"minOrders": "٣"}, "minOrders"),
        ({"minOrders": "9" * 19}, "minOrders"),
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-11-28T10:00:00"}, "from"),
        ({"to": "2026-02-30T10:00:00Z"}, "to"),
        ({"sort": "lastOrderAt"}, "sort"),
        ({"sort": "-totalNet"}, "sort"),
        ({"sort": "customerId"}, "sort"),
        ({"sort": ""}, "sort"),
        ({"sort": "-totalGross"}, "sort"),
        ({"sort": "-totalGross", "minOrders": "2"}, "sort"),
        ({"pageSize": "0"}, "pageSize"),
        ({"pageSize": "501"}, "pageSize"),
        ({"pageSize": "ten"}, "pageSize"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": ""}, "cursor"),
        ({"cursor": "x" * 3000}, "cursor"),
    ],
)
async def test_a_bad_parameter_is_a_400_naming_it(client, params, name):
    assert_invalid(await client.get("/customers", params=params), name)


async def test_a_repeated_parameter_is_never_a_500(client):
    response = await client.get("/customers", params=[("sort", "-orderCount"), ("sort", "x")])
    assert response.status_code in (200, 400), response.text


# --- cursors and links --------------------------------------------------------------------------

MANY = [
    customer(f"c-{n:02d}", last=T0 + (n % 4) * HOUR, statuses=(n % 3 + 1, 0, 0, 0, 0))
    for n in range(23)
]


@pytest.fixture
async def many(container) -> AsyncIterator[AsyncTestClient]:
    held = HeldCustomers()
    held.hold(MANY)
    async with AsyncTestClient(app_over(container, MemoryCustomerReader(held))) as client:
        yield client


def expected_order(sort: str) -> list[str]:
    def key(d: CustomerDetail) -> tuple[Any, str]:
        s = d.summary
        return (s.order_count if sort == "-orderCount" else s.last_order_at), s.customer_id

    return [d.summary.customer_id for d in sorted(MANY, key=key, reverse=True)]


@pytest.mark.parametrize("sort", ["-lastOrderAt", "-orderCount"])
async def test_next_cursors_walk_every_customer_once_in_order(many, sort):
    seen, cursor, pages = [], None, 0
    while True:
        params = {"cursor": cursor} if cursor else {"sort": sort, "pageSize": "5"}
        body = (await many.get("/customers", params=params)).json()
        assert body["pageSize"] == 5
        seen += [c["customerId"] for c in body["items"]]
        pages += 1
        cursor = body["nextCursor"]
        if cursor is None:
            break
    assert seen == expected_order(sort)
    assert len(set(seen)) == len(MANY) and pages == 5


async def test_link_headers_walk_next_then_prev_keeping_the_listing(many):
    first = await many.get("/customers", params={"sort": "-orderCount", "pageSize": "5"})
    assert "prev" not in links(first)
    pages, response = [customer_ids(first)], first
    while "next" in links(response):
        url = links(response)["next"]
        parts = urlsplit(url)
        assert parts.path == "/customers"
        query = dict(parse_qsl(parts.query))
        assert (query["sort"], query["pageSize"]) == ("-orderCount", "5")
        response = await many.get(url)
        assert response.status_code == 200
        pages.append(customer_ids(response))
    assert [i for page in pages for i in page] == expected_order("-orderCount")

    back = [customer_ids(response)]
    while "prev" in links(response):
        response = await many.get(links(response)["prev"])
        back.append(customer_ids(response))
    assert back[::-1] == pages


async def test_a_cursor_keeps_the_filters_and_the_link_shows_them(many):
    params = {"minOrders": "2", "from": "2026-11-28T11:00:00+02:00", "pageSize": "3"}
    first = await many.get("/customers", params=params)
    second = await many.get("/customers", params={"cursor": first.json()["nextCursor"]})
    query = dict(parse_qsl(urlsplit(links(first)["next"]).query))

    wanted = [
        d.summary.customer_id
        for d in sorted(MANY, key=lambda d: (d.summary.last_order_at, d.summary.customer_id))
        if d.summary.order_count >= 2 and d.summary.last_order_at >= T0 - HOUR
    ][::-1]
    assert customer_ids(first) + customer_ids(second) == wanted[:6]
    assert query["minOrders"] == "2" and query["from"] == "2026-11-28T11:00:00+02:00"
    assert query["sort"] == "-lastOrderAt" and query["cursor"]


async def test_total_gross_pages_keep_the_currency(container):
    held = HeldCustomers()
    held.hold(
        [customer(f"c-{n}", totals={"EUR": (1, "1", f"{n % 3}.00")}) for n in range(7)]
        + [customer("usd", totals={"USD": (1, "1", "9.00")})]
    )
    async with AsyncTestClient(app_over(container, MemoryCustomerReader(held))) as client:
        params = {"sort": "-totalGross", "currency": "EUR", "pageSize": "3"}
        response = await client.get("/customers", params=params)
        seen = customer_ids(response)
        while "next" in links(response):
            response = await client.get(links(response)["next"])
            seen += customer_ids(response)
    assert seen == ["c-5", "c-2", "c-4", "c-1", "c-6", "c-3", "c-0"]


@pytest.mark.parametrize(
    "sent",
    [
        {"sort": "-lastOrderAt"},
        {"pageSize": "4"},
        {"minOrders": "3"},
        {"currency": "EUR"},
        {"to": "2026-11-28T11:00:00Z"},
    ],
)
async def test_a_cursor_with_other_parameters_than_its_own_is_400(many, sent):
    first = await many.get("/customers", params={"sort": "-orderCount", "pageSize": "5"})
    response = await many.get("/customers", params={"cursor": first.json()["nextCursor"], **sent})
    assert_invalid(response, "cursor")


async def test_a_cursor_with_its_own_parameters_sent_again_continues(many):
    params = {"sort": "-orderCount", "pageSize": "5", "minOrders": "2"}
    first = await many.get("/customers", params=params)
    second = await many.get("/customers", params={**params, "cursor": first.json()["nextCursor"]})
    assert second.status_code == 200
    assert len(customer_ids(second)) == 5
    assert not set(customer_ids(second)) & set(customer_ids(first))


async def test_a_tampered_cursor_or_an_orders_cursor_is_400_naming_cursor(many, container):
    cursor = (await many.get("/customers", params={"pageSize": "2"})).json()["nextCursor"]
    body, signature = cursor.split(".")
    tampered = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + signature
    await container.write_side.project_batch()(order_log("o-1") + order_log("o-2"))
    orders_cursor = (await many.get("/orders", params={"pageSize": "1"})).json()["nextCursor"]
    assert orders_cursor

    assert_invalid(await many.get("/customers", params={"cursor": tampered}), "cursor")
    assert_invalid(await many.get("/customers", params={"cursor": orders_cursor}), "cursor")
    assert_invalid(await many.get("/orders", params={"cursor": cursor}), "cursor")


# --- a customer's orders ------------------------------------------------------------------------


async def project_orders(container: Container) -> None:
    for n in range(5):
        created = order_created(
            f"o-{n}",
            customer_id="alice" if n != 2 else "bob",
            items=[item(price=f"{n + 1}.00")],
            occurred_at=at(n),
        )
        later = [status_changed(f"o-{n}", "PAID", occurred_at=at(10 + n))] if n % 2 else []
        await container.write_side.project_batch()(order_log(f"o-{n}", *later, created=created))


async def test_a_customers_orders_are_the_orders_listing_of_that_customer(client, container):
    await project_orders(container)

    mine = await client.get("/customers/alice/orders", params={"pageSize": "2"})
    listed = await client.get("/orders", params={"customerId": "alice", "pageSize": "2"})

    assert mine.status_code == 200
    assert mine.json() == listed.json()
    assert [o["orderId"] for o in mine.json()["items"]] == ["o-3", "o-1"]
    assert {o["customerId"] for o in mine.json()["items"]} == {"alice"}
    next_url = links(mine)["next"]
    assert urlsplit(next_url).path == "/customers/alice/orders"
    assert "customerId" not in dict(parse_qsl(urlsplit(next_url).query))

    seen = [o["orderId"] for o in mine.json()["items"]]
    response = mine
    while "next" in links(response):
        response = await client.get(links(response)["next"])
        seen += [o["orderId"] for o in response.json()["items"]]
    assert seen == ["o-3", "o-1", "o-4", "o-0"]
    assert urlsplit(links(response)["prev"]).path == "/customers/alice/orders"


async def test_a_customers_orders_take_the_orders_parameters(client, container):
    await project_orders(container)

    paid = await client.get("/customers/alice/orders", params={"status": "PAID"})
    by_total = await client.get("/customers/alice/orders", params={"sort": "totalGross"})
    page_2 = await client.get("/customers/alice/orders", params={"pageSize": "3", "page": "2"})

    assert [o["orderId"] for o in paid.json()["items"]] == ["o-3", "o-1"]
    assert [o["orderId"] for o in by_total.json()["items"]] == ["o-0", "o-1", "o-3", "o-4"]
    assert [o["orderId"] for o in page_2.json()["items"]] == ["o-0"]
    assert page_2.json()["page"] == 2


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"status": "LOST"}, "status"),
        ({"sort": "-name"}, "sort"),
        ({"from": "soon"}, "from"),
        ({"pageSize": "0"}, "pageSize"),
        ({"page": "0"}, "page"),
        ({"cursor": "bad"}, "cursor"),
        ({"cursor": "bad", "page": "2"}, "cursor"),
    ],
)
async def test_a_customers_orders_refuse_what_the_orders_listing_refuses(client, params, name):
    assert_invalid(await client.get("/customers/alice/orders", params=params), name)


async def test_another_customers_cursor_is_400(client, container):
    await project_orders(container)
    cursor = (await client.get("/customers/alice/orders", params={"pageSize": "1"})).json()[
        "nextCursor"
    ]
    response = await client.get("/customers/bob/orders", params={"cursor": cursor})
    assert_invalid(response, "cursor")


async def test_a_customer_without_matching_orders_is_an_empty_page_an_unknown_one_404(
    client, container
):
    await project_orders(container)

    none_shipped = await client.get("/customers/alice/orders", params={"status": "SHIPPED"})
    carol = await client.get("/customers/carol/orders")  # a row, but no orders projected here
    unknown = await client.get("/customers/dave/orders")

    assert none_shipped.status_code == 200 and none_shipped.json()["items"] == []
    assert carol.status_code == 200 and carol.json()["items"] == []
    assert_problem(unknown, 404)


# --- the OpenAPI document -----------------------------------------------------------------------


async def test_the_routes_are_documented(client):
    document = (await client.get("/schema/openapi.json")).json()
    paths = document["paths"]
    assert paths["/customers/{customerId}"]["get"]["summary"] == "Get one customer"
    assert paths["/customers"]["get"]["summary"] == "List customers"
    orders = paths["/customers/{customerId}/orders"]["get"]
    assert orders["summary"] == "List a customer's orders"
    params = {p["name"] for p in paths["/customers"]["get"]["parameters"]}
    assert {"currency", "minOrders", "from", "to", "sort", "pageSize", "cursor"} <= params
    assert "customerId" not in {p["name"] for p in orders["parameters"] if p["in"] == "query"}
    assert set(paths["/customers/{customerId}"]["get"]["responses"]) >= {"200", "304", "404"}


def _stand_in_for_the_ports(held: HeldCustomers) -> None:
    """Never called: mypy (make lint) checks the fakes against the ports they stand in for."""
    reader: CustomerReader = CountingReader(MemoryCustomerReader(held))
    unavailable: CustomerReader = UnavailableReader()
    del reader, unavailable


# --- the view enabled, written by the engine's projection ---------------------------------------


async def test_the_customers_view_runs_in_memory_beside_orders():
    container = build_container(Settings(backend="memory", dev_mode=True, views="orders,customers"))
    project = container.write_side.project_batch()
    o1 = order_created(
        "o-1",
        customer_id="alice",
        items=[item(qty=2, price="10.00", tax_rate="0.23")],
        occurred_at=at(0),
    )
    o2 = order_created(
        "o-2", customer_id="alice", currency="USD", items=[item(price="5.00")], occurred_at=at(2)
    )
    o3 = order_created("o-3", customer_id="bob", items=[item(price="4.60")], occurred_at=at(5))
    await project(order_log("o-1", status_changed("o-1", "PAID", occurred_at=at(7)), created=o1))
    await project(order_log("o-3", created=o3))

    async with AsyncTestClient(create_app_from_container(container)) as client:
        before = await client.get("/customers/alice")
        await project(
            order_log("o-2", status_changed("o-2", "CANCELLED", occurred_at=at(9)), created=o2)
        )
        after = await client.get(
            "/customers/alice", headers={"If-None-Match": before.headers["etag"]}
        )
        listed = await client.get("/customers", params={"sort": "-orderCount"})
        orders = await client.get("/customers/alice/orders")

    assert before.status_code == 200 and before.json()["orderCount"] == 1
    assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
    assert after.json() == {
        "customerId": "alice",
        "orderCount": 2,
        "statusCounts": {"CREATED": 0, "PAID": 1, "SHIPPED": 0, "DELIVERED": 0, "CANCELLED": 1},
        "totals": [
            {"currency": "EUR", "orderCount": 1, "totalNet": "20.00", "totalGross": "24.60"},
            {"currency": "USD", "orderCount": 1, "totalNet": "0.00", "totalGross": "0.00"},
        ],
        "firstOrderAt": "2026-11-28T10:15:00Z",
        "lastOrderAt": "2026-11-28T10:17:00Z",
        "updatedAt": "2026-11-28T10:24:00Z",
    }
    assert customer_ids(listed) == ["alice", "bob"]
    assert [o["orderId"] for o in orders.json()["items"]] == ["o-2", "o-1"]
