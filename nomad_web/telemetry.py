"""Error tracking (Sentry SDK) and tracing (OpenTelemetry): each off unless its variable is
set, started once per process from ``NomadWebConfig.ready`` (web, Celery worker, beat,
management commands).

- ``SENTRY_DSN``: unhandled errors of requests and tasks go to Sentry, without personal
  data (``send_default_pii=False``: no user email, no IP address; and here no cookies, no
  request body, no query string, no frame's local variables), and no performance traces
  unless ``SENTRY_TRACES_SAMPLE_RATE`` says so.
- ``OTEL_EXPORTER_OTLP_ENDPOINT``: one span per request (Django instrumentation),
  exported over OTLP/HTTP in batches; the exporter reads the standard ``OTEL_*``
  variables (headers, timeout; ``OTEL_SERVICE_NAME``, default ``nomad-web``).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)


def sentry_init() -> bool:
    """Sentry on when ``SENTRY_DSN`` is set; whether it is."""
    if not settings.SENTRY_DSN:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=settings.SENTRY_DSN,
        environment=settings.SENTRY_ENVIRONMENT,
        send_default_pii=False,
        # Request bodies hold names, addresses and door codes: never sent.
        max_request_body_size="never",
        # A frame's variables hold visits, prospects, answers: the traceback goes without.
        include_local_variables=False,
        traces_sample_rate=settings.SENTRY_TRACES_SAMPLE_RATE,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        before_send=_event_without_query,
        before_send_transaction=_event_without_query,
    )
    return True


def _event_without_query(event: Any, hint: Any) -> Any:
    """The query string (a search, a filter: it may name a person) never leaves."""
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("query_string", None)
        request.pop("cookies", None)
        if isinstance(request.get("url"), str):
            request["url"] = request["url"].split("?", 1)[0]
    return event


def otel_init(*, span_processors: tuple[Any, ...] = ()) -> Any:
    """Tracing on when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set: the tracer provider, or
    None. ``span_processors`` are added next to the OTLP exporter's (the tests' in-memory
    exporter)."""
    if not settings.OTEL_EXPORTER_OTLP_ENDPOINT:
        return None
    import os

    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    # The exporter reads the standard variable itself (and adds /v1/traces to it).
    os.environ.setdefault("OTEL_EXPORTER_OTLP_ENDPOINT", settings.OTEL_EXPORTER_OTLP_ENDPOINT)
    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "nomad-web")})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    for processor in span_processors:
        provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    instrumentor = DjangoInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()
    # No request or response headers on the spans (cookies, tokens): only the defaults,
    # less the query string and the client's address (personal data).
    instrumentor.instrument(tracer_provider=provider, request_hook=_span_without_personal_data)
    return provider


#: Span attributes (old and new semantic conventions) that may hold a query string or
#: say who the client is.
_BLANKED = (
    "url.query",
    "client.address",
    "net.peer.ip",
    "http.client_ip",
    "user_agent.original",
    "http.user_agent",
)


def _span_without_personal_data(span: Any, request: Any) -> None:
    if not span.is_recording():
        return
    path = request.path  # without the query string
    for name in ("http.target", "url.path", "http.url", "url.full"):
        span.set_attribute(name, path)
    for name in _BLANKED:
        span.set_attribute(name, "")


def telemetry_init() -> None:
    if sentry_init():
        logger.info("Error tracking on (Sentry)")
    if otel_init() is not None:
        logger.info("Tracing on (OpenTelemetry, OTLP)")
