"""Observability (issue 19): the request and task log lines, and /metrics.

Metrics are read as Prometheus reads them: the real exposition of prometheus_client,
parsed with its own parser. Counters of this process accumulate from test to test, so
each test compares a figure before and after what it does.
"""

from __future__ import annotations

import io
import json
import logging
import multiprocessing
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from integrations.models import DeadLetter, OutboxEvent
from nomad_web import gunicorn_conf
from nomad_web.celery import app as celery_app
from nomad_web.logs import ContextFilter, JsonFormatter, TextFormatter, logging_config
from nomad_web.metrics import process_identifier
from organisation.models import Agency, User
from quotes.models import Quote
from quotes.services import contract_create, quote_create_draft, quote_issue
from signatures.models import Provider, SignatureRequest, SignatureStatus
from tests.factories import VisitFactory, make_price_list, make_visit_ready_to_quote
from tests.multiprocess_worker import worker_counts
from visits.catalogue import catalogue_current
from visits.models import CatalogueVersion, Visit

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
SYNC = {"X-Nomad-Sync": "1"}

# What a visit's prospect step carries; none of it may reach a log line.
PERSONAL = {
    "first_name": "Gwendoline",
    "last_name": "Le Quéré-Trévidic",
    "email": "gwendoline.lequere@example.test",
    "phone": "06 98 76 54 32",
    "address": "17 impasse des Hortensias",
    "door_code": "B4729X",
    "alarm_code": "AL-55821",
}
SECRET_TOKEN = "tok-9f8e7d6c5b4a39281716"


# ---------------------------------------------------------------- helpers


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """What the request and task loggers write, formatted as in production (JSON)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    loggers = [logging.getLogger("nomad.request"), logging.getLogger("nomad.task")]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    yield stream
    for logger in loggers:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)


def records(stream: io.StringIO, logger: str) -> list[dict[str, Any]]:
    parsed = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [line for line in parsed if line["logger"] == logger]


def scrape(client: Client, **headers: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics, by (sample name, sorted labels)."""
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def visit(catalogues: list[CatalogueVersion], advisor: User) -> Visit:
    return VisitFactory(prospect__agency=advisor.agencies.get(), advisor=advisor)


def step_post(client: Client, visit: Visit, device: str = "tablet-1", **data: Any) -> Any:
    ids = [catalogue_current(activity=a).pk for a in visit.activities]
    return client.post(
        reverse("visits:visit_step", args=[visit.pk, "instructions"]),
        {"base_version": 1, "catalogue_versions": ids, **data},
        headers={**SYNC, "X-Nomad-Device": device},
    )


# ---------------------------------------------------------------- the request line


def test_a_request_line_holds_ids_route_and_timing_and_no_personal_data(
    client: Client, advisor: User, agency: Agency, visit: Visit, lines: io.StringIO
) -> None:
    client.force_login(advisor)
    ids = [catalogue_current(activity=a).pk for a in visit.activities]
    url = reverse("visits:visit_step", args=[visit.pk, "prospect"])
    response = client.post(
        f"{url}?email={PERSONAL['email']}&token={SECRET_TOKEN}",
        {"base_version": 1, "catalogue_versions": ids, "consent": "on", **PERSONAL},
        headers={
            "X-Request-ID": "edge-7f3a9c21-0042",
            "Authorization": f"Bearer {SECRET_TOKEN}",
            "X-Nomad-Device": "tablet-1",
        },
    )
    assert response["X-Request-ID"] == "edge-7f3a9c21-0042"

    raw = lines.getvalue()
    (line,) = records(lines, "nomad.request")
    assert line["request_id"] == "edge-7f3a9c21-0042"
    assert line["route"] == "visits:visit_step"
    assert line["method"] == "POST"
    assert line["status"] == response.status_code
    assert line["user_id"] == advisor.pk
    assert line["agency"] == [agency.pk]
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    for secret in [*PERSONAL.values(), SECRET_TOKEN, str(visit.pk) + "/"]:
        assert secret not in raw, secret
    assert "?" not in line["route"] and "/" not in line["route"]


