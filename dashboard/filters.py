"""The dashboard's filters, read from the query string so that a view can be bookmarked.

Every choice is limited to what the person may see: a manager's agency list is their
agencies, and an id from elsewhere is an invalid choice (a French error on the page),
never another agency's figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from organisation.models import Agency, Brand, Role, User
from visits.models import Activity, VisitStatus

#: The longest period one page may cover; beyond it the figures stop meaning much.
MAX_PERIOD_DAYS = 3 * 366

#: Columns the visit list may be sorted on, and the ORM ordering each stands for.
SORTS: dict[str, tuple[str, ...]] = {
    "date": ("scheduled_at", "pk"),
    "-date": ("-scheduled_at", "-pk"),
    "agency": ("agency__name", "scheduled_at", "pk"),
    "-agency": ("-agency__name", "-scheduled_at", "-pk"),
    "advisor": ("advisor__last_name", "advisor__first_name", "scheduled_at", "pk"),
    "-advisor": ("-advisor__last_name", "-advisor__first_name", "-scheduled_at", "-pk"),
    "status": ("status", "scheduled_at", "pk"),
    "-status": ("-status", "-scheduled_at", "-pk"),
    "hours": ("estimated_minutes", "scheduled_at", "pk"),
    "-hours": ("-estimated_minutes", "-scheduled_at", "-pk"),
}
DEFAULT_SORT = "-date"


def default_period(today: date | None = None) -> tuple[date, date]:
    """The last twelve whole months up to today: long enough to show the adoption trend."""
    today = today or timezone.localdate()
    first = today.replace(day=1)
    year, month = (first.year - 1, first.month + 1) if first.month < 12 else (first.year, 1)
    return date(year, month, 1), today


class QuickSelect(forms.Select):
    """A ``<select>`` drawn in Python rather than with a template per option.

    Head office's agency list holds the network's 630 agencies: through Django's option
    template it took a third of the page's time (100 ms). Same markup, same escaping.
    """

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        context = self.get_context(name, value, attrs)["widget"]
        options = "".join(
            f'<option value="{escape(option["value"])}"'
            f"{' selected' if option['selected'] else ''}>{escape(option['label'])}</option>"
            for _group, group_options, _index in context["optgroups"]
            for option in group_options
        )
        # Every value and label above is escaped; format_html escapes the rest.
        return format_html(
            '<select name="{}"{}>{}</select>',
            context["name"],
            flatatt(context["attrs"]),
            mark_safe(options),  # noqa: S308
        )


@dataclass(frozen=True)
class DashboardFilters:
    """The validated filters; ``None`` means "all that the person may see"."""

    start: date
    end: date
    agency: Agency | None = None
    brand: Brand | None = None
    advisor: User | None = None
    activity: str = ""
    status: str = ""
    sort: str = DEFAULT_SORT


class DashboardFilterForm(forms.Form):
    start = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    brand = forms.ModelChoiceField(
        label=_("Brand"),
        queryset=Brand.objects.none(),
        required=False,
        empty_label=_("All brands"),
        widget=QuickSelect,
    )
    agency = forms.ModelChoiceField(
        label=_("Agency"),
        queryset=Agency.objects.none(),
        required=False,
        empty_label=_("All agencies"),
        widget=QuickSelect,
    )
    advisor = forms.ModelChoiceField(
        label=_("Advisor"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("All advisors"),
        widget=QuickSelect,
    )
    activity = forms.ChoiceField(
        label=_("Activity"),
        choices=[("", _("All activities")), *Activity.choices],
        required=False,
    )
    # Only on the visit list; harmless elsewhere.
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All statuses")), *VisitStatus.choices], required=False
    )
    sort = forms.ChoiceField(
        choices=[(key, key) for key in SORTS], required=False, widget=forms.HiddenInput
    )

    def __init__(self, data: Any, *, user: User, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.user = user
        agencies = Agency.objects.for_user(user).select_related("brand")
        brand_id = self._raw_id("brand") if user.is_staff else None
        if brand_id is not None:
            agencies = agencies.filter(brand_id=brand_id)
        self.fields["agency"].queryset = agencies  # type: ignore[attr-defined]
        self.fields["agency"].label_from_instance = (  # type: ignore[attr-defined]
            lambda a: f"{a.name} · {a.brand.name}" if user.is_staff else a.name
        )
        # The same options, read as plain rows when the select is drawn: head office's
        # 630 agencies as model instances cost 25 ms a page.
        self.fields["agency"].widget.choices = lambda: [
            ("", self.fields["agency"].empty_label),  # type: ignore[attr-defined]
            *(
                (pk, f"{name} · {brand}" if user.is_staff else name)
                for pk, name, brand in agencies.values_list("pk", "name", "brand__name")
            ),
        ]
        if user.is_staff:
            self.fields["brand"].queryset = Brand.objects.all()  # type: ignore[attr-defined]
        else:
            # A manager's agencies are of one brand or two: the agency filter is enough.
            del self.fields["brand"]
        self.fields["advisor"].queryset = self._advisors(agencies)  # type: ignore[attr-defined]
        # Shown in the date inputs of an unfiltered page, so the period is never a guess.
        self.fields["start"].initial, self.fields["end"].initial = default_period()

    def _advisors(self, agencies: QuerySet[Agency]) -> QuerySet[User]:
        """Advisors of the agency asked for, else of every agency in scope."""
        advisors = User.objects.filter(role=Role.ADVISOR, memberships__agency__in=agencies)
        agency_id = self._raw_id("agency")
        if agency_id is not None:
            advisors = advisors.filter(memberships__agency_id=agency_id)
        return advisors.distinct().order_by("last_name", "first_name")

    def _raw_id(self, name: str) -> int | None:
        """An id from the query string before validation, to narrow dependent choices."""
        value = str(self.data.get(name) or "") if self.data else ""
        return int(value) if value.isdigit() else None

    @property
    def lists_advisors(self) -> bool:
        """Whether the advisor select is worth drawing: not 3,000 names for head office."""
        return not self.user.is_staff or self._raw_id("agency") is not None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        default_start, default_end = default_period()
        start = data.get("start") or default_start
        end = data.get("end") or default_end
        if start > end:
            raise forms.ValidationError(_("The start of the period must be before its end."))
        if (end - start).days > MAX_PERIOD_DAYS:
            raise forms.ValidationError(_("The period may not be longer than three years."))
        data["start"], data["end"] = start, end
        return data

    def filters(self) -> DashboardFilters:
        """The filters to apply; call after ``is_valid()`` returned True."""
        data = self.cleaned_data
        return DashboardFilters(
            start=data["start"],
            end=data["end"],
            agency=data.get("agency"),
            brand=data.get("brand"),
            advisor=data.get("advisor"),
            activity=data.get("activity") or "",
            status=data.get("status") or "",
            sort=data.get("sort") or DEFAULT_SORT,
        )


def period_bounds(filters: DashboardFilters) -> tuple[date, date]:
    """Start day included, end day excluded: the end date chosen is a whole day."""
    return filters.start, filters.end + timedelta(days=1)
