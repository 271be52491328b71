"""Every benchmark scenario at its quick size, as a smoke check: it runs end to end against
the real stack and reports sane figures. No timing is asserted here (docs/benchmarks.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench import report, runner
from bench.scenarios.lists import FILTERS, SORTS
from bench.sizes import QUICK

from tests.integration.conftest import StackEndpoints


@pytest.fixture(scope="module")
def results(
    stack_endpoints: StackEndpoints, registry_url: str, tmp_path_factory: pytest.TempPathFactory
) -> dict:
    return runner.run(
        list(runner.ALL),
        QUICK,
        stack_endpoints.kafka_bootstrap,
        stack_endpoints.admin_database_url,
        registry_url=registry_url,
        results_dir=tmp_path_factory.mktemp("bench-results"),
    )


def scenario(results: dict, name: str) -> dict:
    result = results["scenarios"][name]
    assert "error" not in result, result.get("error")
    return result


def test_results_are_written_as_json_with_the_machine(results: dict) -> None:
    written = json.loads(Path(results["json_path"]).read_text())
    assert written["size"] == "quick"
    assert set(written["scenarios"]) == set(runner.ALL)
    assert written["machine"]["nproc"] >= 1
    assert written["machine"]["postgresql"]


def test_ingest_applies_every_event_and_measures_every_baseline(results: dict) -> None:
    ingest = scenario(results, "ingest")
    assert ingest["views"]["orders"] == QUICK.orders
    assert ingest["views"]["applied_events"] == QUICK.events
    assert ingest["views"]["stashed"] == 0
    assert ingest["streamview"]["records"] >= QUICK.events  # duplicates come on top
    assert ingest["streamview"]["records_per_s"] > 0
    assert ingest["streamview"]["worker_exit_code"] == 0
    assert ingest["naive"]["events"] == QUICK.naive_events
    assert ingest["naive"]["events_per_s"] > 0
    assert ingest["ceiling_raw_consume"]["messages"] == ingest["streamview"]["records"]
    assert ingest["ceiling_raw_copy"]["rows_per_s"] > 0
    assert "skipped" in ingest["kafka_connect"]
    assert ingest["memory"]["worker_peak_rss_mb"] > 10
    avro = ingest["avro"]
    assert avro["views"] == ingest["views"]  # the same events, in another wire format
    assert avro["records"] == ingest["streamview"]["records"]
    assert avro["events_per_s"] > 0
    assert avro["worker_exit_code"] == 0


def test_profile_attributes_samples_to_areas(results: dict) -> None:
    profile = scenario(results, "profile")
    if "skipped" not in profile:
        assert profile["samples"] > 0
        assert sum(profile["areas_pct"].values()) == pytest.approx(100, abs=1)


def test_point_reads_answer_without_errors(results: dict) -> None:
    reads = scenario(results, "reads")
    assert reads["orders_in_views"]["orders"] == QUICK.read_orders
    for load in (reads["saturation"], reads["fixed_rate"]):
        assert load["requests"] > 0
        assert load["errors"] == 0
        assert 0 < load["p50_ms"] <= load["p99_ms"]


def test_every_list_combination_is_measured_at_both_depths(results: dict) -> None:
    lists = scenario(results, "lists")
    assert len(lists["combinations"]) == len(FILTERS) * len(SORTS) * 2
    assert lists["errors"] == 0
    deep = [c for c in lists["combinations"] if c["depth"] == "deep" and c["filter"] == "none"]
    assert {c["page"] for c in deep} == {QUICK.list_depth_page}
    assert all(c["p99_ms"] > 0 for c in lists["combinations"])


def test_freshness_sees_every_sampled_event(results: dict) -> None:
    freshness = scenario(results, "freshness")
    assert freshness["samples"] > 0
    assert freshness["not_visible_within_10s"] == 0
    assert 0 < freshness["p50_ms"] <= freshness["p99_ms"]


def test_streams_and_read_your_writes_deliver_every_sampled_change(results: dict) -> None:
    live = scenario(results, "live")
    assert live["samples"] > 0
    assert live["sse_deliveries"] == live["sse_expected"] > 0
    assert live["sse_streams_ended_by_server"] == 0
    assert live["min_sequence_not_reached"] == 0
    assert set(live["idle_waiter_answers"]) <= {"412"}


def test_rebuild_succeeds_while_reads_keep_answering(results: dict) -> None:
    rebuild = scenario(results, "rebuild")
    assert rebuild["state"] == "SUCCEEDED"
    assert rebuild["reads"] > 0
    assert rebuild["read_errors"] == 0


def test_the_table_has_a_row_per_figure(results: dict) -> None:
    table = report.table(results)
    assert table.count("\n") >= 12
    assert "failed" not in table
