"""`GET /orders` as CONTRACT §5 describes it, against whatever store the container is wired to.

Subclass `ListingSuite` in a `test_*.py` module and provide an async fixture `container` that
yields an entrypoints Container over an empty, ready store.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from entrypoints.asgi import create_app_from_container
from tests.contracts.http_orders_data import FILTERS, SORTS, Row, dataset, expected
from tests.support.events import at

SIZE = 7
Query = list[tuple[str, str]]
_LINK = re.compile(r'<([^>]*)>;\s*rel="(\w+)"')


def client_without_lifespan(app: Any) -> httpx.AsyncClient:
    """Requests on the test's own event loop, no lifespan: the test owns the resources (a
    pool opened on the test's loop). Litestar's test clients run the lifespan in a thread."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


def links(response: httpx.Response) -> dict[str, str]:
    return {rel: url for url, rel in _LINK.findall(response.headers.get("link", ""))}


def ids(response: httpx.Response) -> list[str]:
    return [order["orderId"] for order in response.json()["items"]]


def chunks(order_ids: list[str], size: int = SIZE) -> list[list[str]]:
    return [order_ids[i : i + size] for i in range(0, len(order_ids), size)] or [[]]


class ListingSuite:
    @pytest.fixture
    async def listed(self, container: Any) -> AsyncIterator[tuple[httpx.AsyncClient, list[Row]]]:
        rows, records = dataset()
        await container.write_side.project_batch()(records)
        async with client_without_lifespan(create_app_from_container(container)) as client:
            yield client, rows

    @staticmethod
    async def ok(client: httpx.AsyncClient, query: Query | str) -> httpx.Response:
        response = await (
            client.get(query) if isinstance(query, str) else client.get("/orders", params=query)
        )
        assert response.status_code == 200, response.text
        return response

    # --- walks: page numbers, cursors, Link next and Link prev all give the same sequence ------

    @pytest.mark.parametrize("filters", FILTERS)
    @pytest.mark.parametrize("sort", SORTS)
    async def test_every_walk_gives_the_sorted_filtered_orders_once(self, listed, sort, filters):
        client, rows = listed
        query, expect = FILTERS[filters]
        query = [*query, ("sort", sort), ("pageSize", str(SIZE))]
        pages = chunks(expected(rows, sort, **expect))

        assert await self._by_page_number(client, query) == pages
        assert await self._by_next_cursor(client, query) == pages
        forward, last = await self._by_link(client, "/orders", query, "next")
        assert forward == pages
        backward, first = await self._by_link(client, last.url.raw_path.decode(), None, "prev")
        assert backward[::-1] == pages
        assert first.json()["page"] == 1

    async def _by_page_number(self, client: httpx.AsyncClient, query: Query) -> list[list[str]]:
        pages: list[list[str]] = []
        while True:
            body = (await self.ok(client, [*query, ("page", str(len(pages) + 1))])).json()
            assert body["page"] == len(pages) + 1
            pages.append([order["orderId"] for order in body["items"]])
            if body["nextCursor"] is None:
                return pages

    async def _by_next_cursor(self, client: httpx.AsyncClient, query: Query) -> list[list[str]]:
        response = await self.ok(client, query)
        pages = [ids(response)]
        while cursor := response.json()["nextCursor"]:
            response = await self.ok(client, [*query, ("cursor", cursor)])
            assert response.json()["page"] == len(pages) + 1
            pages.append(ids(response))
        return pages

    async def _by_link(
        self, client: httpx.AsyncClient, url: str, query: Query | None, rel: str
    ) -> tuple[list[list[str]], httpx.Response]:
        """Follows `rel` links alone, so a filter a link dropped would show in the rows."""
        response = await (self.ok(client, query) if query is not None else self.ok(client, url))
        pages = [ids(response)]
        while rel in links(response):
            response = await self.ok(client, links(response)[rel])
            pages.append(ids(response))
        return pages, response

    # --- links -----------------------------------------------------------------------------

    async def test_links_keep_every_filter_as_absolute_paths(self, listed):
        client, _ = listed
        query, _ = FILTERS["all"]
        response = await self.ok(client, [*query, ("sort", "-totalGross"), ("pageSize", "2")])
        second = await self.ok(client, links(response)["next"])
        for url in (links(response)["next"], links(second)["prev"]):
            parts = urlsplit(url)
            assert parts.path == "/orders" and not parts.netloc
            pairs = parse_qsl(parts.query)
            assert [v for k, v in pairs if k == "status"] == ["PAID", "DELIVERED", "CREATED"]
            kept = {k: v for k, v in pairs if k != "status"}
            assert kept.pop("cursor")
            assert kept == {
                "customerId": "cust-2",
                "from": at(1),
                "sort": "-totalGross",
                "pageSize": "2",
            }
        assert "prev" not in links(response)

    async def test_last_page_has_no_next_link(self, listed):
        client, rows = listed
        response = await self.ok(client, [("pageSize", "500")])
        assert len(ids(response)) == len(rows) and response.json()["nextCursor"] is None
        assert "link" not in response.headers

    async def test_a_page_past_the_end_links_back_by_number(self, listed):
        client, _ = listed
        response = await self.ok(client, [("page", "40"), ("pageSize", "10"), ("status", "PAID")])
        assert ids(response) == [] and response.json()["nextCursor"] is None
        prev = parse_qsl(urlsplit(links(response)["prev"]).query)
        assert (
            ("page", "39") in prev and ("status", "PAID") in prev and "next" not in links(response)
        )

    # --- defaults, filters, shape ----------------------------------------------------------

    async def test_defaults_are_first_page_of_fifty_by_latest_update(self, listed):
        client, rows = listed
        body = (await self.ok(client, [])).json()
        assert (body["page"], body["pageSize"]) == (1, 50)
        assert [o["orderId"] for o in body["items"]] == expected(rows, "-updatedAt")[:50]

    @pytest.mark.parametrize(
        ("window", "minutes"),
        [
            ([("from", at(11)), ("to", at(11))], []),
            ([("from", at(11)), ("to", at(11.5))], [11]),
            ([("from", "2026-11-28T12:26:00+02:00")], [11, 12]),  # at(11) with an offset
            ([("from", "2026-11-28T12:26:00 02:00")], [11, 12]),  # "+" sent unencoded
            ([("to", "2026-11-28T10:26:00.000001Z")], [0, 1, 2, 3, 10, 11]),
        ],
    )
    async def test_from_is_inclusive_and_to_exclusive_in_any_offset(self, listed, window, minutes):
        client, rows = listed
        body = (await self.ok(client, [*window, ("pageSize", "500")])).json()
        moments = sorted({at(m) for m in minutes})
        assert sorted({o["updatedAt"] for o in body["items"]}) == moments
        assert len(body["items"]) == sum(
            1 for r in rows if r.updated_at.isoformat().replace("+00:00", "Z") in moments
        )

    async def test_summary_fields_are_exactly_the_contract_ones(self, listed):
        client, _ = listed
        body = (await self.ok(client, [("sort", "orderId"), ("pageSize", "1")])).json()
        assert set(body) == {"items", "page", "pageSize", "nextCursor"}
        assert body["items"] == [
            {
                "orderId": "ord-000",
                "customerId": "cust-0",
                "status": "CREATED",
                "currency": "EUR",
                "totalNet": "10.00",
                "totalGross": "10.00",
                "itemCount": 1,
                "lineCount": 1,
                "createdAt": "2026-11-28T10:15:00Z",
                "updatedAt": "2026-11-28T10:15:00Z",
                "lastEventSequence": 1,
            }
        ]

    # --- bad input: 400 problem naming the parameter, never a 500 ---------------------------

    @pytest.mark.parametrize(
        ("query", "name"),
        [
            ([("status", "UNKNOWN")], "status"),
            ([("status", "paid")], "status"),
            ([("status", "PAID,")], "status"),
            ([("sort", "price")], "sort"),
            ([("sort", "--updatedAt")], "sort"),
            ([("from", "yesterday")], "from"),
            ([("from", "2026-11-28")], "from"),
            ([("from", "2026-11-28T10:15:00")], "from"),  # no offset
            ([("to", "2026-13-01T00:00:00Z")], "to"),
            ([("to", "2026-02-30T00:00:00Z")], "to"),
            ([("page", "0")], "page"),
            ([("page", "-1")], "page"),
            ([("page", "abc")], "page"),
            ([("page", "1.5")], "page"),
            ([("page", "99999999999999999999999")], "page"),
            ([("page", "9" * 5000)], "page"),
            ([("pageSize", "9" * 5000)], "pageSize"),
            ([("pageSize", "0")], "pageSize"),
            ([("pageSize", "501")], "pageSize"),
            ([("pageSize", "abc")], "pageSize"),
            ([("cursor", "garbage")], "cursor"),
            ([("cursor", "a.b")], "cursor"),
            ([("cursor", "a" * 2000)], "cursor"),
            ([("customerId", "c" * 65)], "customerId"),
            ([("customerId", "c\x00")], "customerId"),
        ],
    )
    async def test_bad_values_are_400_naming_the_parameter(self, listed, query, name):
        client, _ = listed
        response = await client.get("/orders", params=query)
        assert_invalid(response, name)

    async def test_cursor_with_page_is_400(self, listed):
        client, _ = listed
        cursor = (await self.ok(client, [("pageSize", "5")])).json()["nextCursor"]
        assert_invalid(
            await client.get("/orders", params={"cursor": cursor, "page": "2"}), "cursor"
        )

    async def test_tampered_cursor_is_400(self, listed):
        client, _ = listed
        cursor = (await self.ok(client, [("pageSize", "5")])).json()["nextCursor"]
        body, signature = cursor.split(".")
        forged = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1] + "." + signature
        assert_invalid(await client.get("/orders", params={"cursor": forged}), "cursor")

    async def test_cursor_under_another_sort_is_400(self, listed):
        client, _ = listed
        cursor = (await self.ok(client, [("pageSize", "5"), ("sort", "orderId")])).json()[
            "nextCursor"
        ]
        response = await client.get("/orders", params={"cursor": cursor, "sort": "-orderId"})
        assert_invalid(response, "cursor")

    async def test_a_page_number_deeper_than_ten_thousand_rows_is_400_naming_page(self, listed):
        client, _ = listed
        response = await client.get("/orders", params={"page": "1000000", "pageSize": "500"})
        assert_invalid(response, "page")
        assert "nextCursor" in response.json()["detail"]
        assert (await client.get("/orders", params={"page": "20", "pageSize": "500"})).is_success

    async def test_a_cursor_alone_continues_its_filtered_listing(self, listed):
        client, _ = listed
        query, _ = FILTERS["statuses repeated"]
        listing = [*query, ("sort", "orderId"), ("pageSize", "2")]
        first = await self.ok(client, listing)
        by_number = await self.ok(client, [*listing, ("page", "2")])
        alone = await self.ok(client, [("cursor", first.json()["nextCursor"])])
        assert ids(alone) == ids(by_number) and alone.json()["pageSize"] == 2
        pairs = parse_qsl(urlsplit(links(alone)["next"]).query)
        assert [v for k, v in pairs if k == "status"] == ["PAID", "SHIPPED"]
        assert ("pageSize", "2") in pairs and ("sort", "orderId") in pairs

    @pytest.mark.parametrize(
        "other", [[("status", "CREATED")], [("customerId", "cust-9")], [("pageSize", "3")]]
    )
    async def test_a_cursor_sent_with_other_filters_or_page_size_is_400(self, listed, other):
        client, _ = listed
        query, _ = FILTERS["statuses repeated"]
        first = await self.ok(client, [*query, ("pageSize", "2")])
        response = await client.get(
            "/orders", params=[*other, ("cursor", first.json()["nextCursor"])]
        )
        assert_invalid(response, "cursor")

    @pytest.mark.parametrize(
        "url",
        [
            "/orders?customerId=%FF",
            "/orders?customerId=%ED%A0%80",  # an encoded UTF-16 surrogate
            "/orders?customerId=%C3%A9%E2%98%83",
            "/orders?status=%FF",
            "/orders?cursor=%FF.%FF",
            "/orders?from=%FF",
            "/orders?sort=%00",
            "/orders/%FF",
            "/orders/%ED%A0%80",
            "/orders/%C3%A9%E2%98%83",
        ],
    )
    async def test_odd_bytes_never_cause_a_5xx(self, listed, url):
        client, _ = listed
        response = await client.get(url)
        assert response.status_code in (200, 400, 404), response.text
        if response.status_code != 200:
            assert response.headers["content-type"] == "application/problem+json"


def assert_invalid(response: httpx.Response, name: str) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400 and body["title"] == "Bad Request" and body["type"]
    assert name in body["detail"]
    assert [p["name"] for p in body["invalidParams"]] == [name]
    assert body["invalidParams"][0]["reason"]
