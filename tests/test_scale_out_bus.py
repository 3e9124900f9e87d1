"""Several relays and several back-office consumers at once, as processes of their own on
the same PostgreSQL and the librdkafka mock cluster (the Kafka protocol, three brokers).

Two ``manage.py relay_outbox`` loops share the outbox: every event reaches Kafka exactly
once, in order per key. Two ``manage.py consume_backoffice`` in one consumer group share
the partitions: each back-office event is applied once, even when delivered twice.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from integrations.events import topic_for
from integrations.models import OutboxEvent, ProcessedEvent
from organisation.models import Agency
from tests.bus import backoffice_event, booking, kafka_read
from tests.conftest import postgresql_required, wait_until
from tests.factories import AgencyFactory, VisitFactory
from visits.events import visit_closed_publish
from visits.models import Visit

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
VISITS, VERSIONS = 30, 5


@pytest.fixture(autouse=True)
def _postgresql() -> None:
    postgresql_required("several processes share PostgreSQL; SQLite is the one-node mode")


def _node_env() -> dict[str, str]:
    """A process of the app on the test's database and Kafka topics."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    if db.get("PASSWORD"):
        url = url.replace(f"{db['USER']}@", f"{db['USER']}:{db['PASSWORD']}@", 1)
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "nomad_web.test_settings",
        "DATABASE_URL": url,
        "KAFKA_BOOTSTRAP_SERVERS": settings.KAFKA_BOOTSTRAP_SERVERS,
        "KAFKA_TOPIC_PREFIX": settings.KAFKA_TOPIC_PREFIX,
        "KAFKA_BACKOFFICE_TOPIC_PREFIX": settings.KAFKA_BACKOFFICE_TOPIC_PREFIX,
        "KAFKA_CONSUMER_GROUP": settings.KAFKA_CONSUMER_GROUP,
        "KAFKA_GROUP_PROTOCOL": "consumer",
        "KAFKA_DELIVERY_TIMEOUT_SECONDS": "5",
    }


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.terminate()
    for process in started:
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def _start(
    processes: list[subprocess.Popen[str]], *command: str, name: str = "nomad-test-node"
) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        # libpq names the process's connections after it (pg_stat_activity), see _connected.
        env={**_node_env(), "PGAPPNAME": name},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    processes.append(process)
    return process


def _connected(name: str) -> int:
    """How many processes started as ``name`` hold a connection to the test database: a
    relay connects at its first pass, a consumer once the group gave it partitions (it
    then records its lag). Waiting on this, not on a fixed time, lets a loaded machine
    take as long as it needs to start them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = %s",
            [name],
        )
        return int(cursor.fetchone()[0])


def test_two_relays_publish_every_event_once_in_order_per_key(
    kafka: str, agency: Agency, processes: list[subprocess.Popen[str]]
) -> None:
    # Small batches, so that both relays take turns at the outbox. Both run before there is
    # anything to send: one started seconds after the other (a loaded machine) would find
    # the outbox already drained, and the test would not see them share it.
    relays = [
        _start(processes, "relay_outbox", "--batch-size", "7", "--interval", "0.05", name="relay")
        for _ in range(2)
    ]
    wait_until(lambda: _connected("relay") == 2, 90, "both relays at their first pass")
    visits = [VisitFactory(prospect__agency=agency, status="lost") for _ in range(VISITS)]
    for version in range(1, VERSIONS + 1):  # interleaved: v1 of each visit, then v2…
        for visit in visits:
            visit.version = version
            visit_closed_publish(visit=visit)
    total = VISITS * VERSIONS
    assert OutboxEvent.objects.count() == total
    wait_until(
        lambda: not OutboxEvent.objects.filter(sent_at__isnull=True).exists(),
        90,
        "the outbox to drain",
    )
    for relay in relays:
        relay.terminate()
    outputs = [relay.communicate(timeout=20)[0] for relay in relays]

    messages = kafka_read(topic_for("visit"), total + 5, timeout=15)
    ids = [json.loads(m.value())["id"] for m in messages]
    assert len(ids) == total and len(set(ids)) == total  # each once, none twice
    by_visit: dict[bytes, list[int]] = {}
    for message in sorted(messages, key=lambda m: (m.partition(), m.offset())):
        by_visit.setdefault(message.key(), []).append(
            json.loads(message.value())["data"]["version"]
        )
    assert by_visit == {str(v.uuid).encode(): list(range(1, VERSIONS + 1)) for v in visits}
    # Both relays did part of the work (each prints what it sent per pass).
    sent = [
        sum(
            int(line.split()[1].rstrip(","))
            for line in out.splitlines()
            if line.startswith("sent ")
        )
        for out in outputs
    ]
    assert sum(sent) == total and all(s > 0 for s in sent), outputs


def test_two_consumers_share_the_partitions_and_apply_each_event_once(
    kafka: str, processes: list[subprocess.Popen[str]]
) -> None:
    from confluent_kafka import Producer

    agency = AgencyFactory(backoffice_code="ODY-SCALE-1")
    topic = f"{settings.KAFKA_BACKOFFICE_TOPIC_PREFIX}.visits"
    producer = Producer({"bootstrap.servers": kafka, "log_level": 3})
    # Asking a producer for the topic creates it (four partitions on the mock cluster).
    partitions = producer.list_topics(topic, timeout=10).topics[topic].partitions
    assert len(partitions) >= 2

    consumers = [
        _start(processes, "consume_backoffice", "--once", "--idle", "15", name="consumer")
        for _ in range(2)
    ]
    # Both in the group, each with partitions, before anything is sent (a consumer connects
    # to the database once it has partitions): the partitions are split.
    wait_until(lambda: _connected("consumer") == 2, 90, "both consumers given partitions")
    events = 40
    for n in range(events):
        ref = f"BO-S-{n}"
        value = backoffice_event("backoffice.visit.scheduled", booking(agency, ref))
        for _ in range(2):  # delivered twice, as after a producer retry
            producer.produce(topic, key=ref.encode(), value=value)
    assert producer.flush(10) == 0

    outputs = [c.communicate(timeout=60)[0] for c in consumers]
    assert all(c.returncode == 0 for c in consumers), outputs
    assert Visit.objects.filter(backoffice_ref__startswith="BO-S-").count() == events
    assert ProcessedEvent.objects.count() == events
    applied = [_outcome(out, "applied") for out in outputs]
    duplicates = [_outcome(out, "duplicate") for out in outputs]
    assert sum(applied) == events and sum(duplicates) == events, outputs
    assert all(a > 0 for a in applied), outputs  # each consumer had partitions of its own


def _sent(output: str) -> int:
    """Events a relay sent, from its lines ``sent 7, failed 0, held back 0``."""
    lines = [line for line in output.splitlines() if line.startswith("sent ")]
    return sum(int(line.split()[1].rstrip(",")) for line in lines)


def _outcome(output: str, name: str) -> int:
    """``applied 12`` in the consumer's last line, ``40 messages (applied 12, duplicate 12)``."""
    last = output.strip().splitlines()[-1]
    for part in last.partition("(")[2].rstrip(")").split(", "):
        if part.startswith(name + " "):
            return int(part.split()[1])
    return 0
