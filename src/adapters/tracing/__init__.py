"""OpenTelemetry tracing: the provider from OTEL_* variables, spans, record trace context."""

from adapters.tracing.provider import tracer_provider_from_env, tracing_enabled
from adapters.tracing.spans import OtelSpans

__all__ = ["OtelSpans", "tracer_provider_from_env", "tracing_enabled"]
