"""Quotes, their gapless numbering, contracts and the PDF documents rendered from them."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from organisation.models import Brand
from organisation.scoping import AgencyScopedQuerySet
from quotes.models.legal import LegalText
from quotes.models.pricelist import PriceList
from visits.models import Visit


class QuoteCounter(models.Model):
    """Last number used per brand and year; its row is locked while a quote is issued."""

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, verbose_name=_("brand"))
    year = models.PositiveSmallIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last number used"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["brand", "year"], name="one_counter_per_brand_and_year")
        ]
        verbose_name = _("quote counter")
        verbose_name_plural = _("quote counters")

    def __str__(self) -> str:
        return f"{self.brand} {self.year}: {self.last}"


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    SIGNED = "signed", pgettext_lazy("a quote", "Signed")  # un devis signé, une visite signée
    REFUSED = "refused", _("Refused")
    EXPIRED = "expired", _("Expired")
    # An issued quote replaced by a newer version of itself (a revision).
    SUPERSEDED = "superseded", _("Replaced by a revision")


QUOTE_TRANSITIONS: dict[str, frozenset[str]] = {
    QuoteStatus.DRAFT: frozenset({QuoteStatus.ISSUED}),
    QuoteStatus.ISSUED: frozenset(
        {QuoteStatus.SIGNED, QuoteStatus.REFUSED, QuoteStatus.EXPIRED, QuoteStatus.SUPERSEDED}
    ),
    QuoteStatus.SIGNED: frozenset(),
    QuoteStatus.REFUSED: frozenset(),
    QuoteStatus.EXPIRED: frozenset(),
    QuoteStatus.SUPERSEDED: frozenset(),
}


def _empty() -> dict[str, Any]:
    return {}


class QuoteQuerySet(AgencyScopedQuerySet["Quote"]):
    agency_field = "visit__agency"


class Quote(models.Model):
    """A quote (devis). A draft has no number; an issued quote never changes.

    A revision is a new row with the same ``number`` and ``version`` + 1 (shown as
    ``MN-2026-000123-v2``): the number of a client's quote stays the same, and the
    yearly sequence has no gap since a revision consumes no new number.
    """

    visit = models.ForeignKey(
        Visit, on_delete=models.PROTECT, related_name="quotes", verbose_name=_("visit")
    )
    brand = models.ForeignKey(
        Brand, on_delete=models.PROTECT, related_name="quotes", verbose_name=_("brand")
    )
    price_list = models.ForeignKey(
        PriceList, on_delete=models.PROTECT, related_name="quotes", verbose_name=_("price list")
    )
    previous = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="revision",
        verbose_name=_("revision of"),
    )
    number = models.CharField(_("number"), max_length=30, blank=True, db_index=True)
    year = models.PositiveSmallIntegerField(_("numbering year"), null=True, blank=True)
    sequence = models.PositiveIntegerField(_("number in the year"), null=True, blank=True)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    status = models.CharField(
        _("status"), max_length=12, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT
    )
    quote_date = models.DateField(_("date"))
    valid_until = models.DateField(_("valid until"))
    pricing_input = models.JSONField(_("pricing input"), default=_empty)
    figures = models.JSONField(_("figures"), default=_empty)
    # What the document shows about the client and the company, frozen at issue.
    parties = models.JSONField(_("client and company"), default=_empty)
    # The document model (quotes.document_model) as issued: what the PDF prints and what
    # the tablet showed; its SHA-256 is what a signature of the quote alone binds.
    document_model = models.JSONField(_("document model"), default=_empty)
    # Made on a tablet (possibly offline): its id, its own reference, when it reached us.
    client_uuid = models.UUIDField(_("id on the tablet"), null=True, blank=True, unique=True)
    device_reference = models.CharField(_("tablet reference"), max_length=40, blank=True)
    received_at = models.DateTimeField(_("received by the server"), null=True, blank=True)
    older_price_list = models.BooleanField(
        _("made on an older price list"),
        default=False,
        help_text=_("Another price list was in force when the quote reached the server."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # On the tablet's clock for a quote made there (see received_at for the server's).
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)

    objects = QuoteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["brand", "year", "sequence", "version"],
                condition=models.Q(sequence__isnull=False),
                name="unique_quote_number_version",
            ),
            models.UniqueConstraint(
                fields=["device_reference"],
                condition=~models.Q(device_reference=""),
                name="unique_quote_device_reference",
            ),
        ]
        indexes = [models.Index(fields=["status", "valid_until"])]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")

    def __str__(self) -> str:
        return self.reference or str(_("Draft quote"))

    @property
    def reference(self) -> str:
        """The number as printed: ``MN-2026-000123``, then ``MN-2026-000123-v2``…"""
        if not self.number:
            return ""
        return self.number if self.version == 1 else f"{self.number}-v{self.version}"

    @property
    def is_draft(self) -> bool:
        return self.status == QuoteStatus.DRAFT

    def can_become(self, status: str) -> bool:
        return status in QUOTE_TRANSITIONS.get(self.status, frozenset())


class ContractQuerySet(AgencyScopedQuerySet["Contract"]):
    agency_field = "quote__visit__agency"


class Contract(models.Model):
    """An off-premises contract (contrat hors établissement) made from an issued quote."""

    quote = models.OneToOneField(
        Quote, on_delete=models.PROTECT, related_name="contract", verbose_name=_("quote")
    )
    general_terms = models.ForeignKey(
        LegalText,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("general terms version"),
    )
    early_start_requested = models.BooleanField(
        _("the client asks to start before the end of the withdrawal period"), default=False
    )
    # The quote's document model with the contract's part: what the client signs.
    document_model = models.JSONField(_("document model"), default=_empty)
    client_uuid = models.UUIDField(_("id on the tablet"), null=True, blank=True, unique=True)
    # On the tablet's clock when made there; received_at is the server's.
    made_at = models.DateTimeField(_("made"), null=True, blank=True)
    received_at = models.DateTimeField(_("received by the server"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    signed_at = models.DateTimeField(_("signed"), null=True, blank=True)

    objects = ContractQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")

    def __str__(self) -> str:
        return f"{_('Contract')} {self.quote.reference}"


class _DocumentsStorage(LazyObject):
    """``storages["documents"]``, looked up when first used and again after the
    STORAGES setting changes (a test switching to object storage)."""

    _wrapped: Any  # the storage, or ``empty`` until it is looked up

    def _setup(self) -> None:
        self._wrapped = storages["documents"]


_documents_storage = _DocumentsStorage()


@receiver(setting_changed)
def _storages_changed(*, setting: str, **kwargs: object) -> None:
    if setting == "STORAGES":
        _documents_storage._wrapped = empty


def documents_storage() -> Storage:
    """Private storage of the PDFs (settings.STORAGES["documents"]), read at run time."""
    return cast(Storage, _documents_storage)


class DocumentKind(models.TextChoices):
    QUOTE = "quote", _("Quote")
    CONTRACT = "contract", _("Contract")
    SIGNED_QUOTE = "signed_quote", _("Signed quote")
    SIGNED_CONTRACT = "signed_contract", _("Signed contract")
    EVIDENCE = "evidence", _("Evidence file (PDF)")
    EVIDENCE_JSON = "evidence_json", _("Evidence file (JSON)")
    AUDIT_TRAIL = "audit_trail", _("Signature provider's audit trail")


class DocumentQuerySet(AgencyScopedQuerySet["Document"]):
    agency_field = "quote__visit__agency"


class Document(models.Model):
    """A rendered PDF, stored once in the documents storage with its SHA-256 (never re-rendered)."""

    kind = models.CharField(_("kind"), max_length=20, choices=DocumentKind.choices)
    quote = models.ForeignKey(
        Quote, on_delete=models.PROTECT, related_name="documents", verbose_name=_("quote")
    )
    file = models.FileField(_("file"), upload_to="%Y/%m/", storage=documents_storage)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("size (bytes)"))
    pages = models.PositiveSmallIntegerField(_("pages"))
    created_at = models.DateTimeField(_("rendered"), auto_now_add=True)
    emailed_at = models.DateTimeField(_("emailed to the client"), null=True, blank=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["quote", "kind"], name="one_document_per_kind")
        ]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quote.reference}"

    @property
    def filename(self) -> str:
        extension = "json" if self.kind == DocumentKind.EVIDENCE_JSON else "pdf"
        return f"{FILE_PREFIXES[self.kind]}-{self.quote.reference}.{extension}"


FILE_PREFIXES: dict[str, str] = {
    DocumentKind.QUOTE: "devis",
    DocumentKind.CONTRACT: "contrat",
    DocumentKind.SIGNED_QUOTE: "devis-signe",
    DocumentKind.SIGNED_CONTRACT: "contrat-signe",
    DocumentKind.EVIDENCE: "dossier-de-preuve",
    DocumentKind.EVIDENCE_JSON: "dossier-de-preuve",
    DocumentKind.AUDIT_TRAIL: "piste-d-audit",
}
