"""Reads for quotes: the price list in force, the legal text in force, a visit's quotes."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Q

from organisation.models import Agency
from quotes.models import LegalText, PriceList, Quote, QuoteStatus
from visits.models import Visit


def price_list_in_force(*, agency: Agency, on: date) -> PriceList | None:
    """The agency's own list in force on ``on`` if there is one, else the brand's."""
    in_force = PriceList.objects.filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=on), effective_from__lte=on
    ).prefetch_related("prices", "fees")
    own = in_force.filter(agency=agency).order_by("-effective_from").first()
    if own is not None:
        return own
    return (
        in_force.filter(brand_id=agency.brand_id, agency__isnull=True)
        .order_by("-effective_from")
        .first()
    )


def legal_text_current(*, kind: str) -> LegalText | None:
    """The latest published version of a legal text."""
    return (
        LegalText.objects.filter(kind=kind, published_at__isnull=False)
        .order_by("-published_at", "-pk")
        .first()
    )


def quote_current_for_visit(*, visit: Visit) -> Quote | None:
    """The visit's latest quote that is not replaced by a revision."""
    return (
        Quote.objects.filter(visit=visit)
        .exclude(status=QuoteStatus.SUPERSEDED)
        .order_by("-created_at", "-pk")
        .first()
    )


def price_list_as_data(*, agency: Agency, on: date) -> dict[str, Any] | None:
    """The price list in force as plain data, for the device's offline quote preview."""
    price_list = price_list_in_force(agency=agency, on=on)
    if price_list is None:
        return None
    return {
        "name": price_list.name,
        "prices": {
            p.activity: {
                "label": p.label,
                "hourly_price_ht": str(p.hourly_price_ht),
                "vat_rate": str(p.vat_rate),
            }
            for p in price_list.prices.all()
        },
        "fees": [
            {
                "code": f.code,
                "label": f.label,
                "recurrence": f.recurrence,
                "amount_ht": str(f.amount_ht),
                "vat_rate": str(f.vat_rate),
            }
            for f in price_list.fees.all()
        ],
    }


def signing_urls(*, visit: Visit) -> list[str]:
    """Pages a tablet needs to have the visit's contract signed offline (if one waits)."""
    from django.urls import reverse

    from quotes.models import Contract

    contract = (
        Contract.objects.filter(
            quote__visit=visit, quote__status=QuoteStatus.ISSUED, signed_at__isnull=True
        )
        .order_by("-created_at")
        .first()
    )
    if contract is None:
        return []
    return [
        reverse("quotes:quote_detail", args=[contract.quote_id]),
        reverse("quotes:quote_pdf", args=[contract.quote_id]),
        reverse("quotes:contract_pdf", args=[contract.quote_id]),
        reverse("signatures:onsite", args=[contract.pk]),
    ]
