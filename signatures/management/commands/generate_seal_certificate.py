from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from signatures.seal import seal_certificate_generate


class Command(BaseCommand):
    help = "Create a self-signed development seal certificate and key, unless they exist."

    def handle(self, *args: Any, **options: Any) -> None:
        cert, key = Path(settings.NOMAD_SEAL_CERT_FILE), Path(settings.NOMAD_SEAL_KEY_FILE)
        if cert.exists() and key.exists():
            self.stdout.write("Seal certificate already present; nothing changed.")
            return
        seal_certificate_generate(cert_path=cert, key_path=key)
        self.stdout.write(self.style.WARNING(f"Development seal certificate written to {cert}."))
