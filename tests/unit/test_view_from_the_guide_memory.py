"""The guide's view (tests/plugins/event-counts) in the in-memory backend: enabled by
STREAMVIEW_VIEWS alone, written by the engine's projection, read over the API."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from entrypoints.asgi import create_app_from_container
from entrypoints.bootstrap import build_container
from entrypoints.settings import Settings
from tests.support.events import at, item_added, order_log, status_changed, with_offsets

pytestmark = pytest.mark.unit


async def test_the_guides_view_runs_in_memory_beside_orders() -> None:
    settings = Settings(backend="memory", dev_mode=True, views="orders,event_counts")
    container = build_container(settings)
    project = container.write_side.project_batch()
    o1 = order_log(
        "o-1",
        item_added("o-1", item_id="b", occurred_at=at(1)),
        item_added("o-1", item_id="c", occurred_at=at(2)),
        status_changed("o-1", "PAID", occurred_at=at(3)),
    )
    log = with_offsets([*o1, *order_log("o-2", status_changed("o-2", "PAID"))])

    # Delivered twice, the second time reversed: duplicates and gaps for the sequencing.
    await project(log)
    await project(log[::-1])

    async with AsyncTestClient(create_app_from_container(container)) as client:
        first = await client.get("/event-counts/o-1")
        second = await client.get("/event-counts/o-2")
        missing = await client.get("/event-counts/o-3")

    assert first.status_code == 200, first.text
    assert first.json() == {
        "orderId": "o-1",
        "events": 4,
        "lastType": "OrderStatusChanged",
        "lastEventSequence": 4,
    }
    assert (second.json()["events"], missing.status_code) == (2, 404)
    # Observed per view, one observation per batch that reached the view.
    assert container.write_side.metrics().view_writes == {"event_counts": 2}
