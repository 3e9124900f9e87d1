"""One run at a time across every node: a periodic job takes its lock or steps aside.

Celery beat should run once, but a second beat (a deployment left running, a failover) or
a manual ``manage.py`` run next to the scheduled one must not run the same job twice at
once. On PostgreSQL the lock is a session advisory lock (``pg_try_advisory_lock``): it
lives with the database connection, so a worker that dies mid-job frees it at once,
with no lease to expire. The embedded mode (SQLite) is one node: nothing to share.

The relay does not need it: it takes its rows with ``SELECT … FOR UPDATE SKIP LOCKED``
(``integrations.publisher``), so several relays share the outbox instead of waiting.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

logger = logging.getLogger(__name__)


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for the job's name (advisory locks are keyed by bigint)."""
    return int.from_bytes(hashlib.sha256(f"nomad:{name}".encode()).digest()[:8], "big", signed=True)


@contextmanager
def exclusive(name: str) -> Iterator[bool]:
    """Yields True while this process holds the job's lock, False when another holds it
    (the caller then skips this run: the other one is doing the work)."""
    if connection.vendor != "postgresql":
        yield True
        return
    key = lock_key(name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        held = bool(cursor.fetchone()[0])
    if not held:
        logger.info("%s: already running elsewhere, this run steps aside", name)
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
