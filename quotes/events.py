"""What NOMAD tells the back office about quotes and contracts: one function per fact,
called by the quote services inside their transactions. Each builds the event's data and
writes it to the outbox (``integrations.events.outbox_write``).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from integrations.events import outbox_write
from integrations.models import OutboxEvent
from quotes.models import Contract, Quote
from visits.events import agency_data, iso_or_blank, mission_publish


def _quote(quote: Quote) -> dict[str, Any]:
    visit = quote.visit
    return {
        "number": quote.number,
        "reference": quote.reference,
        "version": quote.version,
        "status": quote.status,
        "visit_id": str(visit.uuid),
        "visit_backoffice_ref": visit.backoffice_ref,
        "agency": agency_data(visit),
    }


def quote_issued_publish(*, quote: Quote) -> OutboxEvent:
    figures = quote.figures
    return outbox_write(
        type="quote.issued",
        aggregate_id=quote.number,
        data={
            **_quote(quote),
            "replaces": quote.previous.reference if quote.previous_id else "",  # type: ignore[union-attr]
            "quote_date": iso_or_blank(quote.quote_date),
            "valid_until": iso_or_blank(quote.valid_until),
            "issued_at": iso_or_blank(quote.issued_at),
            "received_at": iso_or_blank(quote.received_at or quote.issued_at),
            "device_reference": quote.device_reference,
            "lines": [
                {
                    "activity": line["activity"],
                    "minutes_per_week": line["minutes_per_week"],
                    "monthly_ttc": line["monthly_ttc"],
                }
                for line in figures.get("lines", [])
            ],
            "monthly": figures.get("monthly", {}),
            "tax_credit_annual": figures.get("tax_credit", {}).get("annual", "0.00"),
        },
    )


def quote_status_publish(*, quote: Quote) -> OutboxEvent:
    """Signed, refused or expired."""
    return outbox_write(
        type=f"quote.{quote.status}",
        aggregate_id=quote.number,
        data={**_quote(quote), "status_changed_at": iso_or_blank(quote.status_changed_at)},
    )


def contract_signed_publish(*, contract: Contract) -> list[OutboxEvent]:
    """The contract is signed: tell the back office, and publish the mission sheet.

    The hook for the signature work: call it inside the transaction that records the
    signature. Until then ``quote_set_status`` calls it when a quote with a contract
    becomes signed.
    """
    quote = contract.quote
    visit = quote.visit
    signed = outbox_write(
        type="contract.signed",
        aggregate_id=quote.number,
        data={
            "contract_id": str(contract.pk),
            "quote_reference": quote.reference,
            "visit_id": str(visit.uuid),
            "visit_backoffice_ref": visit.backoffice_ref,
            "agency": agency_data(visit),
            "general_terms_version": contract.general_terms.version,
            "early_start_requested": contract.early_start_requested,
            # The time of signature on the tablet (or the provider's), not of the sync.
            "signed_at": iso_or_blank(contract.signed_at or timezone.now()),
            "received_at": iso_or_blank(timezone.now()),
        },
    )
    return [signed, mission_publish(visit=visit)]
