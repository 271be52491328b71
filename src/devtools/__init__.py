"""Developer tooling beside the service: the local Kafka/PostgreSQL stack, the demo, the
record generator and producer, ops-token minting and the benchmarks' command. The service's
own ways in (worker, API, the commands that operate it) are in `entrypoints`; the `streamview`
command carries both families."""
