"""Prospects and the visits made at their homes."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from organisation.models import Agency
from organisation.scoping import AgencyScopedQuerySet


class Civility(models.TextChoices):
    MRS = "mrs", _("Mrs")
    MR = "mr", _("Mr")
    NONE = "", _("Not given")


class Prospect(models.Model):
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="prospects", verbose_name=_("agency")
    )
    civility = models.CharField(_("civility"), max_length=3, choices=Civility.choices, blank=True)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # Postal address of the client.
    address = models.CharField(_("address"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=5)
    city = models.CharField(_("city"), max_length=100)
    # Place of intervention, when it is not the postal address (a second home, a parent's).
    intervention_address = models.CharField(
        _("place of intervention"),
        max_length=200,
        blank=True,
        help_text=_("Leave empty when the service takes place at the address above."),
    )
    intervention_postal_code = models.CharField(
        _("postal code of the place of intervention"), max_length=5, blank=True
    )
    intervention_city = models.CharField(
        _("city of the place of intervention"), max_length=100, blank=True
    )
    # Household: drives the tax-credit cap (art. 199 sexdecies CGI).
    adults = models.PositiveSmallIntegerField(_("adults in the household"), default=1)
    dependent_children = models.PositiveSmallIntegerField(_("dependent children"), default=0)
    members_over_65 = models.PositiveSmallIntegerField(_("members over 65"), default=0)
    disabled_member = models.BooleanField(_("a household member is disabled"), default=False)
    wants_immediate_advance = models.BooleanField(
        _("wants the URSSAF immediate advance"), default=False
    )
    consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    # consent_at is when it was given (on the tablet's clock when recorded offline);
    # this is when the server received it.
    consent_received_at = models.DateTimeField(_("consent received at"), null=True, blank=True)
    consent_text_version = models.CharField(
        _("version of the consent text shown"), max_length=20, blank=True
    )
    # Who recorded the consent (the advisor at the prospect's side).
    consent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("consent recorded by"),
    )
    # Set when the person's data was anonymised (retention period over, or erasure).
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True)
    backoffice_ref = models.CharField(_("back-office reference"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AgencyScopedQuerySet["Prospect"].as_manager()

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("prospect")
        verbose_name_plural = _("prospects")

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def place_of_intervention(self) -> str:
        if self.intervention_address:
            return (
                f"{self.intervention_address}, {self.intervention_postal_code} "
                f"{self.intervention_city}"
            )
        return f"{self.address}, {self.postal_code} {self.city}"


# Answer keys that hold a door or alarm code: masked in the audit log, hidden from other
# advisors, and carried by no event but the mission sheet (integrations.events).
ACCESS_CODE_KEYS = frozenset({"door_code", "alarm_code"})

# What the advisor edits on the prospect step (consent is recorded separately).
PROSPECT_FIELDS = [
    "civility",
    "first_name",
    "last_name",
    "email",
    "phone",
    "address",
    "postal_code",
    "city",
    "intervention_address",
    "intervention_postal_code",
    "intervention_city",
    "adults",
    "dependent_children",
    "members_over_65",
    "disabled_member",
    "wants_immediate_advance",
]


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


# Which status may follow which. Going back from "needs captured" to "in progress" lets
# the advisor correct answers before the quote; a signed visit is final.
TRANSITIONS: dict[str, frozenset[str]] = {
    VisitStatus.SCHEDULED: frozenset(
        {VisitStatus.IN_PROGRESS, VisitStatus.CANCELLED, VisitStatus.LOST}
    ),
    VisitStatus.IN_PROGRESS: frozenset(
        {VisitStatus.NEEDS_CAPTURED, VisitStatus.LOST, VisitStatus.CANCELLED}
    ),
    VisitStatus.NEEDS_CAPTURED: frozenset(
        {VisitStatus.IN_PROGRESS, VisitStatus.QUOTED, VisitStatus.LOST}
    ),
    VisitStatus.QUOTED: frozenset({VisitStatus.SIGNED, VisitStatus.IN_PROGRESS, VisitStatus.LOST}),
    VisitStatus.SIGNED: frozenset(),
    VisitStatus.LOST: frozenset(),
    VisitStatus.CANCELLED: frozenset(),
}


class Channel(models.TextChoices):
    APP = "app", _("App")
    PAPER = "paper", _("Paper")


def _empty_answers() -> dict[str, Any]:
    return {}


class Visit(models.Model):
    uuid = models.UUIDField(
        _("client id"),
        default=uuid.uuid4,
        unique=True,
        help_text=_("Created by the device that first recorded the visit."),
    )
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
    activities = models.JSONField(_("activities"), default=list)
    status = models.CharField(
        _("status"), max_length=20, choices=VisitStatus.choices, default=VisitStatus.SCHEDULED
    )
    status_reason = models.CharField(_("reason"), max_length=300, blank=True)
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.APP
    )
    catalogue_versions = models.ManyToManyField(
        "visits.CatalogueVersion",
        blank=True,
        related_name="visits",
        verbose_name=_("catalogue versions used"),
    )
    answers = models.JSONField(_("answers"), default=_empty_answers, blank=True)
    completed_steps = models.JSONField(_("completed steps"), default=list, blank=True)
    estimate = models.JSONField(_("estimate breakdown"), null=True, blank=True)
    estimated_minutes = models.PositiveIntegerField(
        _("estimated minutes per week"), null=True, blank=True
    )
    estimator_version = models.CharField(_("estimator version"), max_length=20, blank=True)
    proposed_minutes = models.PositiveIntegerField(
        _("proposed minutes per week"), null=True, blank=True
    )
    override_reason = models.CharField(_("reason for another figure"), max_length=500, blank=True)
    version = models.PositiveIntegerField(
        _("version"), default=1, help_text=_("Raised on every change; a stale edit is a conflict.")
    )
    backoffice_ref = models.CharField(_("back-office reference"), max_length=40, blank=True)
    # When the back office says the service began (for the visit → service delay figures).
    service_started_at = models.DateTimeField(_("service started"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AgencyScopedQuerySet["Visit"].as_manager()

    class Meta:
        ordering = ["scheduled_at"]
        indexes = [
            models.Index(fields=["agency", "scheduled_at"]),
            models.Index(fields=["advisor", "scheduled_at"]),
        ]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")

    def __str__(self) -> str:
        return f"{self.prospect} — {self.scheduled_at:%Y-%m-%d %H:%M}"

    @property
    def ends_at(self) -> datetime:
        return self.scheduled_at + timedelta(minutes=self.duration_minutes)

    def get_activities_display(self) -> str:
        labels = dict(Activity.choices)
        return ", ".join(str(labels.get(code, code)) for code in self.activities)

    def can_become(self, status: str) -> bool:
        return status in TRANSITIONS.get(self.status, frozenset())

    @property
    def is_editable(self) -> bool:
        return self.status in {
            VisitStatus.SCHEDULED,
            VisitStatus.IN_PROGRESS,
            VisitStatus.NEEDS_CAPTURED,
        }
