"""The tracer provider, configured only by the standard OTEL_* environment variables.

Tracing is off unless asked for: `OTEL_TRACES_EXPORTER` names an exporter (`otlp`,
`console`, or a comma-separated list), or an OTLP endpoint is set
(`OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`). `OTEL_SDK_DISABLED=true`
wins over both. Everything else (service name, resource attributes, sampler, batch processor
sizes, OTLP headers and timeouts) is read by the OpenTelemetry SDK itself from its own variables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

DEFAULT_SERVICE_NAME = "streamview"
_OTLP_ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


class TracingConfigError(ValueError):
    pass


def exporter_names(environ: Mapping[str, str] | None = None) -> list[str]:
    """The exporters asked for; empty means tracing is off."""
    environ = os.environ if environ is None else environ
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    named = environ.get("OTEL_TRACES_EXPORTER")
    if named is not None:
        names = [n.strip().lower() for n in named.split(",") if n.strip()]
        return [n for n in names if n != "none"]
    # The SDK's own default exporter is `otlp`; StreamView only turns it on when an endpoint
    # says where to send spans, so a bare start never tries to reach a collector.
    return ["otlp"] if any(environ.get(name) for name in _OTLP_ENDPOINTS) else []


def tracing_enabled(environ: Mapping[str, str] | None = None) -> bool:
    return bool(exporter_names(environ))


def _exporter(name: str) -> SpanExporter:
    match name:
        case "otlp":
            # http/protobuf; endpoint, headers, timeout, compression: OTEL_EXPORTER_OTLP_*.
            return OTLPSpanExporter()
        case "console":
            return ConsoleSpanExporter()
        case _:
            raise TracingConfigError(f"unsupported OTEL_TRACES_EXPORTER {name!r} (otlp, console)")


def service_resource() -> Resource:
    """OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES, with `streamview` as the default name."""
    resource = Resource.create()
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: DEFAULT_SERVICE_NAME}))
    return resource


def tracer_provider_from_env(environ: Mapping[str, str] | None = None) -> TracerProvider | None:
    """A provider exporting to the configured exporters, or None when tracing is off.

    The provider flushes its batch processors at interpreter exit (`shutdown_on_exit`).
    """
    names = exporter_names(environ)
    if not names:
        return None
    provider = TracerProvider(resource=service_resource())
    for name in dict.fromkeys(names):
        provider.add_span_processor(BatchSpanProcessor(_exporter(name)))
    return provider
