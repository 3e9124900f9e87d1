from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from dashboard.summaries import summaries_refresh


class Command(BaseCommand):
    help = "Rebuild the dashboard's summary table now (Celery beat does it every 5 minutes)."

    def handle(self, *args: Any, **options: Any) -> None:
        state = summaries_refresh()
        if state is None:
            self.stdout.write("Another node is rebuilding the table right now; nothing done.")
            return
        self.stdout.write(
            f"{state.rows:,} rows, {state.first_month:%Y-%m} to {state.last_month:%Y-%m}, "
            f"in {state.seconds:.1f} s."
        )
