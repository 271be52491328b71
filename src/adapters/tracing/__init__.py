"""OpenTelemetry tracing: the provider from OTEL_* variables, spans (or none, with tracing off),
record trace context."""

from adapters.tracing.null_spans import NullSpans
from adapters.tracing.provider import tracer_provider_from_env, tracing_enabled
from adapters.tracing.spans import OtelSpans

__all__ = ["NullSpans", "OtelSpans", "tracer_provider_from_env", "tracing_enabled"]
