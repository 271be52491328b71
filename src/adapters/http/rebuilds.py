"""The rebuild endpoints, mounted by `create_app(ops_controllers=...)` behind OpsOnly.

`POST` only records the request; the worker process runs it, so `GET` reads its progress
from the store (it survives API restarts) and `DELETE` asks the worker to cancel.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, Response, delete, get, post
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from adapters.http.dependencies import use_cases
from adapters.http.limits import limits_spec
from adapters.http.ops import OPS_RESPONSES
from adapters.http.problems import problem_spec, unavailable_spec
from adapters.http.schemas import CamelStruct, utc
from application.rebuild.model import Rebuild, RebuildMode, RebuildPhase, RebuildState, progress_of
from application.rebuild.requests import CancelRebuild, GetRebuild, StartRebuild

LOCATION = "/views/rebuild/{}"


class RebuildAccepted(CamelStruct, frozen=True):
    rebuild_id: str
    state: RebuildState


class RebuildBody(CamelStruct, frozen=True):
    rebuild_id: str
    mode: RebuildMode
    state: RebuildState
    phase: RebuildPhase
    events_replayed: Annotated[int, msgspec.Meta(description="Records replayed so far")]
    target_events: Annotated[int, msgspec.Meta(description="Records up to the target offsets")]
    target_offsets: Annotated[
        dict[str, int], msgspec.Meta(description="End offset per partition captured at start")
    ]
    progress: Annotated[float, msgspec.Meta(description="Percent; 100 once the swap is done")]
    rate: Annotated[float | None, msgspec.Meta(description="Records replayed per second")]
    eta_seconds: float | None
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    cancel_requested: bool
    error: str | None


def rebuild_body(rebuild: Rebuild) -> RebuildBody:
    p = progress_of(rebuild)
    return RebuildBody(
        rebuild_id=rebuild.rebuild_id,
        mode=rebuild.mode,
        state=rebuild.state,
        phase=rebuild.phase,
        events_replayed=p.events_replayed,
        target_events=p.target_events,
        target_offsets={str(part): n for part, n in sorted(rebuild.target_offsets.items())},
        progress=p.percent,
        rate=p.rate,
        eta_seconds=p.eta_seconds,
        requested_at=utc(rebuild.requested_at),
        started_at=rebuild.started_at and utc(rebuild.started_at),
        finished_at=rebuild.finished_at and utc(rebuild.finished_at),
        cancel_requested=rebuild.cancel_requested,
        error=rebuild.error,
    )


_NOT_FOUND = {404: problem_spec("No rebuild with this id")}


def rebuild_controller(
    start: Callable[[], StartRebuild],
    status: Callable[[], GetRebuild],
    cancel: Callable[[], CancelRebuild],
) -> type[Controller]:
    """The controller over these use case factories (called once per request)."""

    class RebuildController(Controller):
        tags = ("ops",)
        dependencies = use_cases(start_rebuild=start, get_rebuild=status, cancel_rebuild=cancel)

        @post(
            ["/views/rebuild", "/ops/views/rebuild"],
            status_code=202,
            response_headers=[
                ResponseHeader(
                    name="Location", description="The rebuild's status", documentation_only=True
                )
            ],
            responses={
                **OPS_RESPONSES,
                400: problem_spec("`mode` is not one of the modes"),
                409: problem_spec("A rebuild is running already, or rebuilds are disabled"),
                **unavailable_spec(),
                **limits_spec(),
            },
        )
        async def request_rebuild(
            self,
            start_rebuild: NamedDependency[StartRebuild],
            mode: FromQuery[RebuildMode] = RebuildMode.BLUE_GREEN,
        ) -> Response[RebuildAccepted]:
            """Start rebuilding the views from offset 0; reads go on being served meanwhile."""
            rebuild = await start_rebuild(mode)
            return Response(
                RebuildAccepted(rebuild.rebuild_id, rebuild.state),
                status_code=202,
                headers={"Location": LOCATION.format(rebuild.rebuild_id)},
            )

        @get(
            ["/views/rebuild/{rebuildId:str}", "/ops/views/rebuild/{rebuildId:str}"],
            responses={**OPS_RESPONSES, **_NOT_FOUND, **unavailable_spec(), **limits_spec()},
        )
        async def show_rebuild(
            self, rebuildId: FromPath[str], get_rebuild: NamedDependency[GetRebuild]
        ) -> RebuildBody:
            """State, progress, rate and ETA of one rebuild."""
            return rebuild_body(await get_rebuild(rebuildId))

        @delete(
            ["/views/rebuild/{rebuildId:str}", "/ops/views/rebuild/{rebuildId:str}"],
            status_code=202,
            responses={
                **OPS_RESPONSES,
                **_NOT_FOUND,
                409: problem_spec("The rebuild is swapping or finished: too late to cancel"),
                **unavailable_spec(),
                **limits_spec(),
            },
        )
        async def stop_rebuild(
            self, rebuildId: FromPath[str], cancel_rebuild: NamedDependency[CancelRebuild]
        ) -> RebuildBody:
            """Cancel a running rebuild: the live views stay as they are."""
            return rebuild_body(await cancel_rebuild(rebuildId))

    return RebuildController
