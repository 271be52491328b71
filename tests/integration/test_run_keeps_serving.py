"""`streamview run` outlives its worker: while the worker fails (here: every write of one
order breaks a constraint the test added), the API serves reads and reports the consumer
FAILED in /lags and /health/ready; the worker restarts with backoff and, once the cause is
gone, catches up and is RUNNING again."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import httpx
import psycopg

from devtools.generator import OutgoingRecord
from tests.integration.rebuild_support import OPS_SECRET, ops_headers
from tests.integration.test_lags_across_processes import started
from tests.integration.worker_support import (
    eventually,
    migrated,
    produce,
    worker_env,
    worker_settings,
)
from tests.support.events import order_created
from tests.support.processes import free_port

CURSOR_SECRET = "a-cursor-secret-for-the-run-test-0123456789"


def created(order_id: str, customer_id: str) -> OutgoingRecord:
    body = order_created(order_id, customer_id=customer_id)
    return OutgoingRecord(order_id.encode(), json.dumps(body).encode(), (("x-sequence", b"1"),))


async def execute(database_url: str, statement: str) -> None:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute(statement)


async def test_a_failing_worker_restarts_while_the_api_keeps_serving(
    stack_endpoints: Any, database_url: str, new_topic: Any, group_id: str, tmp_path: Path
) -> None:
    await migrated(database_url)
    topic = new_topic()
    settings = worker_settings(
        stack_endpoints.kafka_bootstrap, database_url, topic, group_id,
        http_host="127.0.0.1", http_port=free_port(), metrics_port=free_port(),
        ops_jwt_secret=OPS_SECRET, cursor_secret=CURSOR_SECRET,
    )  # fmt: skip
    bootstrap = stack_endpoints.kafka_bootstrap
    await produce(bootstrap, topic, [created("order-1", "customer-1")])
    base = f"http://127.0.0.1:{settings.http_port}"
    async with httpx.AsyncClient(base_url=base, headers=ops_headers(), timeout=10) as http:

        async def state_is(wanted: str) -> bool:
            try:
                lags = await http.get("/lags")
            except httpx.TransportError:  # not listening yet
                return False
            # A 503 (its Kafka client or pool busy while the worker restarts) is asked again.
            return lags.status_code == 200 and lags.json()["state"] == wanted

        with started("run", worker_env(settings), tmp_path / "run.log") as run:
            await eventually(lambda: state_is("RUNNING"), "the worker RUNNING", 90)
            assert (await http.get("/orders/order-1")).status_code == 200
            # Not a record's fault, nor an outage: a lasting error of the database.
            await execute(
                database_url,
                "ALTER TABLE orders_view ADD CONSTRAINT test_no_poison"
                " CHECK (customer_id <> 'poison')",
            )
            await produce(bootstrap, topic, [created("order-2", "poison")])

            await eventually(lambda: state_is("FAILED"), "the worker FAILED", 60)
            assert run.poll() is None  # the process, and its API, go on
            assert (await http.get("/orders/order-1")).status_code == 200
            assert (await http.get("/orders")).json()["items"][0]["orderId"] == "order-1"
            ready = await http.get("/health/ready")
            assert ready.status_code == 503
            checks = {c["name"]: c["problem"] for c in ready.json()["checks"]}
            assert checks["consumer"] is not None and checks["postgres"] is None

            await execute(database_url, "ALTER TABLE orders_view DROP CONSTRAINT test_no_poison")
            await eventually(lambda: state_is("RUNNING"), "the restarted worker RUNNING", 90)
            order = await http.get("/orders/order-2")
            assert order.status_code == 200 and order.json()["customerId"] == "poison"
            assert (await http.get("/health/ready")).status_code == 200

            run.send_signal(signal.SIGTERM)
            assert run.wait(60) == 0
    log = (tmp_path / "run.log").read_text()
    assert "restarting in" in log
