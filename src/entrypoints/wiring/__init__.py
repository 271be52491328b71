"""The production wiring in small containers, composed by `entrypoints.container.Container`.

- `infrastructure`: the settings, the pools, Kafka's security and names, metrics, tracing.
- `write_side`: what the worker projects through (store, dead letters, schemas, topic guard).
- `read_side`: the API's reads (store, queries, cursors, read-your-writes, change streams).
- `ops`: lag, readiness, the ops tokens, dead letters read back and redriven.
- `rebuilds`: view rebuilds, requested by the API or CLI and run by the worker process.
- `ingestion`: the worker, built from what it uses.
- `lifetimes`: what a process holds open while it runs (dependency-injector Resources).
"""
