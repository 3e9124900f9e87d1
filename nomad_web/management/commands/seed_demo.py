from typing import Any

from django.core.management.base import BaseCommand

from nomad_web.demo import DEMO_PASSWORD, demo_seed


class Command(BaseCommand):
    help = "Create the demo brands, agencies, people and a week of visits (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        summary = demo_seed()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready (created {summary})."))
        logins = "conseiller@demo.test, manager@demo.test, staff@demo.test"
        self.stdout.write(f"Demo logins: {logins} / {DEMO_PASSWORD}")
