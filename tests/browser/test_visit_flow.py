"""An advisor runs a whole visit in Chromium at tablet size, through htmx, no CSP error."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from organisation.models import Role
from quotes.legal_defaults import legal_texts_load
from quotes.models import LegalText
from tests.browser.offline_helpers import wait_until_sent
from tests.factories import PASSWORD, AgencyFactory, UserFactory, VisitFactory
from visits.catalogue import catalogue_load_default
from visits.models import Visit, VisitStatus

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_runs_a_visit_from_rooms_to_the_estimate(
    page: Page,
    live_server,
    screenshot_dir: Path,  # type: ignore[no-untyped-def]
) -> None:
    catalogue_load_default()
    agency = AgencyFactory()
    advisor = UserFactory(role=Role.ADVISOR, agencies=[agency], email="camille@example.test")
    legal_texts_load(LegalText)  # the consent text, which a flushed database lost
    visit = VisitFactory(
        prospect__agency=agency,
        prospect__last_name="Lambert",
        prospect__consent_at=None,
        advisor=advisor,
    )
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            problems.append(message.text)

    page.on("console", on_console)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Courriel").fill(advisor.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{live_server.url}/visites/{visit.pk}/")
    page.get_by_role("link", name="Commencer la visite").click()

    page.get_by_label("Le prospect accepte").check()
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.get_by_role("heading", name="Logement et pièces", level=1)).to_be_visible()

    for room in ("Cuisine", "Séjour", "Chambre"):
        page.get_by_role("button", name=f"+ {room}").click()
        expect(page.locator(".room__title", has_text=room)).to_be_visible()
    page.get_by_role("button", name="Dupliquer").nth(2).click()
    expect(page.locator(".room")).to_have_count(4)
    page.get_by_label("Nom (facultatif)").nth(3).fill("Chambre d’amis")
    page.get_by_text("Appartement").click()
    page.get_by_label("Surface habitable").fill("65")
    page.get_by_label("Nombre de niveaux").fill("1")
    page.screenshot(path=str(screenshot_dir / "rooms-768x1024.png"), full_page=True)
    page.get_by_role("button", name="Enregistrer et continuer").click()

    expect(
        page.get_by_role("heading", name="Repassage et prestations complémentaires", level=1)
    ).to_be_visible()
    page.get_by_label("Chemises par semaine").fill("4")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.get_by_text("Le client", exact=True).click()
    page.get_by_text("Boîte à clés").click()
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.get_by_label("Priorités").fill("La cuisine")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    # A required answer left out: the browser says so, nothing is queued, the step stays.
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.locator("input[name=frequency]:invalid").first).to_be_attached()
    expect(page).to_have_url(f"{live_server.url}/visites/{visit.pk}/etapes/schedule/")
    page.get_by_text("Toutes les semaines").click()
    page.get_by_role("button", name="Enregistrer et continuer").click()

    expect(page.get_by_text("Pourquoi", exact=False).first).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "estimate-768x1024.png"), full_page=True)
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.get_by_role("heading", name="Synthèse", level=1)).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/visites/{visit.pk}/etapes/summary/")

    assert wait_until_sent(page) == []
    visit = Visit.objects.get(pk=visit.pk)
    assert visit.status == VisitStatus.NEEDS_CAPTURED
    assert [r.get("label") or r["type"] for r in visit.answers["rooms"]] == [
        "kitchen",
        "living",
        "bedroom",
        "Chambre d’amis",
    ]
    assert visit.estimated_minutes and visit.proposed_minutes == visit.estimated_minutes
    assert problems == [], problems
