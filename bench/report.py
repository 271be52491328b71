"""The results as one markdown table (printed, and kept in docs/benchmarks.md) and as JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
START, END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"

Row = tuple[str, str, str, bool | None]  # figure, measured, target, met (None: no target)


def _n(value: float | int) -> str:
    return f"{value:,.0f}"


def _skip_reason(result: dict) -> str:
    """A skipped baseline's reason, shortened to the artifact Maven could not find."""
    reason = result.get("skipped")
    if reason is None:
        return str(result)
    artifact = re.search(r"([\w.-]+:[\w.-]+:jar:[\w.-]+)", reason)
    if artifact:
        return f"skipped: {artifact.group(1)} is not served by Maven Central (see below)"
    return f"skipped: {reason}"


def _ingest(r: dict) -> list[Row]:
    sv, naive = r["streamview"], r["naive"]
    rows: list[Row] = [
        (
            f"1 Ingest, {_n(sv['records'])} records, 1 worker, until lag 0",
            f"{_n(sv['records_per_s'])} records/s = {_n(sv['events_per_s'])} events/s "
            f"({sv['seconds']} s)",
            "≥ 30,000/s",
            sv["events_per_s"] >= 30_000,
        ),
        (
            f"1a Naive design (1 tx + 1 commit per event), first {_n(naive['events'])}",
            f"{_n(naive['events_per_s'])} events/s → StreamView {r['speedup_vs_naive']}×",
            "≥ 12×",
            r["speedup_vs_naive"] >= 12,
        ),
        (
            "1b Ceiling: raw aiokafka consumption, no DB",
            f"{_n(r['ceiling_raw_consume']['messages_per_s'])} msgs/s "
            f"(StreamView at {r['fraction_of_consume_ceiling']:.0%})",
            "—",
            None,
        ),
        (
            "1b Ceiling: raw PostgreSQL COPY, same row count",
            f"{_n(r['ceiling_raw_copy']['rows_per_s'])} rows/s",
            "—",
            None,
        ),
        (
            "1c Kafka Connect + JDBC sink (upsert)",
            _skip_reason(r["kafka_connect"]),
            "—",
            None,
        ),
    ]
    avro = r.get("avro", {})
    if "records_per_s" in avro:
        rows.insert(
            1,
            (
                f"1 Ingest, same events as registry-framed Avro, {_n(avro['records'])} records",
                f"{_n(avro['records_per_s'])} records/s = {_n(avro['events_per_s'])} events/s "
                f"({avro['seconds']} s)",
                "—",
                None,
            ),
        )
    elif avro:
        rows.insert(1, ("1 Ingest as registry-framed Avro", _skip_reason(avro), "—", None))
    if "memory" in r:
        rss = r["memory"]["worker_peak_rss_mb"]
        rows.append(("6 Worker peak RSS during 1", f"{rss} MB", "≤ 300 MB", rss <= 300))
    return rows


def _reads(r: dict) -> list[Row]:
    sat, fixed = r["saturation"], r["fixed_rate"]
    orders = (r.get("orders_in_views") or {}).get("orders", 0)
    return [
        (
            f"2 GET /orders/{{id}} saturation ({sat['tool']}, {sat.get('connections', '?')} conns, "
            f"{_n(orders)} orders)",
            f"{_n(sat['rps'])} RPS, p50 {sat['p50_ms']} ms, p99 {sat['p99_ms']} ms, "
            f"{sat['errors']} errors",
            "≥ 5,000 RPS, p99 ≤ 10 ms",
            sat["rps"] >= 5000 and sat["p99_ms"] <= 10,
        ),
        (
            f"2 GET /orders/{{id}} at fixed {_n(fixed['target_rps'])} RPS",
            f"{_n(fixed['rps'])} RPS, p50 {fixed['p50_ms']} ms, p99 {fixed['p99_ms']} ms, "
            f"{fixed['errors']} errors",
            "p99 ≤ 10 ms",
            fixed["p99_ms"] <= 10,
        ),
        _areas(r["api_profile"], "2 Profile of the API at saturation, CPU samples by area"),
    ]


def _areas(profile: dict, label: str) -> Row:
    if "skipped" in profile:
        return (label, f"skipped: {profile['skipped']}", "—", None)
    areas = ", ".join(f"{area} {pct}%" for area, pct in list(profile["areas_pct"].items())[:4])
    return (f"{label} ({_n(profile['samples'])} samples)", areas, "—", None)


def _lists(r: dict) -> list[Row]:
    n = len(r["combinations"])
    return [
        (
            f"3 GET /orders, {n} filter×sort×depth combinations, worst p99",
            f"{r['worst_p99_ms']} ms ({r['worst_combination']}), {r['errors']} errors",
            "p99 ≤ 20 ms",
            r["worst_p99_ms"] <= 20 and r["errors"] == 0,
        )
    ]


def _freshness(r: dict) -> list[Row]:
    return [
        (
            f"4 Freshness at {_n(r['rate_events_per_s'])} events/s ({r['samples']} samples)",
            f"p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, {r['not_visible_within_10s']} lost",
            "p99 ≤ 100 ms",
            r["p99_ms"] <= 100 and r["not_visible_within_10s"] == 0,
        )
    ]


