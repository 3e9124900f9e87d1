"""One log line and one latency observation per request; one line and one count per task.

The request middleware is the outermost one, so the time and the status are those the
client gets, redirects of ``SecurityMiddleware`` and answers of the inner middleware
included (WhiteNoise's static files too, which do not reach the URL resolver).

A request line holds: ``request_id`` (the caller's ``X-Request-ID`` when it is a short
safe token, else a new one; echoed in the response), ``user_id`` and ``agency`` (the ids
of the person's agencies) when a person is signed in, ``route`` (the URL pattern's name,
e.g. ``visits:agenda``, or its pattern when it has none: never the path, which holds ids,
nor the query string), ``method``, ``status`` and ``duration_ms``. Nothing read from the
request's body, headers or path beyond that: no name, email, address, phone, code or
token can reach it.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import Token
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty

from nomad_web.logs import REQUEST_LOGGER, TASK_LOGGER, current_request_id, current_task_id
from nomad_web.metrics import REQUEST_DURATION, TASK_TOTAL

REQUEST_ID_HEADER = "X-Request-ID"
#: What a caller's request id may be: a proxy's or a load balancer's token, never text.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")
#: The route of a request no URL pattern matched (404s, static files, redirects).
UNMATCHED = "unmatched"

request_logger = logging.getLogger(REQUEST_LOGGER)
task_logger = logging.getLogger(TASK_LOGGER)


def request_id_of(request: HttpRequest) -> str:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    return incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex


def route_of(request: HttpRequest) -> str:
    """The URL pattern's name (``namespace:name``), else its pattern, else ``unmatched``."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNMATCHED
    return match.view_name or match.route or UNMATCHED


def _signed_in_user(request: HttpRequest) -> Any:
    """The person, if the request already loaded them: a request that never looked (a
    health probe, a static file) is not made to read its session for the log."""
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user if user.is_authenticated else None


class RequestObservabilityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_of(request)
        token = current_request_id.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            duration = time.perf_counter() - started
            response[REQUEST_ID_HEADER] = request_id
            self._record(request, response.status_code, duration, request_id)
            return response
        finally:
            current_request_id.reset(token)

    @staticmethod
    def _record(request: HttpRequest, status: int, duration: float, request_id: str) -> None:
        route = route_of(request)
        method = request.method or ""
        REQUEST_DURATION.labels(route=route, method=method, status=str(status)).observe(duration)
        fields: dict[str, Any] = {
            "request_id": request_id,
            "route": route,
            "method": method,
            "status": status,
            "duration_ms": round(duration * 1000, 1),
        }
        user = _signed_in_user(request)
        if user is not None:
            from organisation.selectors import agency_ids_of_user

            fields["user_id"] = user.pk
            fields["agency"] = agency_ids_of_user(user_id=user.pk)
        level = logging.ERROR if status >= 500 else logging.INFO
        request_logger.log(
            level, "%s %s %s %.1f ms", method, route, status, duration * 1000, extra=fields
        )


# ---------------------------------------------------------------- Celery tasks

#: When each task running in this process started, and the task id it replaced as the
#: current one (an eager task runs inside the request or the task that queued it).
_task_started: dict[str, tuple[float, Token[str]]] = {}
#: Celery's final state of one run → our outcome. ``None``: an eager task whose error
#: propagated to its caller (Celery then sends no failure signal, only postrun).
_OUTCOMES = {"SUCCESS": "success", "RETRY": "retry", "FAILURE": "failure", None: "failure"}


def task_prerun(task_id: str = "", **_: Any) -> None:
    _task_started[task_id] = (time.perf_counter(), current_task_id.set(task_id))


def task_postrun(task_id: str = "", task: Any = None, state: str | None = None, **_: Any) -> None:
    """Sent after every run, whatever its end: one count and one line per run."""
    started, token = _task_started.pop(task_id, (None, None))
    if token is not None:
        current_task_id.reset(token)
    outcome = _OUTCOMES.get(state, "failure" if state == "REJECTED" else "")
    if not outcome:
        return  # Ignore: the task handed itself over (replaced), it did not end
    name = str(getattr(task, "name", "") or "unknown")
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
    TASK_TOTAL.labels(task=name, outcome=outcome).inc()
    task_logger.log(
        logging.INFO if outcome == "success" else logging.WARNING,
        "%s %s",
        name,
        outcome,
        extra={"task": name, "task_id": task_id, "outcome": outcome, "duration_ms": duration_ms},
    )


def connect_task_signals() -> None:
    """Connected once, from ``NomadWebConfig.ready`` (the web, the worker, beat)."""
    from celery import signals

    signals.task_prerun.connect(task_prerun, weak=False, dispatch_uid="nomad:task_prerun")
    signals.task_postrun.connect(task_postrun, weak=False, dispatch_uid="nomad:task_postrun")
