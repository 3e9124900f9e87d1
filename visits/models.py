"""Prospects and the visits made at their homes.

The capture of needs (questionnaire, rooms, estimate) grows here with the visit-capture
work; this module holds what the agenda needs.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from organisation.models import Agency
from organisation.scoping import AgencyScopedQuerySet


class Prospect(models.Model):
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="prospects", verbose_name=_("agency")
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=5)
    city = models.CharField(_("city"), max_length=100)
    backoffice_ref = models.CharField(_("back-office reference"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = AgencyScopedQuerySet["Prospect"].as_manager()

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("prospect")
        verbose_name_plural = _("prospects")

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Activity(models.TextChoices):
    HOUSEKEEPING = "housekeeping", _("Housekeeping and ironing")
    GARDENING = "gardening", _("Gardening")


class VisitStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    IN_PROGRESS = "in_progress", _("In progress")
    NEEDS_CAPTURED = "needs_captured", _("Needs captured")
    QUOTED = "quoted", _("Quoted")
    SIGNED = "signed", _("Signed")
    LOST = "lost", _("Lost")
    CANCELLED = "cancelled", _("Cancelled")


class Channel(models.TextChoices):
    APP = "app", _("App")
    PAPER = "paper", _("Paper")


class Visit(models.Model):
    uuid = models.UUIDField(_("client id"), default=uuid.uuid4, unique=True, editable=False)
    prospect = models.ForeignKey(
        Prospect, on_delete=models.PROTECT, related_name="visits", verbose_name=_("prospect")
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="visits", verbose_name=_("agency")
    )
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="visits",
        null=True,
        blank=True,
        verbose_name=_("advisor"),
    )
    scheduled_at = models.DateTimeField(_("scheduled at"))
    duration_minutes = models.PositiveSmallIntegerField(_("planned duration (minutes)"), default=60)
    activity = models.CharField(_("activity"), max_length=20, choices=Activity.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=VisitStatus.choices, default=VisitStatus.SCHEDULED
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.APP
    )
    backoffice_ref = models.CharField(_("back-office reference"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = AgencyScopedQuerySet["Visit"].as_manager()

    class Meta:
        ordering = ["scheduled_at"]
        indexes = [models.Index(fields=["agency", "scheduled_at"])]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")

    def __str__(self) -> str:
        return f"{self.prospect} — {self.scheduled_at:%Y-%m-%d %H:%M}"

    @property
    def ends_at(self) -> datetime:
        return self.scheduled_at + timedelta(minutes=self.duration_minutes)
