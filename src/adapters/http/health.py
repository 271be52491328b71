"""Liveness and readiness: `/health/live` while the process runs, `/health/ready` when every
dependency answers. Clients learn which dependency is not ready, never an address or an
exception's text: those go to the log."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import cast

import msgspec
from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import SkipValidation
from loguru import logger

from adapters.http.limits import limits_spec
from adapters.http.problems import PROBLEM_JSON, TYPE_NOT_READY, Problem, problem_spec
from application.ports import ReadinessProbe

# A probe that hangs is a probe that failed; orchestrators poll again soon anyway.
PROBE_TIMEOUT_SECONDS = 2.0


class Check(msgspec.Struct, frozen=True):
    name: str
    problem: str | None = None


class Health(msgspec.Struct, frozen=True):
    status: str
    checks: list[Check] = msgspec.field(default_factory=list)


class NotReady(Problem, frozen=True):
    checks: list[Check] = msgspec.field(default_factory=list)


class HealthController(Controller):
    path = "/health"
    tags = ("health",)

    @get("/live", summary="Liveness", responses=limits_spec())
    async def live(self) -> Health:
        """Always 200 while the process serves requests."""
        return Health("live")

    @get(
        "/ready",
        summary="Readiness",
        responses={
            503: problem_spec("A dependency is not ready; `checks` says why", NotReady),
            **limits_spec(),
        },
    )
    async def ready(
        # Protocols cannot be isinstance-checked: the composition root vouches for the probes.
        self,
        readiness_probes: NamedDependency[SkipValidation[Sequence[ReadinessProbe]]],
    ) -> Response[Health]:
        """200 when every dependency (database, schema, broker) answers, else 503."""
        checks = await asyncio.gather(*(_check(probe) for probe in readiness_probes))
        failing = [c for c in checks if c.problem is not None]
        if not failing:
            return Response(Health("ready", list(checks)))
        detail = "; ".join(f"{c.name}: {c.problem}" for c in failing)
        body = NotReady(TYPE_NOT_READY, "Service Unavailable", 503, detail, checks=list(checks))
        # Documented as the 503 response; the annotation stays the 200 body for OpenAPI.
        return cast("Response[Health]", Response(body, status_code=503, media_type=PROBLEM_JSON))


class RedactedProbe:
    """A probe whose problems may quote addresses or client errors: they are logged, and the
    client is told that the dependency is not usable."""

    def __init__(self, probe: ReadinessProbe) -> None:
        self._probe = probe
        self.name = probe.name

    async def problem(self) -> str | None:
        problem = await self._probe.problem()
        if problem is None:
            return None
        logger.bind(check=self.name).warning("readiness: {}", problem)
        return "unreachable or not usable (the service log says why)"


async def _check(probe: ReadinessProbe) -> Check:
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
            return Check(probe.name, await probe.problem())
    except TimeoutError:
        return Check(probe.name, f"no answer within {PROBE_TIMEOUT_SECONDS:g}s")
    except Exception as error:  # a probe reports; it never breaks the endpoint
        logger.opt(exception=error).bind(check=probe.name).warning("readiness probe failed")
        return Check(probe.name, "the check failed (the service log says why)")
