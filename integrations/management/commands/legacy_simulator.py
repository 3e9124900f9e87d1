"""Play the legacy back office on one machine, through Kafka only (it never reads NOMAD's
database): publish a realistic stream for the demo agencies (visits booked and moved,
visits made on paper, services starting after a signed contract) and consume NOMAD's
events, printing what the back office records from them."""

from __future__ import annotations

import json
import random
import time
import uuid
from datetime import datetime, timedelta
from datetime import time as clock
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from integrations.events import TOPICS, event_build
from integrations.publisher import kafka_config, kafka_enabled
from nomad_web.demo import AGENCIES, PEOPLE, PROSPECT_NAMES, STREETS
from organisation.models import Role

SOURCE = "/backoffice/legacy-simulator"


class Command(BaseCommand):
    help = "Simulate the back office: publish its facts for the demo agencies, print NOMAD's."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--duration", type=float, default=0, help="seconds; 0: until Ctrl-C")
        parser.add_argument("--every", type=float, default=5.0, help="seconds between facts")
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument("--no-publish", action="store_true", help="only listen to NOMAD")

    def handle(self, *args: Any, **options: Any) -> None:
        if not kafka_enabled():
            raise CommandError("Set KAFKA_BOOTSTRAP_SERVERS: the simulator talks through Kafka.")
        from confluent_kafka import Consumer, Producer

        self.random = random.Random(options["seed"])  # noqa: S311 - demo data, not secrets
        self.producer = Producer(kafka_config(**{"enable.idempotence": True, "acks": "all"}))
        config = kafka_config(
            **{
                "group.id": f"legacy-simulator-{uuid.uuid4().hex[:6]}",
                "auto.offset.reset": "latest",
            }
        )
        if settings.KAFKA_GROUP_PROTOCOL != "classic":
            config["group.protocol"] = settings.KAFKA_GROUP_PROTOCOL
        consumer = Consumer(config)
        prefix = settings.KAFKA_TOPIC_PREFIX
        consumer.subscribe([f"{prefix}.{suffix}" for suffix in TOPICS.values()])
        self.counter = 0
        self.versions: dict[str, int] = {}
        self.booked: list[dict[str, Any]] = []
        self.started: set[str] = set()
        end = time.monotonic() + options["duration"] if options["duration"] else None
        next_fact = time.monotonic()
        self.stdout.write(f"Back office simulator on {settings.KAFKA_BOOTSTRAP_SERVERS}")
        try:
            while end is None or time.monotonic() < end:
                if not options["no_publish"] and time.monotonic() >= next_fact:
                    self._publish_fact()
                    next_fact = time.monotonic() + options["every"]
                message = consumer.poll(0.5)
                if message is not None and message.error() is None:
                    self._record(json.loads(message.value() or b"{}"))
                self.producer.poll(0)
        except KeyboardInterrupt:
            pass
        finally:
            consumer.close()
            self.producer.flush(5)

    # ------------------------------------------------------------ what it publishes

    def _send(self, topic: str, key: str, type_: str, data: dict[str, Any]) -> None:
        envelope = event_build(type=type_, subject=key, data=data, source=SOURCE)
        self.producer.produce(
            f"{settings.KAFKA_BACKOFFICE_TOPIC_PREFIX}.{topic}",
            key=key.encode(),
            value=json.dumps(envelope, ensure_ascii=False).encode(),
        )
        self.stdout.write(f"→ back office publishes {type_} {key}")

    def _version(self, ref: str) -> int:
        self.versions[ref] = self.versions.get(ref, 0) + 1
        return self.versions[ref]

    def _booking(self) -> dict[str, Any]:
        _brand, _code, _name, _address, postal_code, city, bo_code = self.random.choice(AGENCIES)
        agency_code = _code
        advisors = [p[0] for p in PEOPLE if p[3] == Role.ADVISOR and agency_code in p[4]]
        first, last = self.random.choice(PROSPECT_NAMES)
        self.counter += 1
        ref = f"SIM-{int(time.time()) % 100000:05d}-{self.counter:03d}"
        day = timezone.localdate() + timedelta(days=self.random.randint(0, 5))
        at = datetime.combine(
            day,
            clock(self.random.choice([9, 10, 14, 16]), 0),
            tzinfo=timezone.get_current_timezone(),
        )
        return {
            "agency_code": bo_code,
            "visit_ref": ref,
            "scheduled_at": at.isoformat(),
            "duration_minutes": 90,
            "activities": self.random.choice([["housekeeping"], ["gardening"]]),
            "advisor_email": self.random.choice(advisors),
            "prospect": {
                "ref": f"P-{ref}",
                "civility": self.random.choice(["mrs", "mr"]),
                "first_name": first,
                "last_name": last,
                "email": f"{last.lower()}.{self.counter}@prospect.demo.test",
                "phone": f"06 {self.random.randint(10, 99)} {self.random.randint(10, 99)} 00 00",
                "address": f"{self.random.randint(1, 90)} {self.random.choice(STREETS)}",
                "postal_code": postal_code,
                "city": city,
            },
        }

    def _publish_fact(self) -> None:
        roll = self.random.random()
        if roll < 0.5 or not self.booked:
            booking = self._booking()
            booking["version"] = self._version(booking["visit_ref"])
            self.booked.append(booking)
            self._send("visits", booking["visit_ref"], "backoffice.visit.scheduled", booking)
        elif roll < 0.7:
            booking = self.random.choice(self.booked)
            moved = datetime.fromisoformat(booking["scheduled_at"]) + timedelta(days=1)
            booking.update(
                scheduled_at=moved.isoformat(), version=self._version(booking["visit_ref"])
            )
            self._send("visits", booking["visit_ref"], "backoffice.visit.rescheduled", booking)
        else:
            booking = self._booking()
            visited = {
                k: v for k, v in booking.items() if k not in ("scheduled_at", "duration_minutes")
            }
            visited.update(
                visited_at=timezone.now().isoformat(),
                outcome=self.random.choice(["needs_captured", "quoted", "signed", "lost"]),
                minutes_per_week=self.random.choice([120, 180, 240]),
                version=self._version(booking["visit_ref"]),
            )
            self._send(
                "visits", booking["visit_ref"], "backoffice.visit.recorded_on_paper", visited
            )

    # ------------------------------------------------------------ what it records

    def _record(self, event: dict[str, Any]) -> None:
        data, kind = event.get("data", {}), event.get("type", "?")
        agency = data.get("agency", {}).get("backoffice_code", "")
        if kind == "quote.issued":
            line = f"quote {data['reference']} issued, {data['monthly']['ttc']} € TTC a month"
        elif kind.startswith("quote."):
            line = f"quote {data['reference']} {data['status']}"
        elif kind == "contract.signed":
            line = f"contract {data['quote_reference']} signed: organising the service"
            if data["visit_id"] not in self.started:
                self.started.add(data["visit_id"])
                self._send(
                    "services",
                    data["visit_id"],
                    "backoffice.service.started",
                    {
                        "agency_code": agency,
                        "version": 1,
                        "visit_id": data["visit_id"],
                        "started_at": (timezone.now() + timedelta(days=7)).isoformat(),
                    },
                )
        elif kind == "mission.instructions.published":
            line = (
                f"mission sheet v{data['revision']} for {data['client']['name']}: "
                f"{len(data['rooms'])} rooms, {data['schedule']['minutes_per_week']} min a week"
            )
        elif kind == "prospect.updated":
            changed = ", ".join(data["changed"])
            line = f"prospect {data['first_name']} {data['last_name']} updated ({changed})"
        else:
            line = (
                f"visit {data.get('backoffice_ref') or data.get('visit_id')} {kind.split('.')[-1]}"
            )
        self.stdout.write(f"← back office records [{agency or '-'}] {line}")
