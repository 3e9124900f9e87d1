"""Error tracking (Sentry) and tracing (OpenTelemetry) (issue 19): off without their
variables; with them, Sentry sends to its DSN without personal data and OpenTelemetry
makes one span per request and exports it over OTLP/HTTP."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


class Capture(ThreadingHTTPServer):
    """A local HTTP endpoint that keeps every POST (Sentry's envelopes, OTLP batches)."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "br":
                    import brotli

                    body = brotli.decompress(body)
                outer.posts.append((self.path, body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    def wait_for(self, prefix: str, timeout: float = 10) -> list[bytes]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [body for p, body in self.posts if p.startswith(prefix)]
            if found:
                return found
            time.sleep(0.05)
        return []


@pytest.fixture
def capture() -> Iterator[Capture]:
    server = Capture()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_both_stay_off_without_their_variables() -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SENTRY_", "OTEL_")) and k not in {"DATABASE_URL", "REDIS_URL"}
    }
    code = (
        "import django; django.setup();"
        "import sentry_sdk; from django.conf import settings;"
        "from opentelemetry import trace;"
        "from opentelemetry.instrumentation.django import DjangoInstrumentor;"
        "print(sentry_sdk.get_client().is_active());"
        "print(DjangoInstrumentor().is_instrumented_by_opentelemetry);"
        "print(type(trace.get_tracer_provider()).__name__);"
        "print(any('opentelemetry' in m for m in settings.MIDDLEWARE))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "nomad_web.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False", "ProxyTracerProvider", "False"]


def test_sentry_reports_an_error_to_its_dsn_without_personal_data(
    capture: Capture, settings: Any, advisor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sentry_sdk

    from nomad_web.telemetry import sentry_init

    def fails() -> Any:
        raise RuntimeError("the view failed")

    monkeypatch.setattr("nomad_web.views.health_status", fails)
    port = capture.server_address[1]
    settings.SENTRY_DSN = f"http://publickey@127.0.0.1:{port}/42"
    assert sentry_init()
    try:
        assert sentry_sdk.get_client().is_active()
        client = Client(raise_request_exception=False)
        client.force_login(advisor)
        response = client.get(
            "/healthz/ready?last_name=Kerhervé&door_code=7781B",
            REMOTE_ADDR="203.0.113.9",
            HTTP_COOKIE="extra=claire@example.test",
        )
        assert response.status_code == 500
        sentry_sdk.flush(5)
        envelopes = capture.wait_for("/api/42/envelope/")
    finally:
        sentry_sdk.init()  # no DSN: inactive again for the rest of the suite
    assert envelopes
    sent = b"".join(envelopes).decode("utf-8", "replace")
    assert "the view failed" in sent and "RuntimeError" in sent
    for personal in ["203.0.113.9", advisor.email, "claire@", "sessionid", "Kerherv", "7781B"]:
        assert personal not in sent, personal
    event = next(
        json.loads(line)
        for body in envelopes
        for line in body.decode().splitlines()
        if '"exception"' in line
    )
    assert "ip_address" not in json.dumps(event.get("user", {}))


def test_opentelemetry_makes_one_span_per_request_and_exports_it(
    capture: Capture, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from nomad_web.telemetry import otel_init

    endpoint = f"http://127.0.0.1:{capture.server_address[1]}"
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
    settings.OTEL_EXPORTER_OTLP_ENDPOINT = endpoint
    memory = InMemorySpanExporter()
    provider = otel_init(span_processors=(SimpleSpanProcessor(memory),))
    try:
        client = Client()  # a new handler: it loads the instrumented middleware
        assert client.get("/healthz/live?email=claire@example.test").status_code == 200
        assert client.get("/healthz/ready").status_code == 200
        spans = memory.get_finished_spans()
        assert [span.kind.name for span in spans] == ["SERVER", "SERVER"]
        assert "healthz/live" in spans[0].name
        attributes = json.dumps(dict(spans[0].attributes or {}))
        assert "claire@example.test" not in attributes
        provider.force_flush()
        assert capture.wait_for("/v1/traces")
    finally:
        DjangoInstrumentor().uninstrument()
        provider.shutdown()
