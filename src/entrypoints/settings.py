"""Every STREAMVIEW_* setting, read from the environment once and validated at start."""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec

from entrypoints.api_secrets import check_secrets

PREFIX = "STREAMVIEW_"

Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
Positive = Annotated[int, msgspec.Meta(ge=1)]


class SettingsError(ValueError):
    pass


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    backend: Literal["postgres", "memory"] = "postgres"
    database_url: str = "postgresql://streamview@127.0.0.1:5432/streamview"
    db_pool_min: Positive = 2
    db_pool_max: Positive = 10
    db_pool_timeout_ms: Positive = 5000
    kafka_bootstrap: str = "127.0.0.1:9092"
    topic: str = "orders.events"
    dlq_topic: str = "orders.events.dlq"
    consumer_group: str = "streamview-orders"
    default_tax_rate: Decimal = Decimal(0)
    batch_max_records: Positive = 2000
    batch_max_wait_ms: Positive = 100
    retry_backoff_max_ms: Positive = 30000
    lag_refresh_ms: Positive = 5000
    http_host: str = "0.0.0.0"
    http_port: Port = 8080
    http_workers: Positive = 1
    metrics_port: Port = 9108
    # The API's secrets (entrypoints.api_secrets): required outside development mode.
    dev_mode: bool = False
    ops_jwt_secret: str | None = None
    ops_jwt_public_key_file: str | None = None
    ops_jwt_issuer: str | None = None
    ops_jwt_audience: str | None = None
    ops_jwt_max_lifetime_s: Positive = 86_400
    cursor_secret: str | None = None
    api_statement_timeout_ms: Positive = 5000
    allow_rebuild: bool = True
    # Read-your-writes and change streams (application.freshness, application.change_stream).
    read_wait_max_ms: Positive = 10_000
    read_waiters_max: Positive = 10_000
    change_retention_s: Positive = 86_400
    change_subscribers_max: Positive = 1000
    change_queue_max: Positive = 10_000
    change_heartbeat_ms: Positive = 15_000
    # Dead letters sent back to their source topic at most this many times each.
    redrive_max: Positive = 3
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {
            name[len(PREFIX) :].lower(): value
            for name, value in environ.items()
            if name.startswith(PREFIX) and name[len(PREFIX) :].lower() in cls.__struct_fields__
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return msgspec.convert(values, cls, strict=False)
        except msgspec.ValidationError as error:
            raise SettingsError(_explain(error)) from None

    def __post_init__(self) -> None:
        if not (self.default_tax_rate.is_finite() and 0 <= self.default_tax_rate <= 1):
            raise ValueError("STREAMVIEW_DEFAULT_TAX_RATE must be between 0 and 1")
        if self.db_pool_min > self.db_pool_max:
            raise ValueError("STREAMVIEW_DB_POOL_MIN must not exceed STREAMVIEW_DB_POOL_MAX")
        check_secrets(self)

    def as_dict(self) -> dict[str, Any]:
        return msgspec.structs.asdict(self)


def _explain(error: msgspec.ValidationError) -> str:
    message = str(error)
    if "`$." in message:
        field = message.rsplit("`$.", 1)[1].rstrip("`")
        return f"invalid {PREFIX}{field.upper()}: {message.rsplit(' - at', 1)[0]}"
    return f"invalid settings: {message}"
