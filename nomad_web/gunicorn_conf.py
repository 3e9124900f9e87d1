"""gunicorn's settings for NOMAD web: ``gunicorn -c python:nomad_web.gunicorn_conf
nomad_web.wsgi`` (bind, workers and the rest from the command line or ``GUNICORN_CMD_ARGS``).

With ``PROMETHEUS_MULTIPROC_DIR`` set, each worker writes its metrics to files there and
``/metrics`` adds them up (``nomad_web/metrics.py``). At start, the files this host left
from a previous run are removed (their counts restart, as after any restart; a Celery
worker sharing the directory from another container keeps its own); when a worker exits,
its live gauges are marked dead.
"""

from __future__ import annotations

import glob
import os
import re
from typing import Any


def _multiproc_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def on_starting(server: Any) -> None:
    path = _multiproc_dir()
    if not path:
        return
    from nomad_web.metrics import process_identifier

    os.makedirs(path, exist_ok=True)
    # counter_<host>-<pid>.db, gauge_livesum_<host>-<pid>.db…: this host's, not web-2's.
    ours = re.compile(rf"^[a-z]+(_[a-z]+)?_{re.escape(process_identifier(0)[:-1])}\d+\.db$")
    for stale in glob.glob(os.path.join(path, "*.db")):
        if ours.match(os.path.basename(stale)):
            os.remove(stale)


def child_exit(server: Any, worker: Any) -> None:
    if not _multiproc_dir():
        return
    from prometheus_client import multiprocess

    from nomad_web.metrics import process_identifier

    multiprocess.mark_process_dead(process_identifier(worker.pid))
