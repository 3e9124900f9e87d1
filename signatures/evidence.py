"""After a signature: the signed documents (sealed), the evidence file, the email.

Every step is idempotent (a document is stored once per kind), so the task can run again
after a crash and finish what is missing without changing what was already kept.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from nomad_web.mail import email_send
from quotes.documents import CONTRACT_KINDS, document_html, document_pdf, document_store
from quotes.models import Document, DocumentKind
from signatures.models import PaperCopyTask, Provider, SignatureRequest, SignatureStatus
from signatures.seal import seal_pdf

SIGNED_KINDS = {
    DocumentKind.SIGNED_QUOTE: "Devis signé",
    DocumentKind.SIGNED_CONTRACT: "Contrat signé",
}


def _when(value: Any) -> str:
    if not value:
        return ""
    return timezone.localtime(value).strftime("%d/%m/%Y à %H:%M:%S")


def signature_print(*, request: SignatureRequest) -> dict[str, Any]:
    """What the signed documents print in the client's signature box."""
    png = request.evidence.get("signature_png_base64", "")
    return {
        "image": f"data:image/png;base64,{png}" if png else "",
        "signer": request.signer_name,
        "signed_at": _when(request.signed_at),
        "received_at": _when(request.completed_at),
        "document_hash": request.document_hash,
        "request_id": request.pk,
        "provider": request.provider,
    }


def _location(request: SignatureRequest) -> str:
    place = request.evidence.get("place", {}).get("value", "")
    return place or request.contract.quote.parties.get("agency", {}).get("city", "")


def signature_documents_finalise(*, request: SignatureRequest) -> list[str]:
    if request.status != SignatureStatus.SIGNED:
        return []
    quote = request.contract.quote
    stored: dict[str, Document] = {d.kind: d for d in Document.objects.filter(quote=quote)}
    for kind in SIGNED_KINDS:
        if kind in stored:
            continue  # e.g. the provider's own signed file, already kept
        # The contract as signed: with the client's consents and "Fait à …, le …".
        signed_model = request.evidence.get("signed_model") if kind in CONTRACT_KINDS else None
        html = document_html(
            quote=quote, kind=kind, signature=signature_print(request=request), model=signed_model
        )
        pdf, pages = document_pdf(html=html)
        sealed = seal_pdf(
            pdf=pdf,
            brand=quote.brand,
            reason="Cachet de l'entreprise sur le document signé",
            location=_location(request),
        )
        stored[kind] = document_store(quote=quote, kind=kind, content=sealed, pages=pages)

    # L221-9: the copy goes by email before the evidence is sealed, so that it says so.
    delivery = copy_deliver(request=request, stored=stored)
    if DocumentKind.EVIDENCE_JSON not in stored:
        evidence = evidence_record(request=request, documents=stored, delivery=delivery)
        content = json.dumps(evidence, ensure_ascii=False, indent=2, sort_keys=True).encode()
        stored[DocumentKind.EVIDENCE_JSON] = document_store(
            quote=quote, kind=DocumentKind.EVIDENCE_JSON, content=content, pages=0
        )
    if DocumentKind.EVIDENCE not in stored:
        with stored[DocumentKind.EVIDENCE_JSON].file.open("rb") as handle:
            evidence = json.loads(handle.read())
        html = render_to_string(
            "signatures/evidence.html",
            {
                "request": request,
                "evidence": evidence,
                "quote": quote,
                "signature": signature_print(request=request),
            },
        )
        pdf, pages = document_pdf(html=html)
        sealed = seal_pdf(
            pdf=pdf,
            brand=quote.brand,
            reason="Cachet de l'entreprise sur le dossier de preuve",
            location=_location(request),
        )
        stored[DocumentKind.EVIDENCE] = document_store(
            quote=quote, kind=DocumentKind.EVIDENCE, content=sealed, pages=pages
        )
    return sorted(d.sha256 for d in stored.values())


def copy_deliver(*, request: SignatureRequest, stored: dict[str, Document]) -> dict[str, Any]:
    """The signed copy (L221-9): by email when the client gave an email and consented to
    this durable medium; otherwise a paper copy the agency must hand or post, recorded as
    a task on the manager's dashboard. Idempotent; returns what the evidence records."""
    quote = request.contract.quote
    email = str(quote.parties.get("client", {}).get("email") or "")
    # A remote signature is made by email (Yousign): the client chose that medium.
    consented = request.provider != Provider.ONSITE or bool(
        request.evidence.get("consents", {}).get("durable_medium_email")
    )
    if email and consented:
        sent_at = _email(request, stored)
        return {
            "method": "email",
            "label": "Copie du contrat signé envoyée par courriel (support durable accepté)",
            "email": email,
            "sent_at": sent_at.isoformat() if sent_at else "",
            "clock": "server",
        }
    reason = (
        "Le client n'a pas accepté la réception par courriel"
        if email
        else "Le client n'a pas donné d'adresse électronique"
    )
    task, _created = PaperCopyTask.objects.get_or_create(
        contract=request.contract, defaults={"signature": request, "reason": reason}
    )
    return {
        "method": "paper",
        "label": "Contrat à remettre sur papier par l'agence",
        "reason": task.reason,
        "task_id": task.pk,
        "task_created_at": task.created_at.isoformat(),
        "clock": "server",
    }


