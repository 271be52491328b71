"""The seed's scenarios end to end: `streamview run` consumes real Kafka into real Postgres and
answers over HTTP; every check goes through the REST API and `/metrics`."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from adapters.kafka.offsets import KafkaEndOffsets
from devtools.generator import OutgoingRecord
from entrypoints.settings import Settings
from tests.integration.worker_support import (
    caught_up,
    eventually,
    migrated,
    produce,
    scraped,
    stored_positions,
    worker_env,
    worker_settings,
)
from tests.support.processes import STREAMVIEW, free_port

ORDER = "order-1"
I1 = {"itemId": "i1", "sku": "SKU-1", "qty": 2, "price": "10.00", "taxRate": "0.23"}
I2 = {"itemId": "i2", "sku": "SKU-2", "qty": 1, "price": "5.50"}
I3 = {"itemId": "i3", "sku": "SKU-3", "qty": 3, "price": "1.99", "taxRate": "0.07"}
I4 = {"itemId": "i4", "sku": "SKU-4", "qty": 1, "price": "100.00", "taxRate": "0.2"}


def event(seq: int, body: dict[str, Any], event_id: str | None = None) -> OutgoingRecord:
    value = {
        "eventId": event_id or f"{ORDER}-e{seq}",
        "occurredAt": f"2026-11-28T10:0{seq}:00Z",
        "orderId": ORDER,
        **body,
    }
    return OutgoingRecord(
        ORDER.encode(), json.dumps(value).encode(), (("x-sequence", b"%d" % seq),)
    )


CREATED = event(
    1, {"type": "OrderCreated", "customerId": "c-1", "currency": "EUR", "items": [I1, I2]}
)
ADDED_I3 = event(2, {"type": "OrderItemAdded", **I3})
PAID = event(3, {"type": "OrderStatusChanged", "status": "PAID"})
ADDED_I4 = event(4, {"type": "OrderItemAdded", **I4})
SHIPPED = event(5, {"type": "OrderStatusChanged", "status": "SHIPPED"})
LATE = event(2, {"type": "OrderItemAdded", **I3, "itemId": "i3-again"}, event_id="late-copy")


class Service:
    """`streamview run` in a subprocess, and what a client sees of it."""

    def __init__(self, process: subprocess.Popen[bytes], settings: Settings, log: Path) -> None:
        self.process = process
        self.settings = settings
        self.http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.http_port}", timeout=10)
        self.log = log

    async def order(self) -> httpx.Response:
        return await self.http.get(f"/orders/{ORDER}")

    def ops_authorization(self) -> dict[str, str]:
        claims = {"sub": "test", "roles": ["ops"], "exp": int(time.time()) + 600}
        token = jwt.encode(claims, self.settings.ops_jwt_secret, algorithm="HS256")
        return {"Authorization": f"Bearer {token}"}

    async def metric(self, name: str, **labels: str) -> float:
        return await scraped(str(self.http.base_url).rstrip("/"), name, **labels)


@pytest.fixture
async def service(
    stack_endpoints, database_url, new_topic, group_id, tmp_path
) -> AsyncIterator[Service]:
    await migrated(database_url)
    topic = new_topic(partitions=1)
    port = free_port()
    settings = worker_settings(
        stack_endpoints.kafka_bootstrap,
        database_url,
        topic,
        group_id,
        http_host="127.0.0.1",
        http_port=port,
    )
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*STREAMVIEW, "run"], env=worker_env(settings), stdout=out, stderr=out
        )
    service = Service(process, settings, log)
    try:
        await _until(
            lambda: _answers(service), f"`streamview run` did not start:\n{log.read_text()}"
        )
        yield service
    finally:
        await service.http.aclose()
        if process.poll() is None:
            process.kill()
            process.wait()


async def _answers(service: Service) -> bool:
    assert service.process.poll() is None, service.log.read_text()
    try:
        return (await service.http.get("/health/live")).status_code == 200
    except httpx.TransportError:
        return False


async def publish_and_wait(service: Service, *records: OutgoingRecord) -> None:
    s = service.settings
    await produce(s.kafka_bootstrap, s.topic, records)
    ends = {0: await _end_offset(s.kafka_bootstrap, s.topic)}
    await caught_up(s.database_url, s.consumer_group, s.topic, ends, seconds=60)


async def _end_offset(bootstrap: str, topic: str) -> int:
    offsets = KafkaEndOffsets(bootstrap)
    try:
        return (await offsets.end_offsets(topic))[0]
    finally:
        await offsets.close()


async def test_the_seed_scenarios_through_the_api(service: Service) -> None:
    await publish_and_wait(service, CREATED, ADDED_I3, PAID)
    first = await service.order()
    assert first.status_code == 200
    body = first.json()
    assert (body["status"], body["lastEventSequence"], body["lineCount"], body["itemCount"]) == (
        "PAID", 3, 3, 6,
    )  # fmt: skip
    assert (body["totalNet"], body["totalGross"]) == ("31.47", "36.49")
    assert [line["grossLineTotal"] for line in body["items"]] == ["24.60", "5.50", "6.39"]

    # A duplicate: nothing changes, one duplicate counted.
    await publish_and_wait(service, PAID)
    assert (await service.order()).json() == body
    assert await service.metric("streamview_duplicates_total") == 1

    # A gap: held back, counted; the missing event then releases both.
    await publish_and_wait(service, SHIPPED)
    assert (await service.order()).json() == body
    assert await service.metric("streamview_out_of_order_total", kind="gap") == 1
    await publish_and_wait(service, ADDED_I4)
    after = (await service.order()).json()
    assert (after["status"], after["lastEventSequence"], after["lineCount"]) == ("SHIPPED", 5, 4)
    assert (after["totalNet"], after["totalGross"], after["itemCount"]) == ("131.47", "156.49", 7)

    # A late event: nothing changes, counted as late.
    await publish_and_wait(service, LATE)
    assert (await service.order()).json() == after
    assert await service.metric("streamview_out_of_order_total", kind="late") == 1
    assert await service.metric("streamview_events_total", type="OrderCreated") == 1

    async def lag_gauge_is_0() -> bool:  # refreshed every lag_refresh_ms, after the views
        return await service.metric("kafka_consumer_lag", partition="0") == 0

    await eventually(lag_gauge_is_0, "kafka_consumer_lag to read 0", seconds=10)
    lags = (await service.http.get("/lags", headers=service.ops_authorization())).json()
    assert (lags["state"], lags["totalLag"], lags["groupId"]) == (
        "RUNNING", 0, service.settings.consumer_group,
    )  # fmt: skip
    assert lags["partitions"] == [{"partition": 0, "committedOffset": 7, "endOffset": 7, "lag": 0}]


async def test_sigterm_stops_cleanly_with_positions_in_kafka_and_postgres(service: Service) -> None:
    await publish_and_wait(service, CREATED, ADDED_I3, PAID)
    service.process.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(service.process.wait, 60) == 0, service.log.read_text()

    s = service.settings
    stored = await stored_positions(s.database_url, s.consumer_group, s.topic)
    assert stored == {0: 3}
    admin = AIOKafkaAdminClient(bootstrap_servers=s.kafka_bootstrap)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(s.consumer_group)
    finally:
        await admin.close()
    assert {tp.partition: meta.offset for tp, meta in committed.items()} == stored
    assert "worker stopped" in service.log.read_text()


async def _until(condition: Callable[[], Any], message: str, seconds: float = 60) -> None:
    try:
        async with asyncio.timeout(seconds):
            while not await condition():
                await asyncio.sleep(0.2)
    except TimeoutError:
        pytest.fail(message)