def _live(r: dict) -> list[Row]:
    clients = f"{_n(r['sse_clients'])} streams + {_n(r['idle_waiters'])} waiters"
    return [
        (
            f"7 Change streams at {_n(r['rate_events_per_s'])} events/s, {clients}, produce→event",
            f"p50 {r['sse_p50_ms']} ms, p99 {r['sse_p99_ms']} ms, "
            f"{r['sse_deliveries']}/{r['sse_expected']} delivered, "
            f"{r['sse_streams_ended_by_server']} dropped",
            "every event delivered",
            r["sse_deliveries"] == r["sse_expected"] and r["sse_streams_ended_by_server"] == 0,
        ),
        (
            f"7 minSequence reads during the same ingest ({r['samples']} samples), produce→200",
            f"p50 {r['min_sequence_p50_ms']} ms, p99 {r['min_sequence_p99_ms']} ms, "
            f"{r['min_sequence_not_reached']} not reached",
            "0 not reached",
            r["min_sequence_not_reached"] == 0,
        ),
    ]


def _rebuild(r: dict) -> list[Row]:
    if "skipped" in r:
        return [
            ("5 Rebuild with reads running", f"skipped: {r['skipped']}", "≤ 60 s, 0 errors", None)
        ]
    return [
        (
            f"5 Rebuild of {_n(r['topic_records'])} records with reads running",
            f"{r['state']} in {r['seconds']} s, {r['read_errors']} read errors of {_n(r['reads'])}",
            "≤ 60 s, 0 errors",
            r["state"] == "SUCCEEDED" and r["seconds"] <= 60 and r["read_errors"] == 0,
        )
    ]


def _memory(r: dict) -> list[Row]:
    rss = r["worker_peak_rss_mb"]
    return [("6 Worker peak RSS while draining the topic", f"{rss} MB", "≤ 300 MB", rss <= 300)]


def _profile(r: dict) -> list[Row]:
    return [_areas(r, "1 Profile of the worker while ingesting, CPU samples by area")]


_ROWS = {
    "ingest": _ingest,
    "reads": _reads,
    "lists": _lists,
    "freshness": _freshness,
    "live": _live,
    "rebuild": _rebuild,
    "memory": _memory,
    "profile": _profile,
}


def table(results: dict[str, Any]) -> str:
    lines = ["| Scenario | Measured | Target | Met |", "|---|---|---|---|"]
    for name, result in results["scenarios"].items():
        if "error" in result:
            lines.append(f"| {name} | failed: {result['error'].splitlines()[0][:150]} | | ✗ |")
            continue
        for figure, measured, target, met in _ROWS[name](result):
            mark = "" if met is None else ("✓" if met else "✗")
            lines.append(f"| {figure} | {measured} | {target} | {mark} |")
    return "\n".join(lines)


def details(results: dict[str, Any]) -> str:
    """What the one-line rows leave out: the CPU split of the ingest, the slow list shapes."""
    parts = []
    ingest = results["scenarios"].get("ingest", {})
    if "streamview" in ingest:
        busy = ingest["streamview"]["cpu"]["cores_busy"]
        split = ", ".join(f"{kind} {cores}" for kind, cores in busy.items())
        parts.append(f"Cores busy on average while the worker drained the topic: {split}.")
    lists = results["scenarios"].get("lists", {})
    slow = [c for c in lists.get("combinations", []) if c["p99_ms"] > 20]
    if slow:
        rows = [
            "| filter | sort | depth (page) | requests | p50 ms | p99 ms |",
            "|---|---|---|---|---|---|",
        ]
        for c in sorted(slow, key=lambda c: -c["p99_ms"]):
            rows.append(
                f"| {c['filter']} | {c['sort']} | {c['depth']} ({c['page']}) | {c['requests']} "
                f"| {c['p50_ms']} | {c['p99_ms']} |"
            )
        parts.append(
            f"List combinations over the 20 ms target ({len(slow)} of "
            f"{len(lists['combinations'])}):\n\n" + "\n".join(rows)
        )
    return "\n\n".join(parts)


def machine_line(machine: dict) -> str:
    return (
        f"{machine['nproc']} cores ({machine['cpu']}), {machine['memory_gb']} GB, "
        f"Linux {machine['kernel']}, Python {machine['python']}, PostgreSQL "
        f"{machine['postgresql']}, Kafka {machine['kafka']}; load average before "
        f"{machine['load_average_before']}, after {machine.get('load_average_after')}"
    )


def write_json(results: dict, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    suffix = "" if results["size"] == "full" else f"-{results['size']}"
    path = directory / f"{results['started_at'][:10]}{suffix}.json"
    body = {key: value for key, value in results.items() if key != "json_path"}
    path.write_text(json.dumps(body, indent=2, default=str) + "\n")
    return path


def update_docs(results: dict, markdown: str, docs: Path = DOCS) -> None:
    """Replace the results block of docs/benchmarks.md (between the two markers)."""
    block = (
        f"{START}\nMeasured {results['started_at']} with `{results['command']}` on "
        f"{machine_line(results['machine'])}.\n\n{markdown}\n\n{details(results)}\n{END}"
    )
    text = docs.read_text()
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
    docs.write_text(
        pattern.sub(lambda _: block, text) if pattern.search(text) else f"{text}\n{block}\n"
    )
