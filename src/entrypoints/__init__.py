"""The service's ways in: the worker, the API, the commands that operate them, and the
composition root (`bootstrap`, `container`) that wires them. Developer tooling (local stack,
demo, generator, producer) lives in `devtools`."""
