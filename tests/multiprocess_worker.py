"""A worker process of the multiprocess metrics test (tests/test_observability.py): kept
out of the test module, which imports models, so a spawned process can import it."""

from __future__ import annotations

import os
from typing import Any


def worker_counts(path: str, runs: int, queue: Any) -> None:
    """A gunicorn worker's part: counts of its own, written to the shared directory."""
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    from nomad_web.metrics import REQUEST_DURATION, TASK_TOTAL

    for _ in range(runs):
        TASK_TOTAL.labels(task="tests.multiprocess", outcome="success").inc()
        REQUEST_DURATION.labels(route="healthz_live", method="GET", status="200").observe(0.01)
    queue.put(os.getpid())
