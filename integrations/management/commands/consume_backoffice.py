"""Apply the back office's events (visits booked, moved, cancelled, on paper; prospects;
service starts) from Kafka."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.consumer import consume, inbound_topics
from integrations.publisher import kafka_enabled


class Command(BaseCommand):
    help = "Consume the back office's events and apply them (loop; --once: until caught up)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once",
            action="store_true",
            help="stop once no message came for --idle seconds (caught up)",
        )
        parser.add_argument("--idle", type=float, default=3.0, help="seconds (with --once)")
        parser.add_argument("--max-messages", type=int, default=None)
        parser.add_argument("--poll", type=float, default=1.0, help="poll timeout in seconds")

    def handle(self, *args: Any, **options: Any) -> None:
        if not kafka_enabled():
            raise CommandError("KAFKA_BOOTSTRAP_SERVERS is not set: no back office to consume.")
        self.stdout.write(f"Consuming {', '.join(inbound_topics())}")
        try:
            result = consume(
                max_messages=options["max_messages"],
                idle_seconds=options["idle"] if options["once"] else None,
                poll_seconds=options["poll"],
            )
        except KeyboardInterrupt:
            return
        self.stdout.write(str(result))
