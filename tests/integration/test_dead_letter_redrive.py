"""Dead letters on real Kafka and PostgreSQL: listed with why and where from, shown whole, and
redriven once the cause is gone: records dead-lettered as `unsupported_version` are applied
exactly once after the version became supported, however often the redrive is asked for."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import jwt
import psycopg
import pytest

import domain.decoding
from tests.integration.conftest import StackEndpoints
from tests.integration.live_support import Producer, live_service
from tests.integration.worker_support import stored_views, worker_settings
from tests.support.events import order_created, status_changed
from tests.support.processes import free_port


def ops_token(secret: str, sub: str = "alice@ops") -> dict[str, str]:
    now = int(time.time())
    claims = {"sub": sub, "roles": ["ops"], "iat": now, "exp": now + 600}
    return {"Authorization": f"Bearer {jwt.encode(claims, secret, algorithm='HS256')}"}


async def letters(http: httpx.AsyncClient, auth: dict[str, str], count: int, **params: str):
    async with asyncio.timeout(60):
        while True:
            response = await http.get("/ops/dead-letters", params=params, headers=auth)
            assert response.status_code == 200, response.text
            if len(items := response.json()["items"]) >= count:
                return items
            await asyncio.sleep(0.2)


async def test_redriven_letters_are_applied_once(
    stack_endpoints: StackEndpoints,
    database_url: str,
    new_topic: Callable[..., str],
    group_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    topic = new_topic()
    settings = worker_settings(
        stack_endpoints.kafka_bootstrap, database_url, topic, group_id, redrive_max=2
    )
    auth = ops_token(settings.ops_jwt_secret or "")
    async with (
        live_service(settings) as live,
        Producer(stack_endpoints.kafka_bootstrap, topic) as producer,
    ):
        worker, http = live.worker, live.http
        v2 = {"x-event-version": "2", "x-trace-id": "t-1"}
        for n in (1, 2):
            await producer.send(order_created(f"v2-{n}"), 1, headers=v2)
            await producer.send(status_changed(f"v2-{n}", "PAID"), 2)  # waits in the stash
        bad = await producer.send({"orderId": "junk", "type": "OrderCreated"}, 1)

        assert (await http.get("/ops/dead-letters")).status_code == 401
        found = await letters(http, auth, 2, reason="unsupported_version")
        assert [(x["source"]["offset"], x["reason"]) for x in found] == [
            (0, "unsupported_version"),
            (2, "unsupported_version"),
        ]
        assert found[0]["source"]["topic"] == topic and found[0]["redriveCount"] == 0
        assert '"orderId": "v2-1"' in found[0]["valuePreview"]
        everything = await letters(http, auth, 3)
        junk = next(x for x in everything if x["source"]["offset"] == bad.offset)
        assert junk["reason"] == "schema_violation"
        shown = await http.get(
            f"/ops/dead-letters/{junk['partition']}/{junk['offset']}", headers=auth
        )
        assert shown.json()["value"] == '{"orderId": "junk", "type": "OrderCreated"}'
        assert {"name": "x-sequence", "value": "1"} in shown.json()["headers"]
        assert (await http.get("/ops/dead-letters/0/999", headers=auth)).status_code == 404

        # The cause goes away; the letters go back; asked twice, each goes once.
        monkeypatch.setattr(domain.decoding, "SUPPORTED_VERSIONS", frozenset({1, 2}))
        body = {"reason": "unsupported_version"}
        first, second = await asyncio.gather(
            http.post("/ops/dead-letters/redrive", json=body, headers=auth),
            http.post("/ops/dead-letters/redrive", json=body, headers=auth),
        )
        outcomes = sorted(
            r["outcome"] for response in (first, second) for r in response.json()["results"]
        )
        assert outcomes == ["already_redriven"] * 2 + ["redriven"] * 2
        again = await http.post(
            "/ops/dead-letters/redrive",
            json={"records": [{"partition": 0, "offset": found[0]["offset"]}]},
            headers=auth,
        )
        assert again.json()["results"][0]["outcome"] == "already_redriven"

        async with asyncio.timeout(60):
            while {o: v[9] for o, v in (await stored_views(database_url)).items()} != {
                "v2-1": 2,
                "v2-2": 2,
            }:
                await asyncio.sleep(0.2)
        assert worker.metric("streamview_events_total", type="OrderCreated") == 2
        assert worker.metric("streamview_events_total", type="OrderStatusChanged") == 2

        # Still bad: dead-lettered again, with its redrive count; past the limit, refused.
        redriven = await http.post(
            "/ops/dead-letters/redrive",
            json={"records": [{"partition": junk["partition"], "offset": junk["offset"]}]},
            headers=auth,
        )
        assert redriven.json()["results"][0]["outcome"] == "redriven"
        round_two = (await letters(http, auth, 4))[-1]
        assert (round_two["reason"], round_two["redriveCount"]) == ("schema_violation", 1)
        await http.post(
            "/ops/dead-letters/redrive",
            json={"records": [{"partition": 0, "offset": round_two["offset"]}]},
            headers=auth,
        )
        round_three = (await letters(http, auth, 5))[-1]
        assert round_three["redriveCount"] == 2
        refused = await http.post(
            "/ops/dead-letters/redrive",
            json={"records": [{"partition": 0, "offset": round_three["offset"]}]},
            headers=auth,
        )
        assert refused.json()["results"][0]["outcome"] == "limit_reached"

        later = {"from": "2999-01-01T00:00:00Z"}
        future = await http.get("/ops/dead-letters", params=later, headers=auth)
        assert future.json() == {"items": [], "next": None}
        page = await http.get("/ops/dead-letters", params={"limit": "2"}, headers=auth)
        rest = await http.get(
            "/ops/dead-letters", params={"offsets": page.json()["next"]}, headers=auth
        )
        assert [x["offset"] for x in page.json()["items"] + rest.json()["items"]] == [0, 1, 2, 3, 4]

        for hostile in (
            {},
            {"reason": "nope"},
            {"records": [{"partition": -1, "offset": 0}]},
            {"records": [{"partition": 0, "offset": 0}], "reason": "invalid_json"},
            {"reason": "invalid_json", "offsets": "x"},
            {"reason": "invalid_json", "from": "yesterday"},
            {"surprise": 1},
        ):
            response = await http.post("/ops/dead-letters/redrive", json=hostile, headers=auth)
            assert response.status_code == 400, (hostile, response.text)
        for params in ({"reason": "nope"}, {"limit": "0"}, {"offsets": "0:x"}, {"from": "x"}):
            response = await http.get("/ops/dead-letters", params=params, headers=auth)
            assert response.status_code == 400, (params, response.text)

    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        rows = await (
            await conn.execute("SELECT requested_by, redrive_count FROM dlq_redrives ORDER BY 2")
        ).fetchall()
    # Two unsupported_version letters, then the bad record twice (the third time refused).
    assert rows == [("token:alice@ops", 1)] * 3 + [("token:alice@ops", 2)]


async def test_a_broker_that_does_not_answer_is_unavailable_not_an_error() -> None:
    from adapters.kafka.dlq_reader import KafkaDeadLetterReader, KafkaRedriveSender
    from application.errors import Unavailable
    from application.ports import LetterId, LetterQuery

    nowhere = f"127.0.0.1:{free_port()}"
    reader = KafkaDeadLetterReader(nowhere, "t.dlq")
    with pytest.raises(Unavailable):
        await reader.page(LetterQuery(), 10)
    with pytest.raises(Unavailable):
        await reader.get(LetterId(0, 0))
    with pytest.raises(Unavailable):
        await KafkaRedriveSender(nowhere).send([])
