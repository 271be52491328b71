"""The service's ways in: the worker, the API, the commands that operate them, and the
composition root (`bootstrap`, `container`) that wires them."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from types import ModuleType

# Developer tooling moved to the `devtools` package; code written against the old paths
# (`entrypoints.localstack.kafka`, `entrypoints.producing`, ...) still imports, and gets the
# very same module objects. New code imports `devtools.*`.
_MOVED = {
    "entrypoints.localstack": "devtools.localstack",
    "entrypoints.demo": "devtools.demo",
    "entrypoints.memory_demo": "devtools.memory_demo",
    "entrypoints.generator": "devtools.generator",
    "entrypoints.producing": "devtools.producing",
}


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if _new_name(fullname) is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        new_name = _new_name(spec.name)
        assert new_name is not None
        return importlib.import_module(new_name)

    def exec_module(self, module: ModuleType) -> None:
        """Already executed under its new name."""


def _new_name(fullname: str) -> str | None:
    for old, new in _MOVED.items():
        if fullname == old or fullname.startswith(old + "."):
            return new + fullname[len(old) :]
    return None


if not any(isinstance(finder, _MovedModules) for finder in sys.meta_path):
    sys.meta_path.insert(0, _MovedModules())
