"""CPU seconds spent by each kind of process during a measurement (worker, PostgreSQL,
Kafka, the rest): on 2 cores this says who the bottleneck is before any profiler does."""

from __future__ import annotations

import os
import time

import psutil

Snapshot = dict[int, tuple[str, float]]


def _kind(process: psutil.Process, watched: set[int]) -> str:
    if process.pid in watched:
        return "streamview"
    if process.pid == os.getpid():
        return "bench (this process)"
    name = process.name()
    if name.startswith("postgres"):
        return "postgres"
    if name == "java" and any("kafka.Kafka" in part for part in process.cmdline()):
        return "kafka"
    return "other"


def snapshot(watched: set[int]) -> tuple[float, Snapshot]:
    """Wall clock and CPU time (user + system) of every process, labelled by kind."""
    taken: Snapshot = {}
    for process in psutil.process_iter():
        try:
            times = process.cpu_times()
            taken[process.pid] = (_kind(process, watched), times.user + times.system)
        except psutil.Error:  # gone, or not ours to read
            continue
    return time.perf_counter(), taken


def usage(before: tuple[float, Snapshot], after: tuple[float, Snapshot]) -> dict:
    """CPU seconds by kind between two snapshots, and as cores busy on average."""
    wall = after[0] - before[0]
    by_kind: dict[str, float] = {}
    for pid, (kind, total) in after[1].items():
        start = before[1].get(pid, (kind, 0.0))[1]  # a process born in between starts at 0
        by_kind[kind] = by_kind.get(kind, 0.0) + max(0.0, total - start)
    return {
        "wall_s": round(wall, 2),
        "cpu_s": {kind: round(seconds, 1) for kind, seconds in sorted(by_kind.items())},
        "cores_busy": {kind: round(seconds / wall, 2) for kind, seconds in sorted(by_kind.items())},
    }
