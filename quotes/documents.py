"""PDF documents of a quote and its contract, rendered with WeasyPrint.

A document is rendered once, stored under DOCUMENTS_ROOT (``YYYY/MM/``, private) with its
SHA-256, and never rendered again: what the client received stays what we keep. The
HTML is self-contained (stylesheet inlined, logo as a file URL) so the same text can be
printed by another engine for comparison (``bench/bench_documents.py``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from nomad_web.mail import email_send
from quotes.models import Contract, Document, DocumentKind, Quote
from quotes.models.quote import FILE_PREFIXES
from quotes.typography import french_typography

STYLESHEET = Path(__file__).resolve().parent / "document.css"
TEMPLATES: dict[str, str] = {
    DocumentKind.QUOTE: "quotes/documents/quote.html",
    DocumentKind.CONTRACT: "quotes/documents/contract.html",
    # The signed versions are the same documents with the signature block filled in.
    DocumentKind.SIGNED_QUOTE: "quotes/documents/quote.html",
    DocumentKind.SIGNED_CONTRACT: "quotes/documents/contract.html",
}


class DocumentError(Exception):
    pass


def _brand_css(quote: Quote) -> str:
    brand = quote.brand
    company = quote.parties.get("company", {})
    footer = json.dumps(
        f"{company.get('legal_name', '')} · SAP {company.get('sap_number', '')} · "
        f"{quote.reference}",
        ensure_ascii=False,
    )
    return (
        f":root {{ --primary: {brand.primary_colour}; --secondary: {brand.secondary_colour};"
        f" --on-primary: {brand.on_primary_colour}; }}\n"
        f"@page {{ @bottom-left {{ content: {footer}; }} }}\n"
    )


def document_context(
    *, quote: Quote, kind: str, signature: dict[str, Any] | None = None
) -> dict[str, Any]:
    brand = quote.brand
    logo_url = ""
    if brand.logo:
        try:
            logo_url = Path(brand.logo.path).resolve().as_uri()
        except (ValueError, NotImplementedError):
            logo_url = ""
    context: dict[str, Any] = {
        "quote": quote,
        "figures": quote.figures,
        "company": quote.parties.get("company", {}),
        "client": quote.parties.get("client", {}),
        "agency": quote.parties.get("agency", {}),
        "advisor": quote.parties.get("advisor", ""),
        "validity_days": (quote.valid_until - quote.quote_date).days,
        "has_one_off": any(f["recurrence"] == "one_off" for f in quote.figures.get("fees", [])),
        "logo_url": logo_url,
        "initials": brand.initials,
        "signature": signature,
    }
    if kind in (DocumentKind.CONTRACT, DocumentKind.SIGNED_CONTRACT):
        contract = Contract.objects.select_related("general_terms").get(quote=quote)
        context.update(
            contract=contract,
            terms=contract.general_terms,
            contract_date=timezone.localtime(contract.created_at).date(),
        )
    return context


def document_html(*, quote: Quote, kind: str, signature: dict[str, Any] | None = None) -> str:
    """The document as one self-contained HTML page, French typography applied."""
    context = document_context(quote=quote, kind=kind, signature=signature)
    body = french_typography(render_to_string(TEMPLATES[kind], context))
    style = f"<style>\n{STYLESHEET.read_text()}\n{_brand_css(quote)}</style>"
    return body.replace("</head>", f"{style}\n</head>", 1)


def document_pdf(*, html: str) -> tuple[bytes, int]:
    """PDF bytes and page count of a self-contained HTML page."""
    from weasyprint import HTML  # heavy import, only where documents are made

    rendered = HTML(string=html, base_url=str(STYLESHEET.parent)).render()
    return rendered.write_pdf(), len(rendered.pages)


def document_render(*, quote: Quote, kind: str) -> Document:
    """The quote's document of this kind, rendered and stored the first time only."""
    existing = Document.objects.filter(quote=quote, kind=kind).first()
    if existing is not None:
        return existing
    if not quote.number:
        raise DocumentError("A draft quote has no document.")
    pdf, pages = document_pdf(html=document_html(quote=quote, kind=kind))
    return document_store(quote=quote, kind=kind, content=pdf, pages=pages)


def document_store(*, quote: Quote, kind: str, content: bytes, pages: int) -> Document:
    """Store a file of the quote once, with its SHA-256; a second store keeps the first."""
    existing = Document.objects.filter(quote=quote, kind=kind).first()
    if existing is not None:
        return existing
    digest = hashlib.sha256(content).hexdigest()
    document = Document(quote=quote, kind=kind, sha256=digest, size=len(content), pages=pages)
    extension = "json" if kind == DocumentKind.EVIDENCE_JSON else "pdf"
    document.file.save(
        f"{FILE_PREFIXES[kind]}-{quote.reference}-{digest[:12]}.{extension}",
        ContentFile(content),
        save=False,
    )
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError:
        # Rendered twice at once (a retried task): keep the first, drop our file.
        document.file.delete(save=False)
        return Document.objects.get(quote=quote, kind=kind)
    return document


def document_send(*, document: Document) -> bool:
    """Email the document to the client once; False when already sent or no address."""
    quote = document.quote
    client = quote.parties.get("client", {})
    to = client.get("email")
    if document.emailed_at is not None or not to:
        return False
    company = quote.parties.get("company", {})
    what = "votre devis" if document.kind == DocumentKind.QUOTE else "votre contrat"
    subject = f"{company.get('brand', '')} : {what} n° {quote.reference}"
    body = render_to_string(
        "quotes/email_document.txt",
        {
            "what": what,
            "quote": quote,
            "client": client,
            "company": company,
            "agency": quote.parties.get("agency", {}),
            "kind": document.kind,
        },
    )
    with document.file.open("rb") as handle:
        pdf = handle.read()
    email_send(
        subject=subject,
        body=body,
        to=[to],
        attachments=[(document.filename, pdf, "application/pdf")],
    )
    # Marked after sending: a crash in between sends twice rather than never.
    Document.objects.filter(pk=document.pk).update(emailed_at=timezone.now())
    return True
