"""The production wiring: which adapter implements which port, and each use case once.

Composed of small containers (entrypoints.wiring), each declaring what it takes from the
others. `entrypoints.bootstrap` builds it from the settings (and swaps the in-memory adapters
in for STREAMVIEW_BACKEND=memory: `entrypoints.memory_backend`). A process holds its pools
and clients open as dependency-injector Resources (entrypoints.wiring.lifetimes).
"""

from __future__ import annotations

from dependency_injector import containers, providers

from entrypoints.wiring.infrastructure import Infrastructure
from entrypoints.wiring.ingestion import Ingestion
from entrypoints.wiring.ops import Ops
from entrypoints.wiring.read_side import ReadSide
from entrypoints.wiring.rebuilds import Rebuilds
from entrypoints.wiring.write_side import WriteSide


class Container(containers.DeclarativeContainer):
    config = providers.Configuration(strict=True)

    infrastructure = providers.Container(Infrastructure, config=config)
    write_side = providers.Container(WriteSide, config=config, infrastructure=infrastructure)
    read_side = providers.Container(ReadSide, config=config, infrastructure=infrastructure)
    ops = providers.Container(
        Ops,
        config=config,
        infrastructure=infrastructure,
        write_side=write_side,
        read_side=read_side,
    )
    rebuilds = providers.Container(
        Rebuilds, config=config, infrastructure=infrastructure, write_side=write_side
    )
    ingestion = providers.Container(
        Ingestion,
        config=config,
        infrastructure=infrastructure,
        write_side=write_side,
        rebuilds=rebuilds,
        ops=ops,
    )
