"""Signature requests, their evidence, and the webhooks received from the remote provider."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from organisation.scoping import AgencyScopedQuerySet
from quotes.models import Contract


class Provider(models.TextChoices):
    ONSITE = "onsite", _("On the tablet")
    YOUSIGN = "yousign", _("Remote, through Yousign")


class SignatureStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the signer")
    SIGNED = "signed", _("Signed")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")
    # The figures signed on the device differ from the server's: nothing is printed as signed.
    CONFLICT = "conflict", _("Refused: the document changed")


def _empty() -> dict[str, Any]:
    return {}


class SignatureRequestQuerySet(AgencyScopedQuerySet["SignatureRequest"]):
    agency_field = "contract__quote__visit__agency"


class SignatureRequest(models.Model):
    contract = models.ForeignKey(
        Contract,
        on_delete=models.PROTECT,
        related_name="signature_requests",
        verbose_name=_("contract"),
    )
    provider = models.CharField(_("provider"), max_length=10, choices=Provider.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=SignatureStatus.choices, default=SignatureStatus.PENDING
    )
    signer_first_name = models.CharField(_("signer's first name"), max_length=100)
    signer_last_name = models.CharField(_("signer's last name"), max_length=100)
    signer_email = models.EmailField(_("signer's email"), blank=True)
    signer_phone = models.CharField(_("signer's phone"), max_length=20, blank=True)
    document_hash = models.CharField(
        _("SHA-256 of what is signed"),
        max_length=64,
        help_text=_("Hash of the canonical form of the figures and texts presented."),
    )
    client_uuid = models.UUIDField(_("submission id"), null=True, blank=True, unique=True)
    external_id = models.CharField(
        _("provider's request id"), max_length=64, blank=True, db_index=True
    )
    external_signer_id = models.CharField(_("provider's signer id"), max_length=64, blank=True)
    signature_link = models.URLField(_("embedded signature link"), blank=True, max_length=500)
    evidence = models.JSONField(_("evidence"), default=_empty, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    signed_at = models.DateTimeField(_("signed"), null=True, blank=True)
    completed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    objects = SignatureRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # At most one signature request in progress or signed per contract.
            models.UniqueConstraint(
                fields=["contract"],
                condition=models.Q(status__in=["pending", "signed"]),
                name="one_live_signature_per_contract",
            ),
        ]
        verbose_name = _("signature request")
        verbose_name_plural = _("signature requests")

    def __str__(self) -> str:
        return f"{self.contract} — {self.get_provider_display()} ({self.get_status_display()})"

    @property
    def signer_name(self) -> str:
        return f"{self.signer_first_name} {self.signer_last_name}".strip()


class WebhookEvent(models.Model):
    """A webhook received from Yousign, kept once per event id (retries repeat it)."""

    event_id = models.CharField(_("event id"), max_length=64, unique=True)
    name = models.CharField(_("event"), max_length=64)
    payload = models.JSONField(_("payload"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("signature webhook")
        verbose_name_plural = _("signature webhooks")

    def __str__(self) -> str:
        return f"{self.name} {self.event_id}"


class IdentityDocument(models.TextChoices):
    """The identity document the advisor checked before the on-site signature."""

    IDENTITY_CARD = "identity_card", _("Identity card")
    PASSPORT = "passport", _("Passport")
    RESIDENCE_PERMIT = "residence_permit", _("Residence permit")
    DRIVING_LICENCE = "driving_licence", _("Driving licence")
    OTHER = "other", _("Other official identity document")


class PaperCopyTaskQuerySet(AgencyScopedQuerySet["PaperCopyTask"]):
    agency_field = "contract__quote__visit__agency"

    def open(self) -> PaperCopyTaskQuerySet:
        return self.filter(done_on__isnull=True)


class PaperCopyTask(models.Model):
    """L221-9: the signed contract must be handed or posted on paper to a client who gave
    no email or did not consent to receiving it by email. Listed on the manager's
    dashboard until the agency marks it done, with the date."""

    contract = models.OneToOneField(
        Contract,
        on_delete=models.PROTECT,
        related_name="paper_copy_task",
        verbose_name=_("contract"),
    )
    signature = models.ForeignKey(
        SignatureRequest,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("signature"),
    )
    reason = models.CharField(_("reason"), max_length=200)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    done_on = models.DateField(_("handed or posted on"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("marked done by"),
    )
    done_recorded_at = models.DateTimeField(_("marked done at"), null=True, blank=True)

    objects = PaperCopyTaskQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("paper copy of a contract to hand over")
        verbose_name_plural = _("paper copies of contracts to hand over")

    def __str__(self) -> str:
        what = _("paper copy to hand over")
        return f"{self.contract} — {what}"
