"""Prometheus metrics, served at ``/metrics`` (``nomad_web.views.metrics``).

Two kinds:

- **Counted in the process** that saw the fact: request latency (the request middleware,
  ``nomad_web.observability``), task outcomes (Celery's signals), offline submissions by
  outcome (``visits.submissions``). Under gunicorn each worker counts on its own, so with
  ``PROMETHEUS_MULTIPROC_DIR`` set every process writes its values to files there
  (prometheus_client's multiprocess mode) and a scrape adds them up, whichever worker
  answers it; ``nomad_web/gunicorn_conf.py`` marks the files of a dead worker.
- **Read from the database at scrape time** (``DatabaseCollector``): outbox backlog and
  age, open dead letters, signed contracts still without their sealed documents, and the
  back-office consumer's lag as that process last measured it
  (``integrations.consumer``). One indexed query each; nothing is kept in memory between
  scrapes, so every worker answers the same figures.

Each process's files are named after the host as well as the process id: a Celery worker
in another container may share the directory (a volume) with the web, and two containers
may each run a process 7.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import values
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

_HOST = re.sub(r"[^A-Za-z0-9]", "-", socket.gethostname())[:60] or "host"


def process_identifier(pid: int | None = None) -> str:
    """The name of a process's files in the multiprocess directory: host and pid."""
    return f"{_HOST}-{os.getpid() if pid is None else pid}"


if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # Before any metric below is made: each one takes its value class when created.
    values.ValueClass = values.MultiProcessValue(process_identifier)

from prometheus_client import Counter, Histogram  # noqa: E402  (after the value class)

REQUEST_DURATION = Histogram(
    "nomad_http_request_duration_seconds",
    "Time to answer one request, by URL pattern name (never the path), method and status.",
    ["route", "method", "status"],
)
TASK_TOTAL = Counter(
    "nomad_task",  # exposed as nomad_task_total
    "Celery tasks run, by task name and outcome (success, failure, retry).",
    ["task", "outcome"],
)
SYNC_SUBMISSIONS_TOTAL = Counter(
    "nomad_sync_submissions",  # exposed as nomad_sync_submissions_total
    "Offline submissions received, by outcome (applied, replayed, conflict, refused).",
    ["outcome"],
)
SYNC_OUTCOMES = ("applied", "replayed", "conflict", "refused")


def sync_submission_counted(outcome: str) -> None:
    """One offline submission answered: ``outcome`` is one of ``SYNC_OUTCOMES``."""
    if outcome not in SYNC_OUTCOMES:
        raise ValueError(f"unknown submission outcome {outcome!r}")
    SYNC_SUBMISSIONS_TOTAL.labels(outcome=outcome).inc()


def sync_outcome_of(status: int) -> str:
    """The outcome of a submission answered (not replayed) with this HTTP status."""
    if status == 409:
        return "conflict"
    return "applied" if status < 300 else "refused"


class DatabaseCollector:
    """The gauges read from the database when Prometheus scrapes."""

    def collect(self) -> Iterator[Metric]:
        from integrations.selectors import consumer_lags, dead_letters_open, outbox_backlog
        from nomad_web.sweeps import documents_waiting_count

        backlog, oldest_age = outbox_backlog()
        yield GaugeMetricFamily(
            "nomad_outbox_backlog", "Outbox events not yet published.", value=backlog
        )
        yield GaugeMetricFamily(
            "nomad_outbox_oldest_age_seconds",
            "Age of the oldest outbox event not yet published (0 when none waits).",
            value=oldest_age,
        )
        yield GaugeMetricFamily(
            "nomad_dead_letters",
            "Back-office messages parked in the dead letters and not resolved.",
            value=dead_letters_open(),
        )
        yield GaugeMetricFamily(
            "nomad_unfinalised_signatures",
            "Signed contracts still without their sealed documents after SWEEP_ALERT_SECONDS.",
            value=documents_waiting_count(),
        )
        lag = GaugeMetricFamily(
            "nomad_consumer_lag",
            "Messages of the back office not yet committed by NOMAD's consumer group, "
            "per partition, as the consumer last measured it.",
            labels=["topic", "partition"],
        )
        age = GaugeMetricFamily(
            "nomad_consumer_lag_age_seconds",
            "Time since the consumer last measured its lag (grows when it is stopped).",
            labels=["topic", "partition"],
        )
        for row in consumer_lags():
            labels = [row.topic, str(row.partition)]
            lag.add_metric(labels, row.lag)
            age.add_metric(labels, row.age_seconds)
        yield lag
        yield age


class _Scrape:
    """What one scrape exposes: the counted metrics, then the database's."""

    def __init__(self, counted: Iterable[Any]) -> None:
        self.counted = counted

    def collect(self) -> Iterator[Metric]:
        for collector in self.counted:
            yield from collector.collect()
        yield from DatabaseCollector().collect()


def scrape_registry() -> _Scrape:
    """The collectors of one scrape: every process's files in multiprocess mode, else
    this process's own registry (one process: ``runserver``, the tests)."""
    from prometheus_client import REGISTRY
    from prometheus_client.multiprocess import MultiProcessCollector

    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        return _Scrape([MultiProcessCollector(None, path=path)])
    return _Scrape([REGISTRY])