CLOCK_LABELS = {"tablet": "horloge de la tablette", "server": "horloge du serveur"}


def evidence_record(
    *,
    request: SignatureRequest,
    documents: dict[str, Document],
    delivery: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The evidence file: who signed what, when, where, how, and the chain of events.

    Keys are stable English identifiers (documented in docs/offline-sale.md), values
    meant for people (``label``) are French, like the evidence PDF that prints them.
    """
    evidence = dict(request.evidence)
    png = evidence.pop("signature_png_base64", "")
    evidence.pop("signed_model", None)  # its SHA-256 is kept in "document"
    times = dict(evidence.get("times", {}))
    times["sealed_at"] = timezone.now().isoformat()
    clocks = {"received_at": "server", **evidence.get("clocks", {}), "sealed_at": "server"}
    if request.provider != Provider.ONSITE:
        clocks = {key: "provider" if key != "sealed_at" else "server" for key in times}

    def event(name: str, label: str, key: str) -> dict[str, str]:
        clock = clocks.get(key, "server")
        return {
            "event": name,
            "label": label,
            "at": times.get(key, ""),
            "clock": clock,
            "clock_label": CLOCK_LABELS.get(clock, "horloge du prestataire de signature"),
        }

    return {
        "request": {"id": request.pk, "provider": request.provider, "status": request.status},
        # The final number and the tablet's reference the client saw before the sync.
        "contract": {
            "id": request.contract_id,
            "quote": request.contract.quote.reference,
            "tablet_reference": request.contract.quote.device_reference,
        },
        "signer": evidence.get(
            "signer",
            {
                "first_name": request.signer_first_name,
                "last_name": request.signer_last_name,
                "email": request.signer_email,
            },
        ),
        "document": evidence.get("document", {"canonical_sha256": request.document_hash}),
        "consents": evidence.get("consents", {}),
        "place": evidence.get("place", {}),
        "device": evidence.get("device", {}),
        "ip_at_receipt": evidence.get("ip_at_receipt", ""),
        "times": times,
        "clocks": clocks,
        "delivery": delivery or {},
        "signature_png_sha256": _sha(png),
        "signed_files": {
            kind: {"sha256": d.sha256, "size": d.size}
            for kind, d in documents.items()
            if kind in SIGNED_KINDS or kind == DocumentKind.AUDIT_TRAIL
        },
        "provider": evidence.get("provider", {}),
        "events": [
            event("presented", "Documents présentés", "presented_at"),
            event("signed", "Signature apposée", "signed_at"),
            event("received", "Reçue par le serveur", "received_at"),
            event("sealed", "Scellée par l'entreprise", "sealed_at"),
        ],
    }


def _sha(b64: str) -> str:
    return hashlib.sha256(base64.b64decode(b64)).hexdigest() if b64 else ""


def _email(request: SignatureRequest, stored: dict[str, Document]) -> datetime | None:
    """Send the signed documents to the client once; when they were sent."""
    documents = [
        stored[k] for k in (DocumentKind.SIGNED_QUOTE, DocumentKind.SIGNED_CONTRACT) if k in stored
    ]
    if not documents:
        return None
    sent = [d.emailed_at for d in documents if d.emailed_at]
    if sent:
        return min(sent)
    quote = request.contract.quote
    to = quote.parties.get("client", {}).get("email")
    if not to:
        return None
    company = quote.parties.get("company", {})
    attachments = []
    for document in documents:
        with document.file.open("rb") as handle:
            attachments.append((document.filename, handle.read(), "application/pdf"))
    body = render_to_string(
        "signatures/email_signed.txt",
        {
            "quote": quote,
            "company": company,
            "client": quote.parties.get("client", {}),
            "request": request,
        },
    )
    email_send(
        subject=f"{company.get('brand', '')} : vos documents signés (n° {quote.reference})",
        body=body,
        to=[to],
        attachments=attachments,
    )
    now = timezone.now()
    Document.objects.filter(pk__in=[d.pk for d in documents]).update(emailed_at=now)
    return now
