"""The ingestion worker: the consume loop (application.consuming) with what it needs around
it, typed by ports only. The composition root builds it (entrypoints.wiring.ingestion) and
holds the process's clients open around it (entrypoints.wiring.lifetimes).

- `worker`: one run of the worker, from its start checks to a stop with grace, and its exit
  codes
- `checks`: what it checks before it consumes, and what it waits out (an outage, a denial)
  rather than fail
- `reports`: what it says of itself while it runs (lag, stash, state)
- `restarts`: the worker of `streamview run`, started again after a failure with backoff
"""
