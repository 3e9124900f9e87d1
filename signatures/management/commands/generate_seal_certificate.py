from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from nomad_web.demo import BRANDS
from organisation.models import Brand
from signatures.seal import SealError, seal_development_pair, seal_files, seal_signer


def stored_brands() -> list[Brand]:
    """The brands in the database; none before the first migration (``make run`` makes
    the seals before it migrates)."""
    try:
        return list(Brand.objects.all())
    except DatabaseError:
        return []


def brands_to_seal() -> list[Brand]:
    """The stored brands, and the demo's that are not stored yet (made by ``seed_demo``)."""
    stored = stored_brands()
    slugs = {brand.slug for brand in stored}
    return stored + [Brand(**data) for data in BRANDS if data["slug"] not in slugs]


class Command(BaseCommand):
    help = (
        "Create a self-signed development seal certificate and key for every brand (and "
        "every demo brand) that has none; never in production. With --check, only check "
        "that every stored brand's seal can be used (in production too)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="Check, change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["check"]:
            self.check_seals()
            return
        if settings.PRODUCTION:
            raise CommandError(
                "No development seal in production: put each brand's NAME.pem and NAME.key "
                f"in NOMAD_SEAL_DIR ({settings.NOMAD_SEAL_DIR})."
            )
        for brand in brands_to_seal():
            files = seal_files(brand)
            if seal_development_pair(brand):
                self.stdout.write(
                    self.style.WARNING(f"Development seal of {brand.legal_name}: {files.cert}")
                )
            else:
                self.stdout.write(f"Seal of {brand.legal_name} already present: {files.cert}")

    def check_seals(self) -> None:
        failures = []
        for brand in stored_brands():
            try:
                seal_signer(brand, generate=False)
            except SealError as error:
                failures.append(str(error))
        if failures:
            raise CommandError("\n".join(failures))
        self.stdout.write("Every brand's seal certificate and key can be used.")
