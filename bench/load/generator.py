"""HTTP load in its own process: `python -m bench.load.generator …` prints a JSON summary.

Two shapes of load on random order ids (bench.ids):
- closed: N connections, each sending its next request when the last one answered, for a
  fixed time (saturation throughput);
- open: requests scheduled at a fixed rate whatever the answers; latency counts from the
  scheduled time, so a slow server cannot hide queueing (no coordinated omission).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections import Counter

from bench.ids import order_id
from bench.load.client import HttpConnection
from bench.load.stats import summary


class Load:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.random = random.Random(args.seed)
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()

    def next_path(self) -> str:
        index = self.random.randrange(self.args.read_orders)
        return f"/orders/{order_id(index, self.args.orders)}"

    async def one(self, conn: HttpConnection, since: float) -> None:
        try:
            status, _ = await conn.get(self.next_path())
        except (OSError, asyncio.IncompleteReadError):
            status = 599  # no answer: counted as an error, like wrk's socket errors
        self.latencies.append(time.perf_counter() - since)
        self.statuses[status] += 1

    async def closed(self) -> float:
        end = time.perf_counter() + self.args.duration

        async def user() -> None:
            conn = HttpConnection(self.args.host, self.args.port)
            while time.perf_counter() < end:
                await self.one(conn, time.perf_counter())
            await conn.close()

        started = time.perf_counter()
        await asyncio.gather(*(user() for _ in range(self.args.connections)))
        return time.perf_counter() - started

    async def open(self) -> float:
        idle: asyncio.Queue[HttpConnection] = asyncio.Queue()
        for _ in range(self.args.connections):
            idle.put_nowait(HttpConnection(self.args.host, self.args.port))
        total = int(self.args.rate * self.args.duration)
        started = time.perf_counter()

        async def scheduled(due: float) -> None:
            conn = await idle.get()  # waiting for a free connection counts as latency
            try:
                await self.one(conn, due)
            finally:
                idle.put_nowait(conn)

        tasks = []
        for n in range(total):
            due = started + n / self.args.rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(scheduled(due)))
        await asyncio.gather(*tasks)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", choices=("closed", "open"), required=True)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rate", type=float, default=1000.0, help="open mode: requests/s")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds (at most 600)")
    parser.add_argument("--orders", type=int, required=True, help="generated orders")
    parser.add_argument("--read-orders", type=int, required=True, help="orders in the views")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    args.duration = min(args.duration, 600.0)  # bounded whatever the caller asks
    load = Load(args)
    seconds = asyncio.run(load.closed() if args.mode == "closed" else load.open())
    print(json.dumps(summary(load.latencies, seconds, load.statuses)))


if __name__ == "__main__":
    main()
