"""Finish what the after-commit tasks left undone: sealed documents, PDFs, emails."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from nomad_web.sweeps import sweep_side_effects


class Command(BaseCommand):
    help = (
        "Finalise the signed contracts without their sealed documents, render the issued "
        "quotes and contracts without their PDF and send the unsent ones (idempotent)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queue", action="store_true", help="queue the tasks to the workers instead"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = sweep_side_effects(inline=not options["queue"])
        failed = counts.pop("failed")
        for name, n in sorted(counts.items()):
            self.stdout.write(f"{name}: {n}")
        if not counts:
            self.stdout.write("Nothing to do.")
        if failed:
            raise CommandError(f"{failed} failed (see the log); run again to retry them.")
