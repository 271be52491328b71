"""How a controller gets its use cases: one way, for the engine's routes and the views'."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar.di import Provide


def use_case(factory: Callable[[], Any]) -> Provide:
    """A Litestar dependency that asks `factory` (a zero-argument factory: the composition
    root decides lifetimes) on each request. Type the handler's parameter by a class: Litestar
    checks a dependency's type at run time, which a Protocol cannot be checked against."""

    # A plain function: Litestar inspects the signature of what it is given.
    def resolve() -> Any:
        return factory()

    return Provide(resolve, sync_to_thread=False)


def use_cases(**factories: Callable[[], Any]) -> dict[str, Provide]:
    """Dependencies by the handlers' parameter names."""
    return {name: use_case(factory) for name, factory in factories.items()}
