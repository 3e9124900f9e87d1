"""The needs questionnaire as data: one versioned catalogue per activity.

Staff edit a *draft* in the admin and publish it; a published version never changes
(the admin makes it read-only and the services refuse to touch it). A visit records the
versions it was captured with, so its answers always read against the same questions.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from visits.models.labels import Bilingual
from visits.models.visit import Activity


class CatalogueStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class Step(models.TextChoices):
    """The steps of the visit flow that catalogue sections fill (in flow order)."""

    DWELLING = "dwelling", _("Dwelling and rooms")
    IRONING_EXTRAS = "ironing_extras", _("Ironing and extras")
    GARDEN = "garden", _("Garden")
    HOUSEHOLD = "household", _("Products, equipment, pets, access")
    INSTRUCTIONS = "instructions", _("Special instructions")
    SCHEDULE = "schedule", _("Schedule wishes")


class QuestionType(models.TextChoices):
    CHOICE = "choice", _("Choice")
    MULTI_CHOICE = "multi_choice", _("Multiple choice")
    NUMBER = "number", _("Number")
    YES_NO = "yes_no", _("Yes / no")
    TEXT = "text", _("Text")
    DATE = "date", _("Date")
    ROOMS = "rooms", _("List of rooms")


class CatalogueVersion(models.Model):
    activity = models.CharField(_("activity"), max_length=20, choices=Activity.choices)
    number = models.PositiveIntegerField(_("version"), null=True, blank=True, editable=False)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=CatalogueStatus.choices,
        default=CatalogueStatus.DRAFT,
        editable=False,
    )
    notes = models.TextField(_("what changed"), blank=True)
    created_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        verbose_name=_("created from"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("published by"),
    )

    class Meta:
        ordering = ["activity", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "number"], name="unique_catalogue_version_number"
            ),
        ]
        verbose_name = _("questionnaire catalogue")
        verbose_name_plural = _("questionnaire catalogues")

    def __str__(self) -> str:
        if self.number is None:
            return f"{self.get_activity_display()} — {_('draft')} #{self.pk}"
        return f"{self.get_activity_display()} — v{self.number}"

    @property
    def is_published(self) -> bool:
        return self.status == CatalogueStatus.PUBLISHED


class Section(Bilingual):
    version = models.ForeignKey(CatalogueVersion, on_delete=models.CASCADE, related_name="sections")
    key = models.SlugField(_("key"), max_length=50)
    step = models.CharField(_("step"), max_length=20, choices=Step.choices)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="unique_section_key"),
        ]
        verbose_name = _("section")
        verbose_name_plural = _("sections")


class Question(Bilingual):
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(
        _("key"), max_length=50, help_text=_("Stable identifier, shared with the back office.")
    )
    type = models.CharField(_("type"), max_length=20, choices=QuestionType.choices)
    help_fr = models.CharField(_("help (French)"), max_length=300, blank=True)
    help_en = models.CharField(_("help (English)"), max_length=300, blank=True)
    required = models.BooleanField(_("required"), default=False)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    min_value = models.DecimalField(
        _("minimum"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("maximum"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    choices = models.JSONField(
        _("choices"),
        default=list,
        blank=True,
        help_text=_('A list of {"value": …, "label_fr": …, "label_en": …}.'),
    )
    sensitive = models.BooleanField(
        _("sensitive"),
        default=False,
        help_text=_("Door or alarm codes: shown only to those who need them."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")


class RoomType(Bilingual):
    version = models.ForeignKey(
        CatalogueVersion, on_delete=models.CASCADE, related_name="room_types"
    )
    key = models.SlugField(_("key"), max_length=50)
    default_surface_m2 = models.DecimalField(
        _("default surface (m²)"), max_digits=6, decimal_places=1, default=10
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="unique_room_type_key"),
        ]
        verbose_name = _("room type")
        verbose_name_plural = _("room types")


class RoomTask(Bilingual):
    room_type = models.ForeignKey(RoomType, on_delete=models.CASCADE, related_name="tasks")
    key = models.SlugField(_("key"), max_length=50)
    fixed_minutes = models.DecimalField(
        _("minutes per occurrence"), max_digits=6, decimal_places=2, default=0
    )
    minutes_per_m2 = models.DecimalField(
        _("extra minutes per m²"), max_digits=6, decimal_places=2, default=0
    )
    default_frequency = models.CharField(_("default frequency"), max_length=10, default="each")
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["room_type", "key"], name="unique_room_task_key"),
        ]
        verbose_name = _("room task")
        verbose_name_plural = _("room tasks")


class Norm(Bilingual):
    """A time norm the estimator reads by key (minutes, factors, rates)."""

    version = models.ForeignKey(CatalogueVersion, on_delete=models.CASCADE, related_name="norms")
    key = models.SlugField(_("key"), max_length=50)
    value = models.DecimalField(_("value"), max_digits=8, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=20)

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="unique_norm_key"),
        ]
        verbose_name = _("time norm")
        verbose_name_plural = _("time norms")
