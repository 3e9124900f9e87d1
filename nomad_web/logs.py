"""Log lines: one JSON object per line (``LOG_FORMAT=json``, production) or plain text.

A request's line and a task's line (``nomad_web.observability``) carry only ids, names
of routes and tasks, statuses and durations: never a person's name, email, address,
phone, an access code or a token. Every other line of a request or a task is tagged with
its ``request_id`` (or ``task_id``), so one request's lines can be found together.
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

#: The id of the request (or ``task_id`` of the task) this thread is working for.
current_request_id: ContextVar[str] = ContextVar("nomad_request_id", default="")
current_task_id: ContextVar[str] = ContextVar("nomad_task_id", default="")

REQUEST_LOGGER = "nomad.request"
TASK_LOGGER = "nomad.task"

#: Attributes every ``LogRecord`` has; anything else was given through ``extra=``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class ContextFilter(logging.Filter):
    """Adds the current request's and task's ids to every record (on the handler)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id.get()
        if not getattr(record, "task_id", None):
            record.task_id = current_task_id.get()
        return True


def _extra(record: logging.LogRecord) -> dict[str, Any]:
    return {
        key: value
        for key, value in vars(record).items()
        if key not in _STANDARD and not key.startswith("_") and value not in ("", None)
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line: time (UTC), level, logger, message, the
    fields given through ``extra=`` and, when there is one, the exception's traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_extra(record),
        }
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Plain text for development: the message, then the extra fields as key=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = " ".join(f"{k}={v}" for k, v in _extra(record).items())
        if not fields:
            return text
        head, newline, tail = text.partition("\n")  # a traceback stays below the line
        return f"{head} {fields}{newline}{tail}"


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """Django's ``LOGGING`` for ``LOG_FORMAT`` (``json`` or ``text``)."""
    if log_format not in {"json", "text"}:
        raise ValueError("LOG_FORMAT must be json or text.")
    json_lines = log_format == "json"
    formatter = "nomad_web.logs.JsonFormatter" if json_lines else "nomad_web.logs.TextFormatter"
    quiet = {
        # WeasyPrint and fontTools narrate every rendering step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # Celery's "Task … succeeded in …s: <result>" would print what a task returned;
        # our task line says the outcome (failures are still logged, as errors).
        "celery.app.trace": {"level": "WARNING"},
    }
    if json_lines:
        # runserver's access line: a raw path (it holds ids), not JSON; ours replaces it.
        quiet["django.server"] = {"level": "WARNING"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "nomad_web.logs.ContextFilter"}},
        "formatters": {"main": {"()": formatter}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "main",
                "filters": ["context"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": quiet,
    }
