"""Scenario 2: `GET /orders/{id}` on random ids over `read_orders` orders.

At saturation (wrk when installed, else the asyncio generator, with many connections) and at
a fixed 1,000 requests/s (open loop: latency from the scheduled send time). The load runs in
its own process; the API is one `streamview serve` process with the default settings.
"""

from __future__ import annotations

from bench import profiling
from bench.context import BenchContext
from bench.load import run_generator, wrk
from bench.scenarios import common
from bench.services import Service


def _generator(mode: str, ctx: BenchContext, seconds: float, *extra: str) -> dict:
    sizes = ctx.sizes
    result = run_generator(
        "--port",
        str(common.API_PORT),
        "--mode",
        mode,
        "--duration",
        str(seconds),
        "--orders",
        str(sizes.orders),
        "--read-orders",
        str(sizes.read_orders),
        *extra,
        timeout=seconds + 120,
    )
    return {"tool": "python-asyncio", **result}


def _saturate(ctx: BenchContext, seconds: float) -> dict:
    sizes = ctx.sizes
    if wrk.available():
        return wrk.saturate(
            common.API_PORT, sizes.orders, sizes.read_orders, sizes.read_connections, seconds
        )
    connections = str(sizes.read_connections)
    return _generator("closed", ctx, seconds, "--connections", connections)


def _profiled(ctx: BenchContext, api: Service) -> dict:
    """A short saturation run with py-spy on the API, after the measured ones."""
    collapsed = ctx.work_dir / "api-profile.collapsed"
    spy = profiling.start(api.process.pid, collapsed)
    if spy is None:
        return {"skipped": "py-spy is not installed (pip install py-spy)"}
    try:
        under_profiler = _saturate(ctx, max(2.0, ctx.sizes.read_seconds / 4))
    finally:
        profiling.stop(spy)
    summary = profiling.summarize(collapsed, profiling.API_AREAS)
    return {"rps_profiled": under_profiler["rps"], **summary}


async def run(ctx: BenchContext) -> dict:
    sizes = ctx.sizes
    api = await common.api(ctx)
    connections = str(sizes.read_connections)
    # Warm-up: the first pass over the data pulls pages into the caches.
    _generator("closed", ctx, max(2.0, sizes.read_seconds / 4), "--connections", connections)
    saturation = _saturate(ctx, sizes.read_seconds)
    fixed = _generator(
        "open", ctx, sizes.read_seconds, "--rate", str(sizes.fixed_rps), "--connections", "64"
    )
    return {
        "orders_in_views": ctx.amplified,
        "saturation": saturation,
        "fixed_rate": {"target_rps": sizes.fixed_rps, **fixed},
        "api_profile": _profiled(ctx, api),
    }
