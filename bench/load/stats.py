"""Latency summaries: percentiles by the nearest-rank method, in milliseconds."""

from __future__ import annotations

import math
from collections import Counter


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def summary(latencies_s: list[float], seconds: float, statuses: Counter[int]) -> dict:
    ordered = sorted(latencies_s)
    ok = sum(count for status, count in statuses.items() if status < 400)

    def ms(fraction: float) -> float:
        return round(percentile(ordered, fraction) * 1000, 2)

    return {
        "requests": len(ordered),
        "seconds": round(seconds, 2),
        "rps": round(len(ordered) / seconds) if seconds > 0 else 0,
        "p50_ms": ms(0.50),
        "p90_ms": ms(0.90),
        "p99_ms": ms(0.99),
        "max_ms": round(ordered[-1] * 1000, 2) if ordered else None,
        "ok": ok,
        "errors": len(ordered) - ok,
        "statuses": {str(status): count for status, count in sorted(statuses.items())},
    }
