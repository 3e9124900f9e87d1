"""Publish the outbox to Kafka: a loop, or one pass with --once."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from integrations.publisher import kafka_enabled, producer_create, relay_until_idle


class Command(BaseCommand):
    help = "Publish the outbox events to Kafka, in order per aggregate (loop; --once: one pass)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="send what is due, then stop")
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds between passes (default 1)"
        )
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args: Any, **options: Any) -> None:
        if not kafka_enabled():
            self.stdout.write(
                "Embedded mode: KAFKA_BOOTSTRAP_SERVERS is not set, nothing is sent; "
                "events stay in the outbox (admin, Outgoing events)."
            )
            return
        producer = producer_create()
        try:
            while True:
                result = relay_until_idle(producer=producer, batch_size=options["batch_size"])
                if result.sent or result.failed or options["once"]:
                    self.stdout.write(str(result))
                if options["once"]:
                    return
                time.sleep(options["interval"])
        except KeyboardInterrupt:
            pass
        finally:
            producer.flush(5)
