"""PDF documents of a quote and its contract, rendered with WeasyPrint.

The HTML comes from the sale's document model (``quotes.document_model``) through the
document templates (``templates/documents/``), written in the common subset of Jinja2
and Nunjucks: the server renders them with Jinja2 here, the tablet with Nunjucks
(``static/js/document-render.js``), so what the client reads before signing is what the
PDF says. The filters and the context are written twice, here and there, and a browser
test compares the two renderings' text (``tests/browser/test_document_equality.py``).

A document is rendered once, stored in the documents storage (``YYYY/MM/``, private: the
local disk or an object store, ``settings.STORAGES["documents"]``) with its SHA-256, and
never rendered again: what the client received stays what we keep. The HTML is
self-contained (stylesheet inlined, logo as a ``data:`` URL) so the same text can be
printed by another engine for comparison (``bench/bench_documents.py``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import mimetypes
import secrets
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from nomad_web.mail import email_send
from quotes.legal_identity import LegalIdentityIncomplete, company_missing_items
from quotes.models import Contract, Document, DocumentKind, Quote
from quotes.models.quote import FILE_PREFIXES
from quotes.typography import date_fr, euros, french_typography, number_fr, rate_fr, text_lines

if TYPE_CHECKING:
    from organisation.models import Brand

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
# One stylesheet for the PDF and the screen (scoped under .doc); served as static too.
STYLESHEET = ROOT / "static" / "css" / "document.css"
TEMPLATES_DIR = ROOT / "templates" / "documents"
# Document kind -> template; the signed versions are the same documents with the
# signature block filled in.
TEMPLATES: dict[str, str] = {
    DocumentKind.QUOTE: "quote.html",
    DocumentKind.CONTRACT: "contract.html",
    DocumentKind.SIGNED_QUOTE: "quote.html",
    DocumentKind.SIGNED_CONTRACT: "contract.html",
}
CONTRACT_KINDS = (DocumentKind.CONTRACT, DocumentKind.SIGNED_CONTRACT)
# Every document is archival (ISO 19005-3, level B), signed or not.
PDF_VARIANT = "pdf/a-3b"
# Colours when no brand is given (the app's defaults, static/css/app.css).
DEFAULT_COLOURS = {"primary": "#1f4e79", "secondary": "#f2a900", "on_primary": "#ffffff"}


class DocumentError(Exception):
    pass


# --- The filters of the document templates (twins in static/js/document-render.js) ---


def _blank(value: Any) -> bool:
    return value is None or value == "" or isinstance(value, jinja2.Undefined)


def _euros(value: Decimal | str | int | None) -> str:
    return "" if _blank(value) else euros(value)  # type: ignore[arg-type]


def _number(value: Decimal | str | int | None, places: int = 2) -> str:
    return "" if _blank(value) else number_fr(value, places)  # type: ignore[arg-type]


def _rate(value: Decimal | str | None) -> str:
    return "" if _blank(value) else rate_fr(value)  # type: ignore[arg-type]


def _date(value: str | None) -> str:
    return "" if _blank(value) else date_fr(str(value))


def _lines(value: str | None) -> list[str]:
    return [] if _blank(value) else text_lines(str(value))


def _finalize(value: Any) -> Any:
    # Nunjucks prints nothing for null; Jinja2 would print "None".
    return "" if value is None else value


@cache
def document_environment() -> jinja2.Environment:
    """The Jinja2 environment of the document templates, and of nothing else."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        # As Nunjucks does: a template's last line break is kept.
        keep_trailing_newline=True,
        finalize=_finalize,
        undefined=jinja2.Undefined,
    )
    environment.filters.update(
        euros=_euros, number=_number, rate=_rate, date_fr=_date, lines=_lines
    )
    return environment


def brand_initials(name: str) -> str:
    """What ``Brand.initials`` gives for a brand's name (no logo: the mark shows them)."""
    return "".join(word[0] for word in str(name or "").split()[:2]).upper()


def render_context(*, model: Mapping[str, Any], extras: Mapping[str, Any]) -> dict[str, Any]:
    """The templates' variables: the model's parts, and the extras that are not in the
    hashed model (``number``, ``signature``, ``initials``, ``logo_url``, ``fragment``)."""
    quote = model.get("quote") or {}
    figures = quote.get("figures") or {}
    parties = model.get("parties") or {}
    company = parties.get("company") or {}
    return {
        **model,
        "figures": figures,
        "company": company,
        "client": parties.get("client") or {},
        "agency": parties.get("agency") or {},
        "advisor": parties.get("advisor") or "",
        "legal_texts": {text["kind"]: text for text in model.get("legal") or []},
        "has_one_off": any(f.get("recurrence") == "one_off" for f in figures.get("fees") or []),
        "number": extras.get("number") or "",
        "signature": extras.get("signature") or None,
        "initials": extras.get("initials") or brand_initials(company.get("brand", "")),
        "logo_url": extras.get("logo_url") or "",
        "fragment": bool(extras.get("fragment")),
    }


