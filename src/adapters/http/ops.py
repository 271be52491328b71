"""Ops endpoints (CONTRACT §5), mounted behind the OpsOnly guard by `create_app`."""

from __future__ import annotations

import asyncio

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.exceptions import ServiceUnavailableException
from loguru import logger

from adapters.http.limits import limits_spec
from adapters.http.problems import problem_spec
from adapters.http.schemas import LagBody, lag_body
from application.ops import ReportLag

# Lag needs the broker's end offsets; a broker that hangs must not hang the API with it.
LAG_TIMEOUT_SECONDS = 5.0

OPS_RESPONSES = {
    401: problem_spec("No valid bearer token (missing, malformed, forged or expired)"),
    403: problem_spec("The token is valid but its roles do not include `ops`"),
}


class OpsController(Controller):
    """Operator views of the consumer. The rebuild endpoints are another controller
    passed to `create_app(ops_controllers=...)`, so they sit behind the same guard."""

    tags = ("ops",)

    @get(
        ["/lags", "/ops/lags"],
        summary="Consumer lag",
        responses={
            **OPS_RESPONSES,
            503: problem_spec("The broker or the store did not answer"),
            **limits_spec(),
        },
    )
    async def show_lags(self, report_lag: NamedDependency[ReportLag]) -> LagBody:
        """Consumer state and per-partition lag of the orders topic."""
        try:
            async with asyncio.timeout(LAG_TIMEOUT_SECONDS):
                report = await report_lag()
        except TimeoutError:
            raise ServiceUnavailableException(
                f"the broker did not report end offsets within {LAG_TIMEOUT_SECONDS:g}s"
            ) from None
        except Exception as error:  # an outage of the broker or the store, not a bad request
            logger.opt(exception=error).warning("lag report failed")
            raise ServiceUnavailableException(
                f"lag is unavailable: {type(error).__name__} from the broker or the store"
            ) from None
        return lag_body(report)
