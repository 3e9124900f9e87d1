"""Every page an advisor or a manager uses fits the screen: no sideways scrolling from a
360 px phone to a 1280 px landscape tablet (a wide table scrolls inside its own box)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from organisation.models import Role, User
from quotes.legal_defaults import legal_texts_load
from quotes.models import LegalText
from quotes.services import contract_create, quote_create_draft, quote_issue
from tests.factories import (
    PASSWORD,
    AgencyFactory,
    UserFactory,
    VisitFactory,
    make_price_list,
    make_visit_ready_to_quote,
)
from visits.catalogue import catalogue_load_default, visit_catalogues
from visits.models import Visit
from visits.steps import visit_steps

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (360, 390, 768, 800, 1280)

#: Elements sticking out past the right edge, outside any box that scrolls or clips them.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (!box.width || box.right <= width + 1) continue;
    let parent = el.parentElement, clipped = false;
    while (parent && !clipped) {
      clipped = ["auto", "scroll", "hidden"].includes(getComputedStyle(parent).overflowX);
      parent = parent.parentElement;
    }
    if (!clipped) out.push(`${el.tagName.toLowerCase()}.${el.getAttribute("class") || ""}`);
  }
  return { scroll: document.documentElement.scrollWidth, width, out: out.slice(0, 5) };
}"""


#: Interactive elements smaller than a fingertip (44 x 44 CSS px): a box or a radio counts
#: with its label, which takes the tap too.
SMALL_TARGETS = """() => {
  const out = [];
  const selector = "a[href], button, input:not([type=hidden]), select, textarea, summary";
  for (const el of document.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || getComputedStyle(el).visibility === "hidden") continue;
    if (el.closest(".skip-link:not(:focus)")) continue;
    let [w, h] = [box.width, box.height];
    if ((el.type === "checkbox" || el.type === "radio") && el.labels && el.labels[0]) {
      const label = el.labels[0].getBoundingClientRect();
      [w, h] = [Math.max(w, label.width), Math.max(h, label.height)];
    }
    const name = (el.innerText || el.value || el.name || "").trim().slice(0, 30);
    const size = `${Math.round(w)}x${Math.round(h)}`;
    if (w < 44 || h < 44) out.push(`${el.tagName.toLowerCase()} "${name}" ${size}`);
  }
  return out;
}"""


def _sign_in(page: Page, base: str, user: User) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Courriel").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state("networkidle")


def _overflows(browser: Browser, base: str, user: User, urls: list[str], shots: Path) -> list[str]:
    found = []
    for width in WIDTHS:
        height = 844 if width < 500 else 1280 if width < 1000 else 800
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale="fr-FR", has_touch=width < 1000
        )
        page = context.new_page()
        _sign_in(page, base, user)
        for url in urls:
            response = page.goto(base + url)
            assert response is not None and response.ok, (url, response and response.status)
            page.wait_for_load_state("networkidle")
            measured: dict[str, Any] = page.evaluate(OVERFLOW)
            if width in (390, 800):  # what the closing note describes, phone and tablet
                name = re.sub(r"[^a-z0-9]+", "-", url.lower()).strip("-") or "home"
                page.screenshot(path=shots / f"layout-{width}-{name}.png", full_page=True)
            if width < 1000:  # touch layouts
                found += [
                    f"{width} px {url}: small target {t}" for t in page.evaluate(SMALL_TARGETS)
                ]
            if measured["scroll"] > measured["width"]:
                extra = measured["scroll"] - measured["width"]
                found.append(f"{width} px {url}: {extra} px too wide ({measured['out']})")
        context.close()
    return found


def test_no_page_scrolls_sideways_from_phone_to_tablet(
    browser: Browser, live_server: Any, screenshot_dir: Path
) -> None:
    catalogue_load_default()
    legal_texts_load(LegalText)  # a flushed database lost the data migrations
    agency = AgencyFactory()
    make_price_list(agency.brand)
    advisor = UserFactory(role=Role.ADVISOR, agencies=[agency])
    manager = UserFactory(role=Role.MANAGER, agencies=[agency])
    visit: Visit = VisitFactory(
        prospect__agency=agency,
        prospect__first_name="Marie-Hélène",
        prospect__last_name="de La Rochefoucauld-Lambert",
        advisor=advisor,
        activities=["housekeeping", "gardening"],
        answers={
            "rooms": [
                {
                    "uid": "r1",
                    "type": "kitchen",
                    "label": "Cuisine ouverte sur le séjour",
                    "surface_m2": "28.5",
                    "instructions": "Plan de travail en marbre : produit doux uniquement",
                    "tasks": {},
                },
                {
                    "uid": "r2",
                    "type": "bathroom",
                    "label": "",
                    "surface_m2": "6",
                    "instructions": "",
                    "tasks": {},
                },
            ]
        },
    )
    sold = make_visit_ready_to_quote(agency, minutes={"housekeeping": 180, "gardening": 90})
    sold.advisor = advisor
    sold.save()
    quote = quote_issue(quote=quote_create_draft(visit=sold, user=None))
    contract = contract_create(quote=quote, user=None, early_start_requested=False)
    steps = visit_steps(catalogues=visit_catalogues(visit=visit))
    advisor_urls = [
        "/agenda/",
        "/agenda/?view=week",
        f"/visites/{visit.pk}/",
        *(f"/visites/{visit.pk}/etapes/{step.key}/" for step in steps),
        f"/visites/{visit.pk}/vente/",
        f"/devis/{quote.pk}/",
        f"/signatures/contrats/{contract.pk}/tablette/",
        "/hors-ligne/en-attente/",
        "/conflits/",
        "/visites/nouvelle/",
    ]
    manager_urls = [
        "/tableau-de-bord/",
        "/tableau-de-bord/visites/",
        "/tableau-de-bord/copies-papier/",
        f"/visites/{sold.pk}/",
    ]
    found = _overflows(browser, live_server.url, advisor, advisor_urls, screenshot_dir)
    found += _overflows(browser, live_server.url, manager, manager_urls, screenshot_dir)
    assert found == [], "\n".join(found)
