"""The HTTP adapter: a Litestar app over the read-side and ops use cases."""

from adapters.http.app import HttpMetrics, UseCases, create_app
from adapters.http.auth import OpsPolicy

__all__ = ["HttpMetrics", "OpsPolicy", "UseCases", "create_app"]
