"""A task goes through the real Redis broker to a real worker process and comes back."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from celery.backends.redis import RedisBackend
from celery.result import AsyncResult, allow_join_result

from nomad_web.celery import app
from nomad_web.tasks import send_email

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
ROOT = Path(__file__).resolve().parent.parent


def _redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def worker_queue() -> Iterator[str]:
    if not _redis_available():
        if os.environ.get("CI"):
            pytest.fail(f"CI needs Redis at {REDIS_URL}")
        pytest.skip(f"no Redis at {REDIS_URL}")
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "REDIS_URL": REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "nomad_web.test_settings",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "nomad_web",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        yield queue
    finally:
        worker.terminate()
        worker.wait(timeout=20)


def test_it_runs_a_task_on_a_real_worker_through_redis(
    worker_queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    backend = RedisBackend(app=app, url=REDIS_URL)

    with app.connection_for_write(REDIS_URL) as connection:
        sent = send_email.apply_async(
            kwargs={"subject": "Test", "body": "Bonjour", "to": ["client@example.test"]},
            queue=worker_queue,
            connection=connection,
        )
    result = AsyncResult(sent.id, backend=backend, app=app)

    # Celery's "inside a task" guard is process-wide: an eager task run by a live-server
    # thread of an earlier test can leave it set. This test is not inside a task.
    with allow_join_result():
        # The worker's email backend (locmem) reports one message sent.
        assert result.get(timeout=60) == 1
    assert result.status == "SUCCESS"
