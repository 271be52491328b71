"""Read-your-writes on real Kafka and PostgreSQL: a client that produced an event and reads with
`minSequence`, or with its send result as `minPosition`, always sees its write; a wait that
cannot be met answers 412 with where the views are; bad parameters are 400s naming them."""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import Callable

import httpx
import pytest

from tests.integration.conftest import StackEndpoints
from tests.integration.live_support import Producer, live_service, serving_api
from tests.integration.worker_support import migrated, worker_settings
from tests.support.events import order_created, status_changed

# `make test` runs 200 round trips; the chaos variant (STREAMVIEW_RYW_ROUND_TRIPS=1000) more.
ROUND_TRIPS = int(os.environ.get("STREAMVIEW_RYW_ROUND_TRIPS", "200"))
CLIENTS = 10
STATUSES = ("PAID", "SHIPPED", "DELIVERED")


async def test_a_client_always_reads_its_own_writes(
    stack_endpoints: StackEndpoints,
    database_url: str,
    new_topic: Callable[..., str],
    group_id: str,
) -> None:
    topic = new_topic()
    settings = worker_settings(stack_endpoints.kafka_bootstrap, database_url, topic, group_id)
    stale: list[str] = []

    async def client(number: int, producer: Producer, http: httpx.AsyncClient) -> None:
        order_id = f"ryw-{number}"
        for sequence in range(1, ROUND_TRIPS // CLIENTS + 1):
            trip = sequence - 1
            body = (
                order_created(order_id, customer_id=f"c-{number}")
                if sequence == 1
                else status_changed(order_id, STATUSES[trip % len(STATUSES)])
            )
            sent = await producer.send(body, sequence)
            if random.random() < 0.5:  # which read to make
                params = {"minSequence": str(sequence), "wait": "10s"}
            else:
                params = {"minPosition": f"{sent.partition}:{sent.offset}", "wait": "10s"}
            response = await http.get(f"/orders/{order_id}", params=params)
            seen = response.json().get("lastEventSequence") if response.status_code == 200 else 0
            if seen != sequence:
                stale.append(f"{order_id}@{sequence}: {response.status_code} saw {seen}")
            assert "streamview-position" in response.headers

    async with (
        live_service(settings) as live,
        Producer(stack_endpoints.kafka_bootstrap, topic) as producer,
    ):
        http = live.http
        await asyncio.gather(*(client(n, producer, http) for n in range(CLIENTS)))
        # The token of a read, sent back, is met at once by any later read.
        listed = await http.get("/orders")
        token = listed.headers["streamview-position"]
        again = await http.get("/orders", params={"minPosition": token})
        assert again.status_code == 200
        assert len(listed.json()["items"]) == CLIENTS

    assert stale == []


async def test_waits_that_cannot_be_met_answer_412_with_where_the_views_are(
    stack_endpoints: StackEndpoints,
    database_url: str,
    new_topic: Callable[..., str],
    group_id: str,
) -> None:
    topic = new_topic()
    settings = worker_settings(
        stack_endpoints.kafka_bootstrap, database_url, topic, group_id, read_wait_max_ms=3000
    )
    async with (
        live_service(settings) as live,
        Producer(stack_endpoints.kafka_bootstrap, topic) as producer,
    ):
        http = live.http
        sent = await producer.send(order_created("o-1"), 1)
        ok = await http.get("/orders/o-1", params={"minSequence": "1", "wait": "3s"})
        assert ok.status_code == 200

        ahead = await http.get("/orders/o-1", params={"minSequence": "2", "wait": "300ms"})
        assert ahead.status_code == 412
        assert ahead.headers["content-type"].startswith("application/problem+json")
        assert ahead.json()["currentSequence"] == 1
        assert ahead.json()["position"] == ahead.headers["streamview-position"]

        absent = await http.get("/orders/nobody", params={"minSequence": "1", "wait": "0.2"})
        assert (absent.status_code, absent.json()["currentSequence"]) == (412, 0)

        beyond = f"{sent.partition}:{sent.offset + 100}"
        future = await http.get("/orders", params={"minPosition": beyond, "wait": "200ms"})
        assert future.status_code == 412
        assert future.json()["type"] == "urn:streamview:problem:not-reached"

        # No wait: looked at once.
        now = await http.get("/orders/o-1", params={"minSequence": "5"})
        assert now.status_code == 412


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"minSequence": "abc"}, "minSequence"),
        ({"minSequence": "0"}, "minSequence"),
        ({"minSequence": "-1"}, "minSequence"),
        ({"minSequence": "9" * 40}, "minSequence"),
        ({"minSequence": "1", "wait": "forever"}, "wait"),
        ({"minSequence": "1", "wait": "1h"}, "wait"),
        ({"minSequence": "1", "wait": "11s"}, "wait"),
        ({"minSequence": "1", "wait": "NaN"}, "wait"),
        ({"minPosition": "zz"}, "minPosition"),
        ({"minPosition": "0:-1"}, "minPosition"),
        ({"minPosition": "p1.!!!"}, "minPosition"),
        ({"minPosition": ",".join(f"{p}:1" for p in range(200))}, "minPosition"),
        ({"minPosition": "0:99999999999999999999"}, "minPosition"),
    ],
)
async def test_bad_freshness_parameters_are_400_naming_them(
    stack_endpoints: StackEndpoints, database_url: str, params: dict[str, str], named: str
) -> None:
    await migrated(database_url)
    settings = worker_settings(stack_endpoints.kafka_bootstrap, database_url, "t", "g")
    async with serving_api(settings) as base_url, httpx.AsyncClient(base_url=base_url) as http:
        response = await http.get("/orders/o-1", params=params)
        assert response.status_code == 400, response.text
        assert response.json()["invalidParams"][0]["name"] == named
