"""Where the worker's CPU time goes while it drains the topic: py-spy attached from outside.

`python -m bench.runner ingest --profile` drains the topic once more into a new database with
py-spy sampling the worker (`--nonblocking`: the worker is never paused, so it runs at full
speed), then sums the samples by area of the code and by function. py-spy samples only a
thread that is running, so waiting on PostgreSQL or Kafka does not show here; the CPU split
between processes (bench.cpu) shows that side.
"""

from __future__ import annotations

import re
import select
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

Areas = tuple[tuple[str, tuple[str, ...]], ...]

# Area of a sample: the first of these met walking from the innermost frame outwards.
WORKER_AREAS: Areas = (
    ("decode records (msgspec, domain/decoding)", ("domain/decoding", "domain/records", "msgspec")),
    ("projection + sequence policy (domain)", ("domain/",)),
    ("rows for SQL (adapters/postgres)", ("adapters/postgres",)),
    ("psycopg (adapt, send, receive)", ("psycopg",)),
    ("aiokafka (fetch, parse record batches)", ("aiokafka", "kafka/")),
    ("Kafka source adapter", ("adapters/kafka",)),
    ("use case (application)", ("application/",)),
    (
        "metrics, logs, traces",
        ("prometheus", "loguru", "opentelemetry", "adapters/metrics", "adapters/tracing"),
    ),
    ("asyncio event loop", ("asyncio/",)),
)
API_AREAS: Areas = (
    ("JSON bodies (msgspec, adapters/http/schemas)", ("msgspec", "http/schemas")),
    ("StreamView HTTP adapter (ETag, links, problems)", ("adapters/http",)),
    ("rows to domain values (adapters/postgres)", ("adapters/postgres",)),
    ("psycopg + pool (adapt, send, receive)", ("psycopg",)),
    ("use cases (application)", ("application/",)),
    ("dependency-injector providers", ("dependency_injector", "providers.pyx")),
    (
        "metrics, logs, traces",
        ("prometheus", "loguru", "opentelemetry", "adapters/metrics", "adapters/tracing"),
    ),
    ("Litestar (routing, DI, middleware, response)", ("litestar",)),
    ("uvicorn + HTTP parsing", ("uvicorn", "h11", "httptools")),
    ("asyncio event loop", ("asyncio/",)),
)
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^():]+)(?::\d+)?\)$")


def start(pid: int, output: Path, ready_timeout: float = 10.0) -> subprocess.Popen[str] | None:
    """py-spy recording `pid` (and its children) into `output`, once it has attached; None
    without py-spy."""
    beside = Path(sys.executable).with_name("py-spy")  # the venv's, when not on PATH
    spy = str(beside) if beside.is_file() else shutil.which("py-spy")
    if spy is None:
        return None
    process = subprocess.Popen(
        [
            spy,
            "record",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "--rate",
            "100",
            "--nonblocking",
            "--subprocesses",
            "--output",
            str(output),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    deadline = time.monotonic() + ready_timeout
    # py-spy says "Sampling process …" once attached: profile nothing before that.
    while time.monotonic() < deadline and process.poll() is None:
        readable, _, _ = select.select([process.stderr], [], [], 0.2)
        if readable and "Sampling" in process.stderr.readline():
            break
    return process


def stop(spy: subprocess.Popen[str]) -> None:
    """SIGINT makes py-spy write what it sampled so far."""
    spy.send_signal(signal.SIGINT)
    try:
        spy.wait(30)
    except subprocess.TimeoutExpired:
        spy.kill()
        spy.wait()


def _area(frames: list[str], areas: Areas) -> str:
    for frame in reversed(frames):
        for area, needles in areas:
            if any(needle in frame for needle in needles):
                return area
    return "other"


def summarize(collapsed: Path, areas: Areas = WORKER_AREAS, top: int = 15) -> dict:
    """Share of samples by area and by innermost function, from py-spy's raw output."""
    if not collapsed.is_file():
        return {"skipped": "py-spy wrote no samples (did it attach?)"}
    by_area: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count, frames = int(count_text), stack.split(";")
        total += count
        by_area[_area(frames, areas)] += count
        match = _FRAME.match(frames[-1])
        leaf = f"{match['function']} ({match['file']})" if match else frames[-1]
        functions[leaf] += count

    def share(counter: Counter[str], n: int | None = None) -> dict[str, float]:
        return {k: round(100 * v / total, 1) for k, v in counter.most_common(n)}

    return {
        "samples": total,
        "areas_pct": share(by_area) if total else {},
        "top_functions_self_pct": share(functions, top) if total else {},
    }