def test_an_unsafe_request_id_is_replaced_by_a_new_one(client: Client, lines: io.StringIO) -> None:
    for given in ["<script>alert(1)</script>", "a b c d e f g h", "short", "x" * 200]:
        response = client.get("/healthz/live", headers={"X-Request-ID": given})
        assert response["X-Request-ID"] != given
        assert len(response["X-Request-ID"]) == 32
    ids = [line["request_id"] for line in records(lines, "nomad.request")]
    assert len(set(ids)) == 4
    assert all(line["route"] == "healthz_live" for line in records(lines, "nomad.request"))
    assert all("user_id" not in line for line in records(lines, "nomad.request"))


def test_a_page_that_is_not_found_has_no_route_but_unmatched(
    client: Client, lines: io.StringIO
) -> None:
    assert client.get("/nulle-part/12345/").status_code == 404
    (line,) = records(lines, "nomad.request")
    assert (line["route"], line["status"]) == ("unmatched", 404)


def test_other_lines_of_a_request_carry_its_id() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    from nomad_web.logs import current_request_id

    token = current_request_id.set("req-0123456789")
    try:
        record = logging.LogRecord("visits", logging.WARNING, __file__, 1, "hello %s", ("x",), None)
        handler.handle(record)
    finally:
        current_request_id.reset(token)
    line = json.loads(stream.getvalue())
    assert line == {
        **line,
        "message": "hello x",
        "level": "WARNING",
        "request_id": "req-0123456789",
    }


def test_the_text_format_is_plain_and_the_setting_picks_the_formatter() -> None:
    record = logging.LogRecord("nomad.request", logging.INFO, __file__, 1, "GET x 200", (), None)
    record.route = "visits:agenda"
    text = TextFormatter().format(record)
    assert "GET x 200" in text and "route=visits:agenda" in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    assert logging_config(log_format="json", level="INFO")["formatters"]["main"]["()"].endswith(
        "JsonFormatter"
    )
    assert logging_config(log_format="text", level="INFO")["formatters"]["main"]["()"].endswith(
        "TextFormatter"
    )
    with pytest.raises(ValueError):
        logging_config(log_format="xml", level="INFO")


def test_production_logs_json_and_development_text_unless_told() -> None:
    code = "from django.conf import settings as s; print(s.LOG_FORMAT)"
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "NOMAD_ENV", "LOG_FORMAT"}
    }
    base["DJANGO_SETTINGS_MODULE"] = "nomad_web.settings"
    prod = {
        **base,
        "NOMAD_ENV": "production",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "nomad.example",
        "REDIS_URL": "redis://127.0.0.1:6379/9",
    }

    def run(env: dict[str, str]) -> str:
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    assert run(base) == "text"
    assert run(prod) == "json"
    assert run({**prod, "LOG_FORMAT": "text"}) == "text"


# ---------------------------------------------------------------- /metrics


def test_metrics_count_request_latency_by_route_name(client: Client) -> None:
    before = scrape(client)
    for _ in range(3):
        client.get("/healthz/live")
    after = scrape(client)
    labels = {"route": "healthz_live", "method": "GET", "status": "200"}
    name = "nomad_http_request_duration_seconds"
    assert value(after, f"{name}_count", **labels) - value(before, f"{name}_count", **labels) == 3
    assert value(after, f"{name}_sum", **labels) > value(before, f"{name}_sum", **labels)
    # No label holds a path.
    assert not any(
        "/" in v for (n, lbl) in after if n.startswith(name) for (k, v) in lbl if k == "route"
    )


def _signed_without_documents(agency: Agency) -> SignatureRequest:
    make_price_list(agency.brand)
    quote = quote_issue(
        quote=quote_create_draft(visit=make_visit_ready_to_quote(agency), user=None)
    )
    contract_create(quote=quote, user=None, early_start_requested=False)
    return SignatureRequest.objects.create(
        contract=Quote.objects.get(pk=quote.pk).contract,
        provider=Provider.ONSITE,
        status=SignatureStatus.SIGNED,
        signer_first_name="Marie",
        signer_last_name="Client",
        document_hash="0" * 64,
        completed_at=timezone.now() - timedelta(hours=1),
    )


