"""What a device prepares to work a day (or a week) without network: each visit's pages
and data, every page the menu leads to, and the blank pages of a visit created offline."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone

from organisation.models import Agency, Role, User
from organisation.selectors import brand_for_user
from quotes.selectors import signing_urls
from visits.catalogue import visit_catalogues
from visits.models import Visit
from visits.selectors import agenda_visits
from visits.steps import visit_steps

# The id in the URLs of a blank visit page, prepared so that a visit created offline has
# its pages: the service worker serves them with this id replaced by the new visit's.
TEMPLATE_VISIT = uuid.UUID("00000000-0000-4000-8000-000000000000")
# The activities a visit created offline may have: one set of blank pages each.
WALK_IN_ACTIVITIES = (["housekeeping"], ["gardening"], ["housekeeping", "gardening"])
# The visits still to work on: their pages go on the device.
OPEN_STATUSES = ("scheduled", "in_progress", "needs_captured", "quoted")


def offline_plan(*, user: User, days: int) -> dict[str, Any]:
    """The pages, the visits (with their URLs) and the blank pages to cache, from today."""
    today = timezone.localdate()
    return {
        "pages": _pages(user=user, today=today, days=days),
        "visits": _visits(user=user, today=today, days=days),
        "templates": _template_urls(user=user),
    }


def _visits(*, user: User, today: date, days: int) -> list[dict[str, Any]]:
    visits = agenda_visits(user=user, start=today, end=today + timedelta(days=days - 1))
    entries = []
    for visit in visits.filter(status__in=OPEN_STATUSES):
        steps = visit_steps(catalogues=visit_catalogues(visit=visit))
        urls = [
            reverse("visits:visit_detail", args=[visit.pk]),
            reverse("visits:visit_data", args=[visit.pk]),
            *(reverse("visits:visit_step", args=[visit.pk, s.key]) for s in steps),
            reverse("quotes:sale", args=[visit.pk]),
            *signing_urls(visit=visit),
        ]
        entries.append(
            {"id": visit.pk, "version": visit.version, "label": str(visit.prospect), "urls": urls}
        )
    return entries


def _pages(*, user: User, today: date, days: int) -> list[str]:
    """Every page the menu leads to, so that no link of the app ends offline on nothing."""
    agenda = reverse("visits:agenda")
    pages = [agenda, f"{agenda}?view=week", reverse("visits:conflict_list")]
    for offset in range(days):
        day = (today + timedelta(days=offset)).isoformat()
        pages += [f"{agenda}?date={day}", f"{agenda}?view=day&date={day}"]
        pages.append(f"{agenda}?view=week&date={day}")
    pages.append(reverse("announcements:list"))
    pages.append(reverse("visits:pending"))
    # The brand's look and the installed app's manifest and icons, offline too.
    pages.append(reverse("manifest"))
    brand = brand_for_user(user=user)
    if brand is not None:
        pages.append(reverse("organisation:brand_theme", args=[brand.slug]))
        pages += [reverse("organisation:brand_icon", args=[brand.slug, n]) for n in (192, 512)]
    if user.role in (Role.ADVISOR, Role.MANAGER):
        pages.append(reverse("visits:visit_create"))
    return pages


def _template_urls(*, user: User) -> list[str]:
    """The blank pages of a new visit, per agency of the person and set of activities."""
    if user.role not in (Role.ADVISOR, Role.MANAGER):
        return []
    urls = []
    for agency in Agency.objects.for_user(user):
        for activities in WALK_IN_ACTIVITIES:
            query = f"?modele={agency.pk}:{','.join(activities)}"
            blank = Visit(agency=agency, activities=activities)
            steps = visit_steps(catalogues=visit_catalogues(visit=blank))
            urls += [
                reverse("visits:visit_detail", args=[TEMPLATE_VISIT]) + query,
                reverse("visits:visit_data", args=[TEMPLATE_VISIT]) + query,
                *(
                    reverse("visits:visit_step", args=[TEMPLATE_VISIT, s.key]) + query
                    for s in steps
                ),
                reverse("quotes:sale", args=[TEMPLATE_VISIT]) + query,
            ]
    return urls