def model_html(
    *,
    kind: str,
    model: Mapping[str, Any],
    extras: Mapping[str, Any] | None = None,
    colours: Mapping[str, str] | None = None,
) -> str:
    """A document ("quote" or "contract", or a DocumentKind) of a model as one
    self-contained HTML page: French typography applied, stylesheet inlined."""
    extras = extras or {}
    template = document_environment().get_template(TEMPLATES.get(kind, f"{kind}.html"))
    body = french_typography(template.render(render_context(model=model, extras=extras)))
    colours = {**DEFAULT_COLOURS, **(colours or {})}
    company = (model.get("parties") or {}).get("company") or {}
    reference = extras.get("number") or (model.get("references") or {}).get("device_reference")
    footer = json.dumps(
        " · ".join(
            part
            for part in (
                company.get("legal_name"),
                f"SAP {company.get('sap_number', '')}",
                reference,
            )
            if part
        ),
        ensure_ascii=False,
    )
    page = (
        f":root {{ --brand-primary: {colours['primary']}; --brand-secondary:"
        f" {colours['secondary']}; --brand-on-primary: {colours['on_primary']}; }}\n"
        f"@page {{ @bottom-left {{ content: {footer}; }} }}\n"
    )
    style = f"<style>\n{STYLESHEET.read_text()}\n{page}</style>"
    return body.replace("</head>", f"{style}\n</head>", 1)


def document_model_of(*, quote: Quote, kind: str) -> dict[str, Any]:
    """The model a document prints: the contract's for a contract, else the quote's."""
    if kind in CONTRACT_KINDS:
        model = Contract.objects.get(quote=quote).document_model
    else:
        model = quote.document_model
    if not model:
        raise DocumentError("This quote was made before document models: it has no document.")
    return dict(model)


#: A logo bigger than this is left out of the documents (the brand's initials instead).
LOGO_MAX_BYTES = 2 * 1024 * 1024


def logo_data_url(brand: Brand) -> str:
    """The brand's logo as a ``data:`` URL, read through the file storage (local disk or
    object storage alike), or "" when there is none or it cannot be read."""
    if not brand.logo:
        return ""
    content_type = mimetypes.guess_type(brand.logo.name)[0] or ""
    if content_type not in ("image/png", "image/jpeg", "image/gif", "image/webp"):
        return ""
    try:
        with brand.logo.open("rb") as handle:
            content = handle.read(LOGO_MAX_BYTES + 1)
    except OSError:
        logger.warning("The logo of brand %s cannot be read", brand.pk, exc_info=True)
        return ""
    if len(content) > LOGO_MAX_BYTES:
        logger.warning("The logo of brand %s is over %d bytes: left out", brand.pk, LOGO_MAX_BYTES)
        return ""
    return f"data:{content_type};base64,{base64.b64encode(content).decode()}"


def document_html(
    *,
    quote: Quote,
    kind: str,
    signature: dict[str, Any] | None = None,
    model: Mapping[str, Any] | None = None,
) -> str:
    """The quote's document of this kind, from its stored model (or ``model``, e.g. the
    signed contract's, see ``signatures.services.signed_document_model``), as one page."""
    brand = quote.brand
    extras = {
        "number": quote.reference,
        "signature": signature,
        "initials": brand.initials,
        "logo_url": logo_data_url(brand),
    }
    colours = {
        "primary": brand.primary_colour,
        "secondary": brand.secondary_colour,
        "on_primary": brand.on_primary_colour,
    }
    model = dict(model or document_model_of(quote=quote, kind=kind))
    missing = company_missing_items((model.get("parties") or {}).get("company") or {})
    if missing:
        raise DocumentError(str(LegalIdentityIncomplete(brand.name, missing)))
    return model_html(kind=kind, model=model, extras=extras, colours=colours)


def document_layout(*, html: str) -> Any:
    """WeasyPrint's layout of a document, reading only what ``pdf_fetcher`` allows."""
    from weasyprint import HTML  # heavy import, only where documents are made

    from quotes.pdf_fetcher import DocumentURLFetcher

    fetcher = DocumentURLFetcher()
    return HTML(string=html, base_url=str(STYLESHEET.parent), url_fetcher=fetcher).render()


def document_pdf(*, html: str) -> tuple[bytes, int]:
    """PDF bytes and page count of a self-contained HTML page: PDF/A-3b (archival, XMP
    metadata; the seal's incremental update keeps it so) and tagged (structure for
    screen readers)."""
    rendered = document_layout(html=html)
    return rendered.write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True), len(rendered.pages)


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
    # A name of this attempt's own: two nodes rendering the same document at once make the
    # same bytes, and an object store (unlike the file system) may let both write one key.
    document.file.save(
        f"{FILE_PREFIXES[kind]}-{quote.reference}-{digest[:12]}-{secrets.token_hex(4)}.{extension}",
        ContentFile(content),
        save=False,
    )
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError:
        # Rendered twice at once (a retried task, two nodes): keep the first, drop our
        # file, never the first one's.
        first = Document.objects.get(quote=quote, kind=kind)
        if first.file.name != document.file.name:
            document.file.delete(save=False)
        return first
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
