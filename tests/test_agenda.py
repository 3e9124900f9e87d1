from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from organisation.models import Agency, Role, User
from tests.factories import UserFactory, VisitFactory

pytestmark = pytest.mark.django_db


def _at(day_offset: int, hour: int) -> datetime:
    day = timezone.localdate() + timedelta(days=day_offset)
    return datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone())


def test_it_shows_an_advisor_only_their_own_visits_of_the_day(
    client: Client, agency: Agency, advisor: User
) -> None:
    colleague = UserFactory(role=Role.ADVISOR, agencies=[agency])
    mine = VisitFactory(prospect__agency=agency, advisor=advisor, scheduled_at=_at(0, 10))
    theirs = VisitFactory(prospect__agency=agency, advisor=colleague, scheduled_at=_at(0, 11))
    tomorrow = VisitFactory(prospect__agency=agency, advisor=advisor, scheduled_at=_at(1, 9))
    client.force_login(advisor)

    page = client.get(reverse("visits:agenda")).content.decode()

    assert mine.prospect.last_name in page
    assert theirs.prospect.last_name not in page
    assert tomorrow.prospect.last_name not in page
    assert "Mon agenda" in page


def test_it_shows_the_week_from_monday_to_sunday(
    client: Client, agency: Agency, advisor: User
) -> None:
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    tz = timezone.get_current_timezone()
    inside = VisitFactory(
        prospect__agency=agency,
        advisor=advisor,
        scheduled_at=datetime.combine(monday + timedelta(days=6), time(18), tzinfo=tz),
    )
    outside = VisitFactory(
        prospect__agency=agency,
        advisor=advisor,
        scheduled_at=datetime.combine(monday + timedelta(days=7), time(8), tzinfo=tz),
    )
    client.force_login(advisor)

    page = client.get(reverse("visits:agenda"), {"view": "week"}).content.decode()

    assert inside.prospect.last_name in page
    assert outside.prospect.last_name not in page


def test_it_shows_a_manager_the_whole_agency_but_not_others(
    client: Client, agency: Agency, other_agency: Agency, manager: User
) -> None:
    advisor = UserFactory(role=Role.ADVISOR, agencies=[agency])
    ours = VisitFactory(prospect__agency=agency, advisor=advisor, scheduled_at=_at(0, 10))
    unassigned = VisitFactory(prospect__agency=agency, scheduled_at=_at(0, 15))
    foreign = VisitFactory(prospect__agency=other_agency, scheduled_at=_at(0, 10))
    client.force_login(manager)

    page = client.get(reverse("visits:agenda")).content.decode()

    assert ours.prospect.last_name in page and advisor.last_name in page
    assert unassigned.prospect.last_name in page and "Non affectée" in page
    assert foreign.prospect.last_name not in page


def test_it_renders_only_the_partial_for_htmx(client: Client, advisor: User) -> None:
    client.force_login(advisor)
    response = client.get(
        reverse("visits:agenda"), {"view": "week"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert 'id="agenda"' in body
    assert "HX-Request" in response["Vary"]


def test_it_ignores_a_malformed_date(client: Client, advisor: User) -> None:
    client.force_login(advisor)
    response = client.get(reverse("visits:agenda"), {"date": "2026-13-45", "view": "nope"})
    assert response.status_code == 200


def test_it_uses_a_bounded_number_of_queries(client: Client, agency: Agency, manager: User) -> None:
    client.force_login(manager)

    def count() -> int:
        cache.clear()  # both counts from a cold cache (request_cache), so they compare
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("visits:agenda"), {"view": "week"}).status_code == 200
        return len(queries)

    VisitFactory(prospect__agency=agency, scheduled_at=_at(0, 9))
    few = count()
    for hour in range(8, 18):
        VisitFactory(
            prospect__agency=agency,
            advisor=UserFactory(role=Role.ADVISOR, agencies=[agency]),
            scheduled_at=_at(0, hour),
        )
    assert count() == few


def test_it_themes_the_page_with_the_agencys_brand(client: Client, advisor: User) -> None:
    client.force_login(advisor)
    brand = advisor.agencies.get().brand
    page = client.get(reverse("visits:agenda")).content.decode()
    theme_url = reverse("organisation:brand_theme", args=[brand.slug])
    assert theme_url in page
    css = client.get(theme_url)
    assert css["Content-Type"].startswith("text/css")
    assert f"--brand-primary: {brand.primary_colour}" in css.content.decode()
