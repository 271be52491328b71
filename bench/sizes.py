"""How big each scenario is: the full size the published figures are measured at, and a quick
size for `make test` (a smoke check of every scenario, not figures)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    name: str
    # Scenario 1: orders x events_per_order events (plus duplicates) already in the topic.
    orders: int
    events_per_order: int
    duplicate_fraction: float
    reorder_fraction: float
    partitions: int
    # Baseline (a): the naive design runs on a prefix of the same topic.
    naive_events: int
    # Scenario 2/3: the read views are grown to this many orders by cloning ingested ones.
    read_orders: int
    read_seconds: float
    read_connections: int
    fixed_rps: int
    # Scenario 3: requests per filter/sort combination and depth; the cursor depth (page).
    list_requests: int
    list_depth_page: int
    # Scenario 4: produce rate and duration.
    freshness_rate: int
    freshness_seconds: float
    # Scenario 5: read load kept running during the rebuild.
    rebuild_read_rps: int
    # Baseline (c): Kafka Connect is a JVM start plus a second copy of the topic.
    connect: bool

    @property
    def events(self) -> int:
        return self.orders * self.events_per_order


FULL = Sizes(
    name="full",
    orders=200_000,
    events_per_order=5,
    duplicate_fraction=0.05,
    reorder_fraction=0.05,
    partitions=6,
    naive_events=20_000,
    read_orders=1_000_000,
    read_seconds=20.0,
    read_connections=32,
    fixed_rps=1000,
    list_requests=200,
    list_depth_page=10_000,
    freshness_rate=1000,
    freshness_seconds=30.0,
    rebuild_read_rps=200,
    connect=True,
)

QUICK = Sizes(
    name="quick",
    orders=2_000,
    events_per_order=5,
    duplicate_fraction=0.05,
    reorder_fraction=0.05,
    partitions=2,
    naive_events=1_000,
    read_orders=10_000,
    read_seconds=3.0,
    read_connections=8,
    fixed_rps=200,
    list_requests=10,
    list_depth_page=100,
    freshness_rate=200,
    freshness_seconds=4.0,
    rebuild_read_rps=50,
    connect=False,
)
