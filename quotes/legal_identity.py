"""The legal entity every quote and contract must name (SPEC §4: L111-1, L221-5, L616-1 of
the Code de la consommation, R123-237 of the Code de commerce), and the refusal to issue a
document while one of its items is missing: never a half-empty document."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from organisation.models import Brand

# Field of the brand → key of the company in the document model.
MANDATORY = {
    "legal_name": "legal_name",
    "legal_form": "legal_form",
    "share_capital": "share_capital",
    "legal_address": "legal_address",
    "register_city": "register_city",
    "siren": "siren",
    "siret": "siret",
    "vat_number": "vat_number",
    "sap_number": "sap_number",
    "contact_phone": "phone",
    "contact_email": "email",
    "website": "website",
    "mediator_name": "mediator_name",
    "mediator_address": "mediator_address",
    "mediator_website": "mediator_website",
}


class LegalIdentityIncomplete(Exception):
    def __init__(self, brand_name: str, missing: list[str]) -> None:
        self.missing = missing
        super().__init__(
            _(
                "The legal details of %(brand)s are incomplete (%(missing)s): no quote or "
                "contract can be issued until head office completes them in the administration."
            )
            % {"brand": brand_name, "missing": ", ".join(missing)}
        )


def _blank(value: Any) -> bool:
    return value is None or str(value).strip() == ""


def _label(name: str) -> str:
    field = Brand._meta.get_field(name)
    return str(getattr(field, "verbose_name", name))


def brand_missing_items(brand: Brand) -> list[str]:
    """The labels of the brand's mandatory legal items that are blank, in form order."""
    return [_label(name) for name in MANDATORY if _blank(getattr(brand, name))]


def company_missing_items(company: Mapping[str, Any]) -> list[str]:
    """The same check on the company of a document model (what will be printed)."""
    return [_label(name) for name, key in MANDATORY.items() if _blank(company.get(key))]


def brand_legal_identity_check(brand: Brand) -> None:
    missing = brand_missing_items(brand)
    if missing:
        raise LegalIdentityIncomplete(brand.name, missing)
