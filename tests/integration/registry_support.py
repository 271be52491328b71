"""A real schema registry (Apicurio, Confluent API) for integration tests.

The session's registry runs in a state dir of its own beside the test stack's, on port 18081
(STREAMVIEW_TEST_REGISTRY_PORT), shared by concurrent test sessions like the test stack: the
last one to finish stops it. A disposable registry (its own state dir and port) is for the
tests that stop or freeze one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from devtools.localstack import StackConfig
from devtools.localstack.locks import file_lock
from devtools.localstack.registry import RegistryNode
from tests.support.processes import free_port

ENV_TEST_REGISTRY_PORT = "STREAMVIEW_TEST_REGISTRY_PORT"
TEST_REGISTRY_PORT = 18081


class RegistryOnlyStack:
    """The registry alone, with the LocalStack interface devtools.localstack.sharing uses."""

    def __init__(self, config: StackConfig, report: Callable[[str], None]) -> None:
        self.config = config
        self.node = RegistryNode(config, report)
        self.started: tuple[str, ...] = ()

    def up(self) -> str:
        self.config.state_dir.mkdir(parents=True, exist_ok=True)
        with file_lock(self.config.state_dir / "stack.lock"):
            started = self.node.start()
            try:
                self.node.wait_ready()
            except BaseException:
                if started:
                    self.node.stop()
                raise
        self.started = (self.node.name,) if started else ()
        return self.node.url

    def down(self, only: Iterable[str] | None = None) -> list[str]:
        if only is not None and self.node.name not in set(only):
            return []
        with file_lock(self.config.state_dir / "stack.lock"):
            return [self.node.name] if self.node.stop() else []


def registry_stack_config(stack_config: StackConfig) -> StackConfig:
    port = int(os.environ.get(ENV_TEST_REGISTRY_PORT, TEST_REGISTRY_PORT))
    state_dir = Path(f"{stack_config.state_dir}-registry")
    return replace(stack_config, state_dir=state_dir, registry=True, registry_port=port)


@contextmanager
def disposable_registry_node(
    stack_config: StackConfig, state_dir: Path, report: Callable[[str], None]
) -> Iterator[RegistryNode]:
    """A registry of one test alone, stopped afterwards whatever happened to it."""
    config = replace(stack_config, state_dir=state_dir, registry=True, registry_port=free_port())
    node = RegistryNode(config, report)
    node.start()
    try:
        node.wait_ready()
        yield node
    finally:
        node.stop()
