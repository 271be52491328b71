"""StreamView benchmarks: `make bench` / `python -m bench.runner` (see docs/benchmarks.md).

Everything here drives the real processes from outside (`streamview consume`, `streamview
serve`, Kafka, PostgreSQL) the way an operator would, so the figures are end to end.
"""
