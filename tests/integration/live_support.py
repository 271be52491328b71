"""Shared by the read-your-writes, change-stream and redrive tests: the API served by uvicorn
in this process (streams need a real server), with a worker beside it, and a producer that
reports where records went."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from aiokafka import AIOKafkaProducer

from entrypoints.asgi import create_app_from_container
from entrypoints.bootstrap import build_container
from entrypoints.settings import Settings
from tests.integration.worker_support import RunningWorker, migrated, running_worker
from tests.support.processes import free_port


@contextlib.asynccontextmanager
async def serving_api(settings: Settings) -> AsyncIterator[str]:
    """The API of `streamview serve` (no worker), on a free port; yields its base URL."""
    port = free_port()
    app = create_app_from_container(build_container(settings), worker_here=False)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, lifespan="on", access_log=False
    )
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(30):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass(frozen=True)
class LiveService:
    worker: RunningWorker
    base_url: str
    http: httpx.AsyncClient  # a client of the API at base_url


@contextlib.asynccontextmanager
async def live_service(settings: Settings) -> AsyncIterator[LiveService]:
    """A migrated database with a worker and the API over it, once the API's change feed has
    read the positions; a client of the API."""
    await migrated(settings.database_url)
    async with (
        running_worker(settings) as worker,
        serving_api(settings) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=30) as http,
    ):
        await wait_ready(base_url)
        yield LiveService(worker, base_url, http)


@dataclass(frozen=True)
class Sent:
    partition: int
    offset: int


class Producer:
    """Sends one event at a time and returns its partition and offset (the send result)."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self._producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        self._topic = topic

    async def __aenter__(self) -> Producer:
        await self._producer.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._producer.stop()

    async def send(
        self, body: dict[str, Any], sequence: int, headers: dict[str, str] | None = None
    ) -> Sent:
        all_headers = [("x-sequence", str(sequence).encode())]
        all_headers += [(k, v.encode()) for k, v in (headers or {}).items()]
        meta = await self._producer.send_and_wait(
            self._topic,
            key=body["orderId"].encode(),
            value=json.dumps(body).encode(),
            headers=all_headers,
        )
        return Sent(meta.partition, meta.offset)


async def wait_ready(base_url: str, seconds: float = 60) -> None:
    """Until the API's change feed has read the positions (the position header appears)."""
    async with httpx.AsyncClient(base_url=base_url) as http, asyncio.timeout(seconds):
        while "streamview-position" not in (await http.get("/orders")).headers:
            await asyncio.sleep(0.1)


@dataclass
class Event:
    id: int
    kind: str
    data: dict[str, Any]


async def read_events(
    http: httpx.AsyncClient,
    path: str,
    last_event_id: int | None = None,
    stop_after: int | None = None,
    until_id: int | None = None,
    seconds: float = 120,
) -> list[Event]:
    """Events of one connection to a change stream, until `stop_after` of them (then the
    client hangs up), or one with id `until_id`, or the server ends the stream."""
    headers = {} if last_event_id is None else {"Last-Event-ID": str(last_event_id)}
    events: list[Event] = []
    fields: dict[str, str] = {}
    async with asyncio.timeout(seconds), http.stream("GET", path, headers=headers) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        async for line in response.aiter_lines():
            if line:
                name, _, value = line.partition(": ")
                fields[name] = value
                continue
            if "data" in fields and "id" in fields:
                events.append(Event(int(fields["id"]), fields["event"], json.loads(fields["data"])))
                if (stop_after is not None and len(events) >= stop_after) or (
                    until_id is not None and events[-1].id >= until_id
                ):
                    break
            elif fields.get("event") in ("dropped", "gone"):
                events.append(Event(-1, fields["event"], json.loads(fields["data"])))
                break
            fields = {}
    return events
