from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from privacy.services import retention_apply, retention_due


class Command(BaseCommand):
    help = "Anonymise the prospects past the retention period (--dry-run: only list them)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="List, change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        days = settings.NOMAD_RETENTION_PROSPECT_DAYS
        due = list(retention_due())
        verb = "would be anonymised" if options["dry_run"] else "anonymised"
        for prospect in due:
            # Ids and dates only: the listing may end up in logs.
            last_visit = getattr(prospect, "last_visit_at", None)
            self.stdout.write(
                f"prospect #{prospect.pk} agency={prospect.agency_id} "
                f"last_update={prospect.updated_at:%Y-%m-%d} "
                f"last_visit={last_visit.strftime('%Y-%m-%d') if last_visit else '-'}"
            )
        if not options["dry_run"]:
            retention_apply()
        self.stdout.write(f"{len(due)} prospect(s) {verb} (no contact for {days} days).")
