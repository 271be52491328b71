"""Every STREAMVIEW_* setting, read from the environment once and validated at start."""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import msgspec

from adapters.kafka.security import kafka_security
from application.consuming import BATCH_MAX_RECORDS
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
    # Kafka security, checked and applied to every client by adapters.kafka.security.
    # A secret may be given as a file instead (the _FILE variant), as mounted secrets are.
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_ssl_ca_file: str | None = None
    kafka_ssl_cert_file: str | None = None
    kafka_ssl_key_file: str | None = None
    kafka_ssl_key_password: str | None = None
    kafka_ssl_key_password_file: str | None = None
    kafka_ssl_check_hostname: bool = True
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_username_file: str | None = None
    kafka_sasl_password: str | None = None
    kafka_sasl_password_file: str | None = None
    kafka_sasl_oauth_token_file: str | None = None
    # Guard rails on the topic (application.topic_guard).
    topic_allow_compacted: bool = False
    topic_min_retention_ms: Positive = 7 * 24 * 3600 * 1000
    topic: str = "orders.events"
    dlq_topic: str = "orders.events.dlq"
    consumer_group: str = "streamview-orders"
    # The view plug-ins this deployment runs (entrypoints.views), comma-separated.
    views: str = "orders"
    default_tax_rate: Decimal = Decimal(0)
    batch_max_records: Positive = BATCH_MAX_RECORDS
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
    # A Confluent-compatible schema registry: turns on reading registry-framed values (magic
    # byte 0 + schema id + Avro or JSON Schema body). Unset: such a value is a dead letter.
    schema_registry_url: str | None = None
    schema_registry_user: str | None = None  # HTTP basic auth, with the password
    schema_registry_password: str | None = None
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
        if not self.views.strip():
            raise ValueError("STREAMVIEW_VIEWS must name at least one view (e.g. orders)")
        check_secrets(self)
        kafka_security(self.as_dict())  # a bad combination stops the start, naming the variable
        url = self.schema_registry_url
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError("STREAMVIEW_SCHEMA_REGISTRY_URL must be an http:// or https:// URL")
        if self.schema_registry_password is not None and self.schema_registry_user is None:
            raise ValueError(
                "STREAMVIEW_SCHEMA_REGISTRY_PASSWORD needs STREAMVIEW_SCHEMA_REGISTRY_USER"
            )

    def __repr__(self) -> str:  # secrets never reach a log line or a traceback
        shown = {k: _masked(k, v) for k, v in self.as_dict().items()}
        return f"Settings({', '.join(f'{k}={v!r}' for k, v in shown.items())})"

    def as_dict(self) -> dict[str, Any]:
        return msgspec.structs.asdict(self)


def _masked(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name.endswith(("password", "secret", "username", "_user")) and not name.endswith("_file"):
        return "***"
    if name == "database_url":  # postgresql://user:password@host/...
        parts = urlsplit(value)
        if parts.password is not None:
            host = parts.netloc.rsplit("@", 1)[1]
            return parts._replace(netloc=f"{parts.username}:***@{host}").geturl()
    return value


def _explain(error: msgspec.ValidationError) -> str:
    message = str(error)
    if "`$." in message:
        field = message.rsplit("`$.", 1)[1].rstrip("`")
        return f"invalid {PREFIX}{field.upper()}: {message.rsplit(' - at', 1)[0]}"
    return f"invalid settings: {message}"
