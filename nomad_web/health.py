"""Readiness of what the web process depends on: database, cache, Celery broker, and the
documents' storage (``/healthz/ready``; ``/healthz/live`` checks none of them)."""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection

logger = logging.getLogger(__name__)


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def check_cache() -> str:
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    if cache.get(key) != "1":
        raise RuntimeError("value written was not read back")
    cache.delete(key)
    return "ok"


def check_broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    from nomad_web.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "ok"


def check_storage() -> str:
    """A small object written, read back and deleted where the quote and contract PDFs go."""
    storage = storages["documents"]
    probe = f"healthz/probe-{uuid.uuid4().hex}.txt"
    name = storage.save(probe, ContentFile(b"nomad"))
    try:
        with storage.open(name, "rb") as stored:
            if stored.read() != b"nomad":
                raise RuntimeError("value written was not read back")
    finally:
        storage.delete(name)
    return "ok"


CHECKS = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "storage": check_storage,
}


def health_status() -> tuple[bool, dict[str, str]]:
    """(all healthy, status of each component); a failed check names its error's class.

    The error's text (a host, a user name…) goes to the log only, never in an answer.
    """
    results: dict[str, str] = {}
    healthy = True
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # any failure means "down"
            healthy = False
            logger.warning("Health check %s failed", name, exc_info=True)
            results[name] = f"down: {exc.__class__.__name__}"
    return healthy, results
