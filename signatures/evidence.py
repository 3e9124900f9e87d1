"""After a signature: the signed documents (sealed), the evidence file, the email.

Every step is idempotent (a document is stored once per kind), so the task can run again
after a crash and finish what is missing without changing what was already kept.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from nomad_web.mail import email_send
from quotes.documents import document_html, document_pdf, document_store
from quotes.models import Document, DocumentKind
from signatures.models import SignatureRequest, SignatureStatus
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
    return request.contract.quote.parties.get("agency", {}).get("city", "")


def signature_documents_finalise(*, request: SignatureRequest) -> list[str]:
    if request.status != SignatureStatus.SIGNED:
        return []
    quote = request.contract.quote
    stored: dict[str, Document] = {d.kind: d for d in Document.objects.filter(quote=quote)}
    for kind in SIGNED_KINDS:
        if kind in stored:
            continue  # e.g. the provider's own signed file, already kept
        html = document_html(quote=quote, kind=kind, signature=signature_print(request=request))
        pdf, pages = document_pdf(html=html)
        sealed = seal_pdf(
            pdf=pdf,
            reason="Cachet de l'entreprise sur le document signé",
            location=_location(request),
        )
        stored[kind] = document_store(quote=quote, kind=kind, content=sealed, pages=pages)

    if DocumentKind.EVIDENCE_JSON not in stored:
        evidence = evidence_record(request=request, documents=stored)
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
            reason="Cachet de l'entreprise sur le dossier de preuve",
            location=_location(request),
        )
        stored[DocumentKind.EVIDENCE] = document_store(
            quote=quote, kind=DocumentKind.EVIDENCE, content=sealed, pages=pages
        )
    _email(request, stored)
    return sorted(d.sha256 for d in stored.values())


def evidence_record(*, request: SignatureRequest, documents: dict[str, Document]) -> dict[str, Any]:
    """The evidence file: who signed what, when, where, how, and the chain of events."""
    evidence = dict(request.evidence)
    png = evidence.pop("signature_png_base64", "")
    times = dict(evidence.get("times", {}))
    times["sealed_at"] = timezone.now().isoformat()
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
            {"first_name": request.signer_first_name, "last_name": request.signer_last_name},
        ),
        "document": evidence.get("document", {"canonical_sha256": request.document_hash}),
        "consents": evidence.get("consents", {}),
        "device": evidence.get("device", {}),
        "ip_at_receipt": evidence.get("ip_at_receipt", ""),
        "times": times,
        "signature_png_sha256": _sha(png),
        "signed_files": {
            kind: {"sha256": d.sha256, "size": d.size}
            for kind, d in documents.items()
            if kind in SIGNED_KINDS or kind == DocumentKind.AUDIT_TRAIL
        },
        "provider": evidence.get("provider", {}),
        "events": [
            {
                "event": "presented",
                "label": "Documents présentés",
                "at": times.get("presented_at", ""),
            },
            {"event": "signed", "label": "Signature apposée", "at": times.get("signed_at", "")},
            {
                "event": "received",
                "label": "Reçue par le serveur",
                "at": times.get("received_at", ""),
            },
            {"event": "sealed", "label": "Scellée par l'entreprise", "at": times["sealed_at"]},
        ],
    }


def _sha(b64: str) -> str:
    return hashlib.sha256(base64.b64decode(b64)).hexdigest() if b64 else ""


def _email(request: SignatureRequest, stored: dict[str, Document]) -> None:
    documents = [
        stored[k] for k in (DocumentKind.SIGNED_QUOTE, DocumentKind.SIGNED_CONTRACT) if k in stored
    ]
    if not documents or any(d.emailed_at for d in documents):
        return
    quote = request.contract.quote
    to = quote.parties.get("client", {}).get("email")
    if not to:
        return
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
    Document.objects.filter(pk__in=[d.pk for d in documents]).update(emailed_at=timezone.now())
