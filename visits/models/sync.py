"""What makes offline writes safe: a log of changes, idempotent submissions, conflicts.

* ``VisitChange``: one row per accepted write on a visit, with the keys whose value it
  changed and the device that sent it. A write based on an older version is accepted
  when nobody else changed the same keys since; otherwise it becomes a ``Conflict``.
* ``Submission``: the answer given to one client-generated submission id, so that a
  replay of the same request gets the same answer and applies nothing twice.
* ``Conflict``: a write that could not be applied, kept with both versions until the
  advisor or the manager resolves it. Nothing is overwritten silently.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from organisation.scoping import AgencyScopedQuerySet
from visits.models.visit import Visit


class VisitChange(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="changes")
    version = models.PositiveIntegerField(_("version after the change"))
    keys = models.JSONField(_("keys changed"), default=list)
    device_id = models.CharField(_("device"), max_length=64, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["visit", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "version"], name="unique_visit_change_version"
            ),
        ]
        verbose_name = _("visit change")
        verbose_name_plural = _("visit changes")

    def __str__(self) -> str:
        return f"{self.visit_id} v{self.version}"


class Submission(models.Model):
    client_uuid = models.UUIDField(_("submission id"), unique=True)
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="submissions")
    body_hash = models.CharField(_("body hash"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("answer status"))
    response = models.JSONField(_("answer"), default=dict)
    device_id = models.CharField(_("device"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("offline submission")
        verbose_name_plural = _("offline submissions")

    def __str__(self) -> str:
        return str(self.client_uuid)


class ConflictQuerySet(AgencyScopedQuerySet["Conflict"]):
    agency_field = "visit__agency"


class Conflict(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="conflicts")
    step = models.CharField(_("step"), max_length=30)
    client_uuid = models.UUIDField(_("submission id"), null=True, blank=True)
    base_version = models.PositiveIntegerField(_("version the edit was based on"))
    server_version = models.PositiveIntegerField(_("version on the server"))
    mine = models.JSONField(_("the device's values"))
    theirs = models.JSONField(_("the server's values"))
    conflicting_keys = models.JSONField(_("keys changed on both sides"), default=list)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("author of the edit"),
    )
    device_id = models.CharField(_("device"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolution = models.JSONField(_("values kept"), null=True, blank=True)

    objects = ConflictQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("conflict")
        verbose_name_plural = _("conflicts")

    def __str__(self) -> str:
        return f"{self.visit} — {self.step} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @property
    def is_sale(self) -> bool:
        """A quote, contract or signature made on a tablet that the server could not take:
        nothing to merge, the sale is made again from the server's data."""
        return self.step in SALE_STEPS


SALE_STEPS = ("quote", "contract", "signature")
