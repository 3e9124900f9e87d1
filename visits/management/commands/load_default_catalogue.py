from typing import Any

from django.core.management.base import BaseCommand

from visits.catalogue import catalogue_load_default


class Command(BaseCommand):
    help = "Publish the shipped questionnaire catalogue of each activity that has none yet."

    def handle(self, *args: Any, **options: Any) -> None:
        created = catalogue_load_default()
        if created:
            self.stdout.write(self.style.SUCCESS(f"Published: {', '.join(map(str, created))}"))
        else:
            self.stdout.write("Every activity already has a catalogue; nothing changed.")
