"""Bus figures, against librdkafka's mock cluster (three brokers on loopback):

* relay throughput: 10,000 outbox rows published by the real relay (events/s);
* end-to-end lag: from the commit of an event to a consumer receiving it, a relay pass
  run right after the commit (median and p95 over 300 events).

The database is the configured one (DATABASE_URL), else a scratch SQLite file.
"""

from __future__ import annotations

import json
import os
import time
import uuid

from _common import django_setup, median, percentile, record

EVENTS = 10_000
LAG_EVENTS = 300


def main() -> None:
    from confluent_kafka import Consumer, Producer

    holder = Producer({"test.mock.num.brokers": 3, "log_level": 3})
    brokers = holder.list_topics(timeout=10).brokers.values()
    os.environ["KAFKA_BOOTSTRAP_SERVERS"] = ",".join(f"{b.host}:{b.port}" for b in brokers)
    os.environ["KAFKA_TOPIC_PREFIX"] = f"bench{uuid.uuid4().hex[:6]}"
    django_setup()
    from django.db import transaction
    from django.utils import timezone

    from integrations.events import topic_for
    from integrations.models import OutboxEvent
    from integrations.publisher import producer_create, relay_once

    def row(n: int) -> OutboxEvent:
        visit = str(uuid.UUID(int=n % 500))
        return OutboxEvent(
            type="visit.lost",
            source="/nomad-web",
            aggregate_type="visit",
            aggregate_id=visit,
            subject=f"visit/{visit}",
            data={"visit_id": visit, "version": n, "reason": "bench " * 20},
            created_at=timezone.now(),
        )

    OutboxEvent.objects.all().delete()
    OutboxEvent.objects.bulk_create([row(n) for n in range(EVENTS)], batch_size=1000)
    producer = producer_create()
    relay_once(producer=producer, batch_size=1)  # connect and create the topic first
    started = time.perf_counter()
    while relay_once(producer=producer, batch_size=2000).sent:
        pass
    elapsed = time.perf_counter() - started
    left = OutboxEvent.objects.filter(sent_at__isnull=True).count()
    print(f"  {EVENTS - 1 - left} events in {elapsed:.2f} s ({left} left)")
    record("bus.relay_throughput", (EVENTS - 1 - left) / elapsed, "events/s", "aim: 2,000")

    # Lag: commit one event, run a relay pass, wait for a consumer to receive it. The
    # relay loop's pause between passes (relay_outbox --interval) comes on top.
    lags: list[float] = []
    consumer = Consumer(
        {
            "bootstrap.servers": os.environ["KAFKA_BOOTSTRAP_SERVERS"],
            "group.id": "bench-lag",
            "group.protocol": "consumer",
            "auto.offset.reset": "latest",
            "fetch.wait.max.ms": 10,
            "log_level": 3,
        }
    )
    consumer.subscribe([topic_for("visit")])
    while not consumer.assignment():
        consumer.poll(0.1)
    for n in range(LAG_EVENTS):
        with transaction.atomic():
            event = row(EVENTS + n)
            event.created_at = timezone.now()
            event.save()
        committed = time.perf_counter()
        relay_once(producer=producer, batch_size=100)
        deadline = committed + 5
        while time.perf_counter() < deadline:
            message = consumer.poll(0.05)
            if message is None or message.error() is not None:
                continue
            if json.loads(message.value())["id"] == str(event.pk):
                lags.append((time.perf_counter() - committed) * 1000)
                break
    consumer.close()
    print(f"  {len(lags)} of {LAG_EVENTS} events received")
    record("bus.lag_commit_to_consumer.median", median(lags), "ms")
    record("bus.lag_commit_to_consumer.p95", percentile(lags, 95), "ms")
    holder.flush(1)


if __name__ == "__main__":
    main()
