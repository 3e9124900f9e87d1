"""Reads for quotes: the price list in force, the legal text in force, a visit's quotes."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Q

from nomad_web.request_cache import cached
from organisation.models import Agency
from quotes.models import LegalText, PriceList, Quote, QuoteStatus
from visits.catalogue import visit_catalogues
from visits.models import Visit


def price_list_in_force(*, agency: Agency, on: date) -> PriceList | None:
    """The agency's own list in force on ``on`` if there is one, else the brand's."""
    in_force = PriceList.objects.filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=on), effective_from__lte=on
    ).prefetch_related("prices", "fees__vat_rates")
    own = in_force.filter(agency=agency).order_by("-effective_from").first()
    if own is not None:
        return own
    return (
        in_force.filter(brand_id=agency.brand_id, agency__isnull=True)
        .order_by("-effective_from")
        .first()
    )


def legal_text_current(*, kind: str) -> LegalText | None:
    """The latest published version of a legal text (cached until a legal text changes)."""
    return cached(
        "legal",
        f"current:{kind}",
        lambda: (
            LegalText.objects.filter(kind=kind, published_at__isnull=False)
            .order_by("-published_at", "-pk")
            .first()
        ),
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
    return None if price_list is None else price_list_data(price_list=price_list)


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


def legal_texts_as_data(*, versions: dict[str, str] | None = None) -> dict[str, dict[str, str]]:
    """The legal texts of a sale as plain data: the versions named, else the current ones.

    A version named but not published (or unknown) is left out: the model then refuses
    to be built, and the caller says so.
    """
    from quotes.document_model import LEGAL_KINDS

    out: dict[str, dict[str, str]] = {}
    for kind in LEGAL_KINDS:
        if versions is not None:
            text = LegalText.objects.filter(
                kind=kind, version=versions.get(kind, ""), published_at__isnull=False
            ).first()
        else:
            text = legal_text_current(kind=kind)
        if text is not None:
            out[kind] = {"version": text.version, "title": text.title, "body": text.body}
    return out


def price_list_data(*, price_list: PriceList) -> dict[str, Any]:
    """A price list as the document model takes it (and the tablet receives it)."""
    return {
        "id": price_list.pk,
        "name": price_list.name,
        "validity_days": price_list.validity_days,
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
                # The fee's rate with each activity's service (the quote splits it).
                "vat_rates": {r.activity: str(r.vat_rate) for r in f.vat_rates.all()},
            }
            for f in price_list.fees.all()
        ],
    }


def sale_parties(*, visit: Visit) -> dict[str, Any]:
    """The prospect's recorded fields and the company, agency and advisor as printed."""
    from visits.models.visit import PROSPECT_FIELDS

    prospect, agency = visit.prospect, visit.agency
    brand = agency.brand
    return {
        "client": {
            k: getattr(prospect, k)
            for k in PROSPECT_FIELDS
            if k not in ("adults", "dependent_children", "members_over_65", "disabled_member")
            and k != "wants_immediate_advance"
        },
        "company": {
            "brand": brand.name,
            "legal_name": brand.legal_name,
            "legal_address": brand.legal_address,
            "siren": brand.siren,
            "siret": brand.siret,
            "sap_number": brand.sap_number,
            "email": brand.contact_email,
            "phone": brand.contact_phone,
            "website": brand.website,
            "legal_form": brand.legal_form,
            "share_capital": str(brand.share_capital) if brand.share_capital is not None else "",
            "register": brand.register,
            "register_city": brand.register_city,
            "vat_number": brand.vat_number,
            "mediator_name": brand.mediator_name,
            "mediator_address": brand.mediator_address,
            "mediator_website": brand.mediator_website,
        },
        "agency": {
            "name": agency.name,
            "address": f"{agency.address}, {agency.postal_code} {agency.city}",
            "city": agency.city,
            "phone": agency.phone,
            "email": agency.email,
        },
        "advisor": str(visit.advisor) if visit.advisor else "",
        "household": {
            "dependent_children": prospect.dependent_children,
            "members_over_65": prospect.members_over_65,
            "disabled_member": prospect.disabled_member,
        },
        "immediate_advance": prospect.wants_immediate_advance,
    }


def sale_inputs(
    *,
    visit: Visit,
    price_list: PriceList,
    quote_date: date,
    device_reference: str = "",
    legal_versions: dict[str, str] | None = None,
    contract: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Inputs of ``quotes.document_model.sale_model`` from what the server holds."""
    from quotes.document_model import services_summary

    estimate = visit.estimate or {}
    return {
        "device_reference": device_reference,
        "quote_date": quote_date.isoformat(),
        "validity_days": price_list.validity_days,
        "minutes_per_week": visit.proposed_minutes or visit.estimated_minutes or 0,
        "estimate": [
            [a["activity"], int(a["minutes_per_week"])] for a in estimate.get("activities", [])
        ],
        "price_list": price_list_data(price_list=price_list),
        **sale_parties(visit=visit),
        "legal_texts": legal_texts_as_data(versions=legal_versions),
        "contract": contract,
        # The nature of the services (rooms, tasks, frequency) the quote describes.
        "services": services_summary(
            answers=visit.answers or {}, catalogues=visit_catalogues(visit=visit)
        ),
    }


def legal_identity_message(brand: Any) -> str:
    from quotes.legal_identity import LegalIdentityIncomplete, brand_legal_identity_check

    try:
        brand_legal_identity_check(brand)
    except LegalIdentityIncomplete as error:
        return str(error)
    return ""


def sale_prepared_data(*, visit: Visit, on: date) -> dict[str, Any]:
    """What the tablet needs to make, show and have signed the visit's quote and contract
    offline: the parties, the price list and legal texts in force, the server's estimate
    and where the visit's sale stands on the server."""
    from django.urls import reverse

    from quotes.models import Contract

    price_list = price_list_in_force(agency=visit.agency, on=on)
    parties = sale_parties(visit=visit)
    estimate = visit.estimate or {}
    current = None if visit._state.adding else quote_current_for_visit(visit=visit)
    server: dict[str, Any] | None = None
    if current is not None and current.number:
        contract = Contract.objects.filter(quote=current).first()
        server = {
            "quote": {
                "id": current.pk,
                "number": current.reference,
                "device_reference": current.device_reference,
                "client_uuid": str(current.client_uuid or ""),
                "status": current.status,
                "pdf_url": reverse("quotes:quote_pdf", args=[current.pk]),
                "url": reverse("quotes:quote_detail", args=[current.pk]),
            },
            "contract": None
            if contract is None
            else {
                "id": contract.pk,
                "client_uuid": str(contract.client_uuid or ""),
                "signed": contract.signed_at is not None,
                "pdf_url": reverse("quotes:contract_pdf", args=[current.pk]),
                "signed_url": reverse("signatures:onsite", args=[contract.pk]),
            },
        }
    from django.conf import settings

    return {
        "time_zone": settings.TIME_ZONE,
        "quote_prefix": visit.agency.brand.quote_prefix,
        "price_list": price_list_data(price_list=price_list) if price_list else None,
        "legal_texts": legal_texts_as_data(),
        **parties,
        # Said on the tablet instead of issuing a document that would be incomplete.
        "legal_identity_missing": legal_identity_message(visit.agency.brand),
        "estimate": {
            "confirmed": visit.status == "needs_captured",
            "estimated_minutes": visit.estimated_minutes,
            "proposed_minutes": visit.proposed_minutes,
            "activities": [
                [a["activity"], int(a["minutes_per_week"])] for a in estimate.get("activities", [])
            ],
        },
        "server": server,
    }
