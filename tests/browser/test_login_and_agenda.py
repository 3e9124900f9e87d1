"""A person at the tablet: French login, agenda in the brand's colours, no CSP breakage."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import ConsoleMessage, Page, expect

from announcements.models import Announcement
from organisation.models import Role
from tests.factories import PASSWORD, AgencyFactory, UserFactory, VisitFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def advisor_with_visits(db: None):  # type: ignore[no-untyped-def]
    agency = AgencyFactory(brand__primary_colour="#2e6b30", brand__secondary_colour="#e0b84c")
    advisor = UserFactory(role=Role.ADVISOR, agencies=[agency], email="camille@example.test")
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    for hour, name in ((9, "Lambert"), (14, "Fontaine")):
        VisitFactory(
            prospect__agency=agency,
            prospect__last_name=name,
            advisor=advisor,
            scheduled_at=datetime.combine(today, time(hour), tzinfo=tz),
        )
    return advisor


def _watch_console(page: Page) -> list[str]:
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def test_it_signs_in_and_shows_the_agenda_in_brand_colours(
    page: Page,
    live_server,
    advisor_with_visits,
    screenshot_dir: Path,  # type: ignore[no-untyped-def]
) -> None:
    problems = _watch_console(page)
    page.goto(live_server.url)

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", name="Se connecter")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "login-768x1024.png"), full_page=True)

    page.get_by_label("Courriel").fill(advisor_with_visits.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    expect(page).to_have_url(f"{live_server.url}/agenda/")
    expect(page.get_by_role("heading", name="Mon agenda")).to_be_visible()
    expect(page.get_by_text("Lambert")).to_be_visible()
    expect(page.get_by_text("Fontaine")).to_be_visible()
    background = page.locator(".topbar").evaluate("el => getComputedStyle(el).backgroundColor")
    assert background == "rgb(46, 107, 48)"  # the brand's primary colour #2e6b30

    for width, height in ((768, 1024), (1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(screenshot_dir / f"agenda-{width}x{height}.png"), full_page=True)
        # Nothing wider than the screen: no sideways scrolling on a tablet or a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= width

    assert problems == [], problems


def test_it_switches_to_the_week_through_htmx_and_keeps_the_url(
    page: Page,
    live_server,
    advisor_with_visits,  # type: ignore[no-untyped-def]
) -> None:
    problems = _watch_console(page)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Courriel").fill(advisor_with_visits.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Mon agenda")).to_be_visible()

    page.evaluate("window.__sameDocument = true")
    page.get_by_role("link", name="Semaine", exact=True).click()
    expect(page.get_by_role("heading", name="Semaine du")).to_be_visible()
    expect(page).to_have_url(
        f"{live_server.url}/agenda/?view=week&date={timezone.localdate():%Y-%m-%d}"
    )
    # Same document: htmx swapped the partial, no full reload.
    assert page.evaluate("window.__sameDocument") is True
    expect(page.get_by_text("Lambert")).to_be_visible()
    assert problems == [], problems


def test_it_dismisses_an_announcement_in_place(
    page: Page,
    live_server,
    advisor_with_visits,  # type: ignore[no-untyped-def]
) -> None:
    Announcement.objects.create(title="Vue semaine", body="Nouvelle vue.", for_advisors=True)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Courriel").fill(advisor_with_visits.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    expect(page.get_by_text("Nouveau · Vue semaine")).to_be_visible()
    page.get_by_role("button", name="J’ai compris").click()
    expect(page.get_by_text("Nouveau · Vue semaine")).to_have_count(0)
    page.reload()
    expect(page.get_by_role("heading", name="Mon agenda")).to_be_visible()
    expect(page.get_by_text("Nouveau · Vue semaine")).to_have_count(0)
