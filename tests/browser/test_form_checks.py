"""Form checks speak the app's language: no browser bubble (in the browser's language,
gone after a few seconds), a French message under each field until it is corrected."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.offline_helpers import prepare_day, ready, records, sign_in
from tests.browser.test_offline_sale import advisor, new_visit  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)

# Listens on the fields themselves, so it runs after the app's own (capturing) listener
# and sees whether the browser was told not to show its bubble.
WATCH_INVALID = """() => {
  window.__invalid = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    el.addEventListener('invalid', (e) => window.__invalid.push([el.name, e.defaultPrevented]));
  }
}"""


def bubbles_shown(page: Page) -> list[str]:
    seen = page.evaluate("() => window.__invalid")
    assert seen, "no field was found invalid"
    return [name for name, prevented in seen if not prevented]


def test_an_empty_walk_in_offline_says_in_french_what_is_missing(
    page: Page,
    context: BrowserContext,
    live_server: Any,
    advisor,  # type: ignore[no-untyped-def]  # noqa: F811
    screenshot_dir: Path,
) -> None:
    sign_in(page, live_server.url, advisor.email)
    prepare_day(page)
    context.set_offline(True)
    page.get_by_role("link", name="+ Nouvelle visite").click()
    ready(page)
    page.evaluate(WATCH_INVALID)

    page.get_by_role("button", name="Créer la visite").click()
    assert bubbles_shown(page) == []
    last_name = page.locator(".field", has=page.get_by_label("Nom *", exact=True))
    expect(last_name.locator("[data-client-error]")).to_have_text("Ce champ est obligatoire.")
    expect(page.get_by_label("Prénom")).to_be_focused()  # the first field to correct
    page.screenshot(path=screenshot_dir / "walk-in-checks.png", full_page=True)
    expect(page.get_by_label("Nom *", exact=True)).to_have_attribute("aria-invalid", "true")
    body = page.locator("main").inner_text()
    assert "Please" not in body and "fill" not in body

    # Corrected fields lose their message as they are typed; the activities are asked for.
    page.get_by_label("Prénom").fill("Jeanne")
    page.get_by_label("Nom *", exact=True).fill("Martin")
    expect(last_name.locator("[data-client-error]")).to_have_count(0)
    page.get_by_label("Adresse").fill("3 rue des Lilas")
    page.get_by_label("Code postal").fill("44000")
    page.get_by_label("Ville").fill("Nantes")
    page.get_by_label("Date et heure").fill("2026-12-01T10:00")
    page.get_by_role("button", name="Créer la visite").click()
    activities = page.locator("fieldset", has=page.get_by_label("Ménage-repassage"))
    expect(activities.locator("[data-client-error]")).to_have_text("Choisissez-en au moins une.")
    assert records(page) == []  # nothing queued while the form is incomplete

    page.get_by_label("Ménage-repassage").check()
    expect(activities.locator("[data-client-error]")).to_have_count(0)
    page.get_by_role("button", name="Créer la visite").click()
    page.wait_for_url("**/etapes/prospect/")
    assert [r["step"] for r in records(page)] == ["visit"]


def test_a_step_left_incomplete_is_explained_under_its_fields(
    page: Page,
    live_server: Any,
    advisor,  # type: ignore[no-untyped-def]  # noqa: F811
) -> None:
    visit = new_visit(advisor)
    sign_in(page, live_server.url, advisor.email)
    page.goto(f"{live_server.url}/visites/{visit.pk}/etapes/prospect/")
    ready(page)
    page.evaluate(WATCH_INVALID)
    page.get_by_role("button", name="Enregistrer et continuer").click()
    assert bubbles_shown(page) == []
    consent = page.locator(".field, fieldset", has=page.get_by_label("Le prospect accepte"))
    expect(consent.locator("[data-client-error]")).to_have_text("Cochez cette case pour continuer.")
    assert records(page) == []
    page.get_by_label("Le prospect accepte").check()
    expect(consent.locator("[data-client-error]")).to_have_count(0)
