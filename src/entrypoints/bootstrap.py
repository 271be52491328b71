"""The composition root: settings in, a wired container out, for each way the service runs.

- `build_container`: the production wiring (`entrypoints.container`, composed of the small
  containers of `entrypoints.wiring`), with the in-memory adapters swapped in for
  STREAMVIEW_BACKEND=memory (`entrypoints.memory_backend`, where a rebuild replays in this
  process), else a rebuild's long replay sent to a child process (`entrypoints.replay_process`).
- `with_worker_probe`: /health/ready of a process that runs its own worker.
- `check_api_configuration`: the API's secrets checked before it serves.
The worker (`container.ingestion.worker()`) and the API (`entrypoints.asgi`) are built from it.
"""

from __future__ import annotations

from dependency_injector import providers

from entrypoints.api_secrets import missing_message, variable, with_dev_secrets
from entrypoints.container import Container
from entrypoints.memory_backend import use_memory_backend
from entrypoints.replay_process import ReplayInChildProcess
from entrypoints.settings import Settings, SettingsError
from entrypoints.views import UnknownView


def build_container(settings: Settings | None = None) -> Container:
    """In development mode the built-in secrets stand in for those not configured."""
    container = Container()
    container.config.from_dict(with_dev_secrets(settings or Settings.from_env()).as_dict())
    try:
        container.infrastructure.views()  # STREAMVIEW_VIEWS checked at the start
    except UnknownView as error:
        raise SettingsError(str(error)) from None
    if container.config.backend() == "memory":
        use_memory_backend(container)
    else:
        container.rebuilds.bulk_replay.override(
            providers.Factory(ReplayInChildProcess, settings=container.config)
        )
    return container


def with_worker_probe(container: Container) -> Container:
    """/health/ready of a process that runs its own worker also says whether it failed."""
    if container.config.backend() == "postgres":
        ops = container.ops
        ops.readiness_probes.override(
            providers.List(
                ops.postgres_probe, ops.schema_probe, ops.kafka_readiness, ops.consumer_probe
            )
        )
    return container


def check_api_configuration(container: Container) -> None:
    """Build what the API needs from its secrets now (SettingsError naming the variable), so
    that a missing secret or a bad key file stops the start, not the first request."""
    config, missing = container.config, []
    if config.ops_jwt_secret() is None and not config.ops_jwt_public_key_file():
        missing.append(f"{variable('ops_jwt_secret')} (or {variable('ops_jwt_public_key_file')})")
    if config.cursor_secret() is None:
        missing.append(variable("cursor_secret"))
    if missing:
        raise SettingsError(missing_message(missing))
    container.ops.ops_policy()
    container.read_side.cursor_codec()
