"""Optional OpenTelemetry traces, on when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set (the standard variable).

Each HTTP request is a server span (``hfgate.face``, ``hfgate.endpoint``, ``http.response.status_code``)
and each upstream attempt a client span under it (``server.address`` is the upstream, the status or
``error`` its outcome). Spans go by OTLP/HTTP (protobuf) to ``$OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces``,
batched; the other ``OTEL_*`` variables (headers, service name, sampling) apply as usual. Needs the
``otel`` extra; without the variable nothing is imported and each request pays one ``None`` check.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from contextvars import Token

    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span, Tracer

    Started = tuple[Span, Token[Context]]

ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_ENDPOINT"


class _State:
    provider: TracerProvider | None = None
    tracer: Tracer | None = None


STATE = _State()


def start_tracing() -> bool:
    """Start exporting spans if ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set; whether tracing is on.

    Raises:
        RuntimeError: the variable is set but the ``otel`` extra is not installed.
    """
    if not (os.environ.get(ENDPOINT_ENV) or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")):
        return False
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError as exc:
        raise RuntimeError(
            f"{ENDPOINT_ENV} is set but OpenTelemetry is not installed: pip install 'hfgate[otel]', "
            f"or unset {ENDPOINT_ENV}"
        ) from exc
    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "hfgate")})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    STATE.provider, STATE.tracer = provider, provider.get_tracer("hfgate")
    return True


def stop_tracing() -> None:
    """Send the spans still buffered and stop."""
    provider, STATE.provider, STATE.tracer = STATE.provider, None, None
    if provider is not None:
        provider.shutdown()


def start_span(name: str, *, server: bool, attributes: dict[str, Any]) -> Started | None:
    """A span made current (children nest under it), or ``None`` when tracing is off."""
    tracer = STATE.tracer
    if tracer is None:
        return None
    from opentelemetry import context, trace

    kind = trace.SpanKind.SERVER if server else trace.SpanKind.CLIENT
    span = tracer.start_span(name, kind=kind, attributes=attributes)
    return span, context.attach(trace.set_span_in_context(span))


def end_span(started: Started, attributes: dict[str, Any]) -> None:
    from opentelemetry import context

    span, token = started
    span.set_attributes(attributes)
    span.end()
    context.detach(token)


def request_span(method: str, path: str, *, face: str) -> Started | None:
    """The server span of one HTTP request (nothing is built when tracing is off)."""
    if STATE.tracer is None:
        return None
    return start_span(f"{method} {face}", server=True, attributes={"http.request.method": method, "url.path": path})


def end_request_span(started: Started, *, status: int, endpoint: str) -> None:
    end_span(started, {"http.response.status_code": status, "hfgate.endpoint": endpoint})


def attempt_span(endpoint: str, upstream: str) -> Started | None:
    """The client span of one upstream attempt (nothing is built when tracing is off)."""
    if STATE.tracer is None:
        return None
    return start_span("upstream", server=False, attributes={"hfgate.endpoint": endpoint, "server.address": upstream})