def test_metrics_read_the_backlog_dead_letters_and_waiting_signatures_at_scrape_time(
    client: Client, agency: Agency
) -> None:
    _signed_without_documents(agency)
    OutboxEvent.objects.all().delete()  # those of the quote and the contract
    hour_ago = timezone.now() - timedelta(hours=1)
    common = {"type": "t", "source": "s", "aggregate_type": "visit", "subject": "x"}
    OutboxEvent.objects.create(aggregate_id="1", created_at=hour_ago, **common)
    OutboxEvent.objects.create(aggregate_id="2", created_at=timezone.now(), **common)
    OutboxEvent.objects.create(
        aggregate_id="3", created_at=hour_ago, sent_at=timezone.now(), **common
    )
    letter = {"topic": "backoffice.visits", "partition": 0, "value": "{}", "error": "e"}
    DeadLetter.objects.create(offset=1, **letter)
    DeadLetter.objects.create(offset=2, **letter)
    DeadLetter.objects.create(offset=3, resolved=True, **letter)

    samples = scrape(client)
    assert value(samples, "nomad_outbox_backlog") == 2
    assert 3590 < value(samples, "nomad_outbox_oldest_age_seconds") < 3700
    assert value(samples, "nomad_dead_letters") == 2
    assert value(samples, "nomad_unfinalised_signatures") == 1

    OutboxEvent.objects.update(sent_at=timezone.now())
    samples = scrape(client)
    assert value(samples, "nomad_outbox_backlog") == 0
    assert value(samples, "nomad_outbox_oldest_age_seconds") == 0


def test_metrics_need_the_token_when_one_is_set_and_hide_in_production_without(
    client: Client, settings: Any
) -> None:
    settings.METRICS_TOKEN = "scrape-token-42"
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer scrape-token-41"})
    assert wrong.status_code == 401
    basic = client.get("/metrics", headers={"Authorization": "Basic scrape-token-42"})
    assert basic.status_code == 401
    assert "nomad_outbox_backlog" in str(scrape(client, Authorization="Bearer scrape-token-42"))

    settings.METRICS_TOKEN = ""
    settings.PRODUCTION = True
    assert client.get("/metrics").status_code == 404


def test_sync_submissions_are_counted_by_outcome(
    client: Client, advisor: User, manager: User, visit: Visit
) -> None:
    client.force_login(advisor)
    before = scrape(client)
    sid = str(uuid.uuid4())
    assert step_post(client, visit, submission_id=sid, priorities="A").status_code == 200
    assert step_post(client, visit, submission_id=sid, priorities="A").status_code == 200
    assert step_post(client, visit, submission_id=sid, priorities="B").status_code == 422
    office = Client()
    office.force_login(manager)
    # Without a submission id: a plain form post, not counted.
    office_post = step_post(office, visit, device="office", base_version=2, priorities="Le salon")
    assert office_post.status_code == 200
    stale = step_post(client, visit, submission_id=str(uuid.uuid4()), priorities="La cuisine")
    assert stale.status_code == 409
    after = scrape(client)

    def delta(outcome: str) -> float:
        name = "nomad_sync_submissions_total"
        return value(after, name, outcome=outcome) - value(before, name, outcome=outcome)

    assert [delta(o) for o in ("applied", "replayed", "refused", "conflict")] == [1, 1, 1, 1]


@celery_app.task(name="tests.observability.adds", bind=True, max_retries=1)
def adds(self: Any, a: int, b: int, retry: bool = False) -> int:
    if retry and not self.request.retries:
        raise self.retry(countdown=0)
    if a < 0:
        raise ValueError("negative")
    return a + b


