"""The dashboard's summary table: its figures per month, agency, advisor and activity.

At network scale (250,000 visits a year) the dashboard's figures computed from the
visits, quotes and contracts take seconds: every request joins and scans a year of rows.
``MonthlyFigures`` holds the same figures already summed, one row per month, agency,
advisor and activity (``""`` for all the visits, then one row per activity met), about
30,000 rows a year at group scale. ``dashboard.summaries`` rebuilds it from the source
tables, every few minutes (Celery beat, ``DASHBOARD_SUMMARY_EVERY_SECONDS``), and
``dashboard.selectors`` reads whole months from it and the days around them (the current
month, a period starting mid-month) from the source tables.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from organisation.scoping import AgencyScopedQuerySet

#: The ``activity`` of the rows that count every visit, whatever its activities.
ALL_ACTIVITIES = ""


class MonthlyFigures(models.Model):
    month = models.DateField(help_text=_("First day of the month (local time)."))
    agency = models.ForeignKey("organisation.Agency", on_delete=models.CASCADE, related_name="+")
    brand = models.ForeignKey("organisation.Brand", on_delete=models.CASCADE, related_name="+")
    advisor = models.ForeignKey(
        "organisation.User", on_delete=models.CASCADE, null=True, related_name="+"
    )
    activity = models.CharField(max_length=30, blank=True)

    # Visits of the month (by their scheduled time).
    total = models.PositiveIntegerField(default=0)
    held = models.PositiveIntegerField(default=0)
    app = models.PositiveIntegerField(default=0)
    paper = models.PositiveIntegerField(default=0)
    status_scheduled = models.PositiveIntegerField(default=0)
    status_in_progress = models.PositiveIntegerField(default=0)
    status_needs_captured = models.PositiveIntegerField(default=0)
    status_quoted = models.PositiveIntegerField(default=0)
    status_signed = models.PositiveIntegerField(default=0)
    status_lost = models.PositiveIntegerField(default=0)
    status_cancelled = models.PositiveIntegerField(default=0)
    activity_housekeeping = models.PositiveIntegerField(default=0)
    activity_gardening = models.PositiveIntegerField(default=0)
    minutes_estimated = models.BigIntegerField(default=0)
    minutes_proposed = models.BigIntegerField(default=0)

    # Signed contracts of those visits.
    signed_visits = models.PositiveIntegerField(default=0)
    minutes_contracted = models.BigIntegerField(default=0)
    minutes_estimated_signed = models.BigIntegerField(default=0)
    #: Visit → signature and signature → service start, one value per signed contract:
    #: medians do not add up, so the values themselves are kept. Microseconds, sorted,
    #: comma-separated (``figures.delays_text``): the network's tens of thousands are read
    #: in milliseconds, where a JSON list per row took a third of a second to decode.
    to_signature = models.TextField(blank=True)
    to_start = models.TextField(blank=True)

    objects = AgencyScopedQuerySet["MonthlyFigures"].as_manager()

    class Meta:
        verbose_name = _("monthly figures")
        verbose_name_plural = _("monthly figures")
        indexes = [
            # The network's figures: one activity (or all), a range of months.
            models.Index(fields=["activity", "month"], name="dashboard_mf_activity_month"),
            # An agency's (a manager's) figures.
            models.Index(fields=["agency", "activity", "month"], name="dashboard_mf_agency"),
            # One advisor's figures.
            models.Index(fields=["advisor", "activity", "month"], name="dashboard_mf_advisor"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} · {self.agency_id} · {self.advisor_id} · {self.activity or '*'}"


class SummaryState(models.Model):
    """The one row saying which whole months ``MonthlyFigures`` holds, and since when."""

    first_month = models.DateField()
    last_month = models.DateField()
    refreshed_at = models.DateTimeField()
    seconds = models.FloatField(help_text=_("How long the last rebuild took."))
    rows = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("summary state")

    def __str__(self) -> str:
        return f"{self.first_month:%Y-%m} → {self.last_month:%Y-%m} ({self.refreshed_at:%c})"
