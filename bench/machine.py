"""What the figures were measured on: cores, memory, load, and the versions that matter."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from importlib import metadata

import psutil
import psycopg

_PACKAGES = ("aiokafka", "psycopg", "litestar", "msgspec", "uvicorn")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _wrk_version() -> str | None:
    if shutil.which("wrk") is None:
        return None
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).split("[")[0].strip() or "wrk"


def describe(admin_database_url: str, kafka_version: str | None) -> dict:
    with psycopg.connect(admin_database_url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return {
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": row[0] if row else None,
        "kafka": kafka_version,
        "packages": {name: metadata.version(name) for name in _PACKAGES},
        "wrk": _wrk_version(),
        "load_average_before": load_average(),
    }
