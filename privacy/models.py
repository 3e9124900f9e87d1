"""The audit log of changes to personal and contractual data (logins are in AccessEvent)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Changed")
    STATUS = "status", _("Status changed")
    ASSIGN = "assign", _("Assigned")
    CONSENT = "consent", _("Consent recorded")
    ISSUE = "issue", _("Issued")
    SIGN = "sign", _("Signed")
    EXPORT = "export", _("Personal data exported")
    ERASE = "erase", _("Personal data erased")
    ANONYMISE = "anonymise", _("Anonymised after the retention period")


def _empty() -> dict[str, Any]:
    return {}


class AuditEntry(models.Model):
    """One change: who, when, which object, and each field's value before and after.

    Append-only: the admin offers no add, change or delete, for superusers either. The
    only rewrite is the erasure of a person, which blanks the values kept here about them
    (the entries themselves, with who did what and when, stay).
    """

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    action = models.CharField(_("action"), max_length=12, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=50)
    object_id = models.PositiveBigIntegerField(_("object id"))
    # The person the change is about, to gather a person's trail (export, erasure). Not a
    # foreign key: the trail must outlive any row it mentions.
    prospect_ref = models.PositiveBigIntegerField(_("prospect id"), null=True, db_index=True)
    changes = models.JSONField(
        _("changes"), default=_empty, blank=True, help_text=_("Field: [before, after].")
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_type} #{self.object_id}"
