"""Legal texts (general terms, consent) as versioned data, edited by staff."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class LegalTextKind(models.TextChoices):
    GENERAL_TERMS = "general_terms", _("General terms")
    CONSENT = "consent", _("Consent to the processing of personal data")
    PRECONTRACT = "precontract", _("Pre-contract information")
    WITHDRAWAL = "withdrawal", _("Withdrawal information")
    NO_PAYMENT = "no_payment", _("No payment during seven days")
    EARLY_START = "early_start", _("Express request to start early")
    WITHDRAWAL_FORM = "withdrawal_form", _("Withdrawal form")


class LegalText(models.Model):
    """One version of a legal text. Published versions never change: contracts cite them."""

    kind = models.CharField(_("kind"), max_length=20, choices=LegalTextKind.choices)
    version = models.CharField(_("version"), max_length=20)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(
        _("text"),
        help_text=_("Paragraphs separated by a blank line; a line starting with # is a heading."),
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "-published_at", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="unique_legal_text_version")
        ]
        verbose_name = _("legal text")
        verbose_name_plural = _("legal texts")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def blocks(self) -> list[tuple[str, str]]:
        """("h", text) for headings and ("p", text) for paragraphs, for the documents."""
        out: list[tuple[str, str]] = []
        for block in self.body.replace("\r\n", "\n").split("\n\n"):
            block = block.strip()
            if block.startswith("#"):
                heading, _, rest = block.partition("\n")
                out.append(("h", heading.lstrip("# ").strip()))
                block = rest.strip()
            if block:
                out.append(("p", " ".join(line.strip() for line in block.splitlines())))
        return out
