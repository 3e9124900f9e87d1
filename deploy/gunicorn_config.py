"""gunicorn settings of a web node in the container image (``--config`` in the Dockerfile).

Every value can be changed through the environment without rebuilding: gunicorn reads
``GUNICORN_CMD_ARGS`` on top of this file (e.g. ``--workers 4``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# The metrics hooks (Prometheus multiprocess mode): one definition, nomad_web's.
from nomad_web.gunicorn_conf import child_exit, on_starting

__all__ = ["child_exit", "on_starting"]

bind = "0.0.0.0:8000"
# Two workers per node is what bench/bench_load.py measures (README, Benchmarks): two
# nodes of two workers carry the peak season with room to spare.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Heartbeat files in memory: a container's overlay file system can stall a worker's
# heartbeat long enough to have it killed.
worker_tmp_dir = "/dev/shm"  # noqa: S108 (shared memory, not a temporary file)
# A PDF is rendered by the Celery worker, never in a request: 30 s is plenty.
timeout = 30
graceful_timeout = 30
keepalive = 5
# The reverse proxy logs every request with the client's address; gunicorn's access log
# would repeat it with the proxy's.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Workers are recycled now and then, so a slow leak never grows for days.
max_requests = 2000
max_requests_jitter = 200
