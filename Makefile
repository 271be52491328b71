# StreamView — the two commands are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The views of the tests (docs/adding-a-view.md): each a distribution of its own, installed
# beside StreamView as a team's view would be.
TEST_VIEWS := $(wildcard tests/plugins/*/pyproject.toml)
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(TEST_VIEWS) | sha1sum | cut -c1-12)

.PHONY: venv test unit integration lint demo bench clean stack-up stack-down stack-status

venv: $(STAMP)

$(STAMP): pyproject.toml $(TEST_VIEWS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]' $(foreach v,$(TEST_VIEWS),-e $(dir $(v)))
	@rm -f $(VENV)/.installed-* && touch $@

# mypy also checks the in-memory adapters (through their contract tests) and the test fakes
# that stand in for ports against the Protocols: each of these files assigns its fakes to the
# Protocols (`_stand_in_for_the_ports`) or passes them to typed use cases. A new fake of a
# port goes in such a file, or its file goes in this list.
PORT_FAKES := tests/unit/test_rebuild_adapters_memory.py tests/unit/test_end_offsets_memory.py \
  tests/unit/test_dead_letters_memory.py tests/unit/test_record_source_memory.py \
  tests/unit/test_topic_guard.py tests/unit/test_dead_letter_ops.py \
  tests/unit/test_dead_letter_ops_memory.py tests/unit/test_http_dead_letters.py \
  tests/unit/test_http_orders.py tests/unit/test_change_hub.py tests/unit/test_http_health.py \
  tests/unit/test_project_batch.py tests/unit/test_consuming.py \
  tests/unit/test_metrics_exposition.py tests/unit/test_report_lag.py \
  tests/unit/test_http_auth.py tests/unit/test_freshness.py tests/unit/test_broker_commits.py \
  tests/unit/test_writer_schemas.py tests/unit/test_worker_resilience.py \
  tests/unit/test_change_log_memory.py tests/unit/test_topic_inspector_memory.py \
  tests/unit/test_customers_projecting.py tests/unit/test_customer_reader_memory.py \
  tests/unit/test_http_customers.py tests/unit/test_ingestion_worker.py \
  tests/integration/test_http_postgres.py

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src
	$(BIN)/mypy tests/support $(PORT_FAKES)
	$(BIN)/mypy $(foreach v,$(TEST_VIEWS),$(dir $(v))src)

unit: venv
	$(BIN)/pytest -m unit -q

integration: venv
	$(BIN)/pytest -m integration -q

test: lint
	$(BIN)/pytest -q

# DEMO_ARGS, e.g. make demo DEMO_ARGS="--orders 5000 --duration 60"
demo: venv
	$(BIN)/streamview demo $(DEMO_ARGS)

# BENCH_ARGS, e.g. make bench BENCH_ARGS="ingest --quick"; figures land in docs/benchmarks.md
bench: venv
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null 2>&1; } \
	  || echo "make bench: wrk not installed; the Python load generator is used for saturation"
	$(BIN)/python -m bench.runner $(or $(BENCH_ARGS),all)

stack-up: venv
	$(BIN)/streamview stack up

stack-down: venv
	$(BIN)/streamview stack down

stack-status: venv
	$(BIN)/streamview stack status

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
