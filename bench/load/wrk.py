"""Saturation load with wrk (Debian's `wrk`, C, far cheaper per request than any Python
client), on random order ids drawn by a Lua script; None when wrk is not installed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile

from bench.ids import lua_order_id

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
_SCRIPT = """
local orders = tonumber(os.getenv("SV_ORDERS"))
local read_orders = tonumber(os.getenv("SV_READ_ORDERS"))
math.randomseed(os.time())
request = function()
  local i = math.random(0, read_orders - 1)
  return wrk.format("GET", "/orders/" .. %s)
end
"""


def available() -> bool:
    return shutil.which("wrk") is not None


def _find(pattern: str, text: str) -> tuple[str, ...]:
    match = re.search(pattern, text)
    if match is None:
        raise ValueError(f"unexpected wrk output (no {pattern!r}):\n{text[-2000:]}")
    return match.groups()


def _ms(text: str) -> float:
    number, unit = _find(r"^([\d.]+)(us|ms|s|m)$", text)
    return round(float(number) * _UNITS[unit], 2)


def parse(output: str) -> dict:
    percentiles = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)$", output, re.MULTILINE))
    requests, seconds = _find(r"(\d+) requests in ([\d.]+)s", output)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = (int(bad.group(1)) if bad else 0) + (sum(map(int, socket.groups())) if socket else 0)
    return {
        "requests": int(requests),
        "seconds": float(seconds),
        "rps": round(float(_find(r"Requests/sec:\s+([\d.]+)", output)[0])),
        "p50_ms": _ms(percentiles["50"]),
        "p90_ms": _ms(percentiles["90"]),
        "p99_ms": _ms(percentiles["99"]),
        "errors": errors,
    }


def saturate(port: int, orders: int, read_orders: int, connections: int, seconds: float) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_SCRIPT % lua_order_id("orders", "i"))
    try:
        done = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{int(seconds)}s",
                "--latency",
                "-s",
                script.name,
                f"http://127.0.0.1:{port}",
            ],
            env={**os.environ, "SV_ORDERS": str(orders), "SV_READ_ORDERS": str(read_orders)},
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        )
    finally:
        os.unlink(script.name)
    return {"tool": "wrk", "connections": connections, **parse(done.stdout)}