def test_tasks_are_counted_and_logged_by_outcome(client: Client, lines: io.StringIO) -> None:
    before = scrape(client)
    assert adds.delay(1, 2).get() == 3
    with pytest.raises(ValueError):
        adds.delay(-1, 2)
    # As a worker runs it (errors not raised to the caller): a retry, then its second run.
    assert adds.apply(args=(1, 1), kwargs={"retry": True}, throw=False).get() == 2
    after = scrape(client)

    def delta(outcome: str) -> float:
        labels = {"task": "tests.observability.adds", "outcome": outcome}
        return value(after, "nomad_task_total", **labels) - value(
            before, "nomad_task_total", **labels
        )

    # The retried run counts once as retry, and its second run as a success.
    assert [delta(o) for o in ("success", "failure", "retry")] == [2, 1, 1]
    task_lines = records(lines, "nomad.task")
    assert [line["outcome"] for line in task_lines] == ["success", "failure", "retry", "success"]
    for line in task_lines:
        assert line["task"] == "tests.observability.adds"
        assert len(line["task_id"]) == 36
        assert line["duration_ms"] >= 0
        assert set(line) >= {"task", "task_id", "outcome", "duration_ms"}


# ---------------------------------------------------------------- multiprocess mode


def test_the_counts_of_every_process_add_up_in_multiprocess_mode(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spawn = multiprocessing.get_context("spawn")
    queue = spawn.Queue()
    workers = [
        spawn.Process(target=worker_counts, args=(str(tmp_path), runs, queue)) for runs in (3, 4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    pids = {queue.get(timeout=5), queue.get(timeout=5)}
    files = sorted(p.name for p in tmp_path.iterdir())
    assert {f"counter_{process_identifier(pid)}.db" for pid in pids} <= set(files)

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    samples = scrape(client)
    task = {"task": "tests.multiprocess", "outcome": "success"}
    assert value(samples, "nomad_task_total", **task) == 7
    hist = {"route": "healthz_live", "method": "GET", "status": "200"}
    assert value(samples, "nomad_http_request_duration_seconds_count", **hist) == 7
    # The database gauges are there too, computed by the scrape itself.
    assert ("nomad_outbox_backlog", ()) in samples

    # gunicorn: a dead worker's live gauges go; a new start removes this host's files only.
    live = tmp_path / f"gauge_livesum_{process_identifier(4242)}.db"
    live.write_bytes(b"")
    other_host = tmp_path / "counter_web-2-17.db"
    other_host.write_bytes((tmp_path / f"counter_{process_identifier(pids.pop())}.db").read_bytes())
    gunicorn_conf.child_exit(None, type("Worker", (), {"pid": 4242})())
    assert not live.exists()
    gunicorn_conf.on_starting(None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counter_web-2-17.db"]


# ---------------------------------------------------------------- the consumer's lag


def test_the_consumer_records_its_lag_for_the_web_to_expose(
    kafka: str, settings: Any, agency: Agency, client: Client
) -> None:
    from integrations.consumer import consume
    from integrations.models import ConsumerLag
    from tests.bus import backoffice_event, booking, kafka_send

    agency.backoffice_code = "ODY-LAG-1"
    agency.save()
    topic = f"{settings.KAFKA_BACKOFFICE_TOPIC_PREFIX}.visits"
    kafka_send(
        topic,
        [
            (f"BO-L-{n}", backoffice_event("backoffice.visit.scheduled", booking(agency, f"L{n}")))
            for n in range(5)
        ],
    )
    assert consume(max_messages=3, idle_seconds=5, poll_seconds=0.2).total == 3
    rows = ConsumerLag.objects.filter(topic=topic)
    assert sum(row.lag for row in rows) == 2
    samples = scrape(client)
    lags = {
        dict(labels)["partition"]: v
        for (name, labels), v in samples.items()
        if name == "nomad_consumer_lag" and dict(labels)["topic"] == topic
    }
    assert sum(lags.values()) == 2
    assert set(lags) == {str(row.partition) for row in rows}

    assert consume(max_messages=2, idle_seconds=5, poll_seconds=0.2).total == 2
    assert sum(ConsumerLag.objects.filter(topic=topic).values_list("lag", flat=True)) == 0
