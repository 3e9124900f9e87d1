"""Poor 4G ("lie-fi"): connected, but slow or hanging. Chromium reaches the app through a
small TCP proxy of the test that passes, delays or holds every byte."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from nomad_web.chaos import CHAOS, chaos_reset
from tests.browser.network_proxy import Proxy
from tests.browser.offline_helpers import prepare_day, ready, records, sign_in, wait_until_sent
from tests.browser.test_offline_sale import advisor, new_visit  # noqa: F401 - fixture
from tests.conftest import wait_until
from visits.models import Submission

pytestmark = pytest.mark.django_db(transaction=True)

# Whether the draft stored on the device under ``key`` holds every one of ``values``.
DRAFT_HAS = """async ([key, values]) => {
  const idb = await import('/static/js/store.js');
  const draft = await idb.get('drafts', key);
  const typed = draft ? draft.pairs.map(([, value]) => value) : [];
  return values.every((value) => typed.includes(value));
}"""


@pytest.fixture
def proxy(live_server: Any) -> Iterator[Proxy]:
    _host, port = live_server.url.removeprefix("http://").split(":")
    through = Proxy(("127.0.0.1", int(port)))
    try:
        yield through
    finally:
        through.close()


def test_a_hanging_network_feels_like_no_network(
    page: Page,
    context: BrowserContext,
    proxy: Proxy,
    advisor,  # type: ignore[no-untyped-def]  # noqa: F811
) -> None:
    visit = new_visit(advisor)
    base = f"http://127.0.0.1:{proxy.port}"
    sign_in(page, base, advisor.email)
    prepare_day(page)

    # 8 s round trips: the prepared page is shown from the tablet before the timeout ends.
    proxy.mode, proxy.delay = "slow", 4.0
    start = time.monotonic()
    page.goto(f"{base}/visites/{visit.pk}/etapes/prospect/")
    ready(page)
    slow_page = time.monotonic() - start
    # Then nothing at all comes back: the same.
    proxy.mode = "hang"
    start = time.monotonic()
    page.goto(f"{base}/visites/{visit.pk}/etapes/prospect/")
    ready(page)
    hanging_page = time.monotonic() - start
    print(f"prepared page: {slow_page:.2f} s slow, {hanging_page:.2f} s hanging")
    assert slow_page < 4 and hanging_page < 4
    expect(page.locator("#sync")).to_contain_text("Réseau lent")

    # A submit says "saved on the tablet" at once; a double tap queues one write.
    page.get_by_label("Le prospect accepte").check()
    start = time.monotonic()
    page.get_by_role("button", name="Enregistrer et continuer").dblclick()
    expect(page.get_by_text("Enregistré sur cette tablette.")).to_be_visible(timeout=1000)
    saved = time.monotonic() - start
    print(f"step submit confirmed in {saved:.2f} s")
    assert saved < 1
    page.wait_for_url(lambda url: "/etapes/prospect/" not in url, timeout=10000)
    assert [r["step"] for r in records(page)] == ["prospect"]

    # The network comes back: the write reaches the server once.
    proxy.mode = "pass"
    ready(page)
    assert wait_until_sent(page, timeout=60) == []
    assert Submission.objects.filter(visit=visit).count() == 1


def test_a_refused_write_is_shown_with_its_errors_corrected_and_sent_once(
    page: Page,
    context: BrowserContext,
    proxy: Proxy,
    advisor,  # type: ignore[no-untyped-def]  # noqa: F811
) -> None:
    visit = new_visit(advisor)
    visit.prospect.consent_at = visit.created_at
    visit.prospect.save()
    base = f"http://127.0.0.1:{proxy.port}"
    sign_in(page, base, advisor.email)
    prepare_day(page)
    chaos_reset(refuse_once="/etapes/instructions/")
    try:
        page.goto(f"{base}/visites/{visit.pk}/etapes/instructions/")
        ready(page)
        page.get_by_label("Priorités").fill("Le salon d’abord")
        page.get_by_role("button", name="Enregistrer et continuer").click()
        expect(page.get_by_text("Refusé (test)")).to_be_visible()
        expect(page.locator("[data-refusal]")).to_have_text("Refusé")
        assert [r["state"] for r in records(page)] == ["rejected"]
        # Reloaded: still there, with the advisor's text and the errors.
        page.reload()
        ready(page)
        expect(page.get_by_label("Priorités")).to_have_value("Le salon d’abord")
        expect(page.locator("[data-refusal]")).to_have_text("Refusé")
        page.get_by_label("Priorités").fill("Le salon d’abord, puis la cuisine")
        page.get_by_role("button", name="Enregistrer et continuer").click()
        page.wait_for_url(lambda url: "/etapes/instructions/" not in url)
        ready(page)
        assert wait_until_sent(page) == []
    finally:
        injected = list(CHAOS.injected)
        chaos_reset()
    assert injected == ["refused"]
    visit.refresh_from_db()
    assert visit.answers["priorities"] == "Le salon d’abord, puis la cuisine"
    assert Submission.objects.filter(visit=visit).count() == 1


def test_a_record_the_server_keeps_failing_on_holds_only_its_own_visit(
    page: Page,
    context: BrowserContext,
    live_server,  # type: ignore[no-untyped-def]
    advisor,  # type: ignore[no-untyped-def]  # noqa: F811
) -> None:
    stuck, fine = new_visit(advisor), new_visit(advisor)
    for visit in (stuck, fine):
        visit.prospect.consent_at = visit.created_at
        visit.prospect.save()
    base = live_server.url
    sign_in(page, base, advisor.email)
    prepare_day(page)
    context.set_offline(True)
    for visit in (stuck, fine):
        page.goto(f"{base}/visites/{visit.pk}/etapes/instructions/")
        ready(page)
        page.get_by_label("Priorités").fill(f"Visite {visit.pk}")
        page.get_by_role("button", name="Enregistrer et continuer").click()
        page.wait_for_url(lambda url: "/etapes/instructions/" not in url)
        ready(page)
    context.set_offline(False)
    chaos_reset(fail_path=f"/visites/{stuck.pk}/")
    try:
        for _ in range(6):  # the advisor's "send now", past the backoff
            page.evaluate(
                "async () => { const m = await import('/static/js/sync.js');"
                " await m.replay({wait: true, force: true}); }"
            )
        left = page.evaluate(
            "async () => (await (await import('/static/js/sync.js')).records())"
            ".map((r) => ({visit: r.visitId, attempts: r.attempts, serverError: !!r.serverError}))"
        )
        page.reload()
        ready(page)
        expect(page.locator("#sync")).to_contain_text("Erreur du serveur")
    finally:
        chaos_reset()
    assert [(r["visit"], r["serverError"]) for r in left] == [(stuck.pk, True)]
    assert left[0]["attempts"] >= 5
    fine.refresh_from_db()
    assert fine.answers["priorities"] == f"Visite {fine.pk}"  # the other visit went on
    assert Submission.objects.filter(visit=stuck).count() == 0
    # Once the server takes it again, it is sent, once (the advisor asks now: no backoff).
    page.evaluate(
        "async () => { const m = await import('/static/js/sync.js');"
        " await m.replay({wait: true, force: true}); }"
    )
    assert wait_until_sent(page, timeout=90) == []
    assert Submission.objects.filter(visit=stuck).count() == 1


def test_what_is_typed_survives_a_reload_a_killed_tab_and_a_restarted_browser(
    browser_type,  # type: ignore[no-untyped-def]
    browser_type_launch_args: dict[str, Any],
    live_server,  # type: ignore[no-untyped-def]
    advisor,  # type: ignore[no-untyped-def]  # noqa: F811
    tmp_path: Any,
) -> None:
    visit = new_visit(advisor)
    visit.prospect.consent_at = visit.created_at
    visit.prospect.save()
    base = live_server.url
    step = f"{base}/visites/{visit.pk}/etapes/dwelling/"

    def open_browser() -> tuple[BrowserContext, Page]:
        context = browser_type.launch_persistent_context(
            str(tmp_path / "profile"), **browser_type_launch_args, locale="fr-FR"
        )
        return context, context.pages[0] if context.pages else context.new_page()

    context, page = open_browser()
    try:
        sign_in(page, base, advisor.email)
        prepare_day(page)
        context.set_offline(True)
        page.goto(step)
        ready(page)
        for _ in range(5):
            page.get_by_role("button", name="+ Chambre").click()
        page.get_by_label("Nom (facultatif)").nth(4).fill("Chambre du fond")
        page.get_by_label("Surface habitable").fill("95")
        # The advisor pauses, nothing submitted: the draft is written once typing stops
        # (a debounce), waited for in IndexedDB rather than for a fixed time.
        wait_until(
            lambda: page.evaluate(DRAFT_HAS, [f"{visit.pk}|dwelling", ["95", "Chambre du fond"]]),
            15,
            "the draft saved on the tablet",
        )
        page.reload()
        ready(page)
        expect(page.get_by_label("Nom (facultatif)")).to_have_count(5)
        expect(page.get_by_label("Nom (facultatif)").nth(4)).to_have_value("Chambre du fond")
        expect(page.get_by_label("Surface habitable")).to_have_value("95")
        page.close()  # the tab is killed
        page = context.new_page()
        page.goto(step)
        ready(page)
        expect(page.get_by_label("Surface habitable")).to_have_value("95")
        assert records(page) == []  # a draft is never sent by itself
    finally:
        context.close()
    context, page = open_browser()  # the browser is restarted
    try:
        context.set_offline(True)
        page.goto(step)
        ready(page)
        expect(page.get_by_label("Nom (facultatif)").nth(4)).to_have_value("Chambre du fond")
        expect(page.get_by_label("Surface habitable")).to_have_value("95")
    finally:
        context.close()


def test_the_pending_list_says_what_waits_and_a_refused_write_is_discarded_knowingly(
    page: Page,
    context: BrowserContext,
    live_server,  # type: ignore[no-untyped-def]
    advisor,  # type: ignore[no-untyped-def]  # noqa: F811
    screenshot_dir: Path,
) -> None:
    visit = new_visit(advisor)
    visit.prospect.consent_at = visit.created_at
    visit.prospect.save()
    base = live_server.url
    sign_in(page, base, advisor.email)
    prepare_day(page)
    context.set_offline(True)
    for step, label, value in (
        ("instructions", "Priorités", "Refusée"),
        ("schedule", None, None),
    ):
        page.goto(f"{base}/visites/{visit.pk}/etapes/{step}/")
        ready(page)
        if label:
            page.get_by_label(label).fill(value)
        else:
            page.get_by_text("Toutes les semaines").click()
        page.get_by_role("button", name="Enregistrer et continuer").click()
        page.wait_for_url(lambda url, s=step: f"/etapes/{s}/" not in url)
        ready(page)
    here = page.url
    page.get_by_role("link", name="Voir ce qui attend").click()
    page.locator("html[data-pending-ready='1']").wait_for()
    # A panel under the indicator, on the page the advisor is on.
    expect(page.locator("#sync-panel")).to_be_visible()
    assert page.url == here
    rows = page.locator("[data-pending-table] tbody tr")
    expect(rows).to_have_count(2)
    page.screenshot(path=screenshot_dir / "pending-panel.png")
    expect(rows.nth(0)).to_contain_text("Consignes particulières")
    expect(rows.nth(0)).to_contain_text("En attente d’envoi")
    expect(page.locator("[data-pending-storage]")).to_contain_text("Mo")

    context.set_offline(False)
    chaos_reset(refuse_once="/etapes/instructions/")
    try:
        page.get_by_role("button", name="Envoyer maintenant").click()
        expect(rows.nth(0)).to_contain_text("Refusé par le serveur : Refusé (test)")
        expect(rows.nth(0)).to_contain_text("priorities : Refusé")
    finally:
        chaos_reset()
    expect(rows).to_have_count(1)  # the other one was sent
    dialogs: list[str] = []

    def answer(dialog) -> None:  # type: ignore[no-untyped-def]
        dialogs.append(dialog.message)
        dialog.accept()

    page.once("dialog", answer)
    page.get_by_role("button", name="Abandonner").click()
    expect(page.locator("[data-pending-empty]")).to_be_visible()
    assert "Consignes particulières" in dialogs[0] and "sera perdu" in dialogs[0]
    assert records(page) == []
    visit.refresh_from_db()
    assert "priorities" not in visit.answers and visit.answers.get("frequency") == "weekly"


def test_the_pending_list_says_sending_while_an_answer_is_awaited(
    page: Page,
    context: BrowserContext,
    proxy: Proxy,
    settings: Any,
    advisor,  # type: ignore[no-untyped-def]  # noqa: F811
) -> None:
    settings.NOMAD_SEND_TIMEOUT_MS = 4000
    visit = new_visit(advisor)
    visit.prospect.consent_at = visit.created_at
    visit.prospect.save()
    base = f"http://127.0.0.1:{proxy.port}"
    sign_in(page, base, advisor.email)
    prepare_day(page)
    context.set_offline(True)
    page.goto(f"{base}/visites/{visit.pk}/etapes/instructions/")
    ready(page)
    page.get_by_label("Priorités").fill("Envoyée par un réseau qui pend")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.wait_for_url(lambda url: "/etapes/instructions/" not in url)
    page.goto(f"{base}/hors-ligne/en-attente/")
    page.locator("html[data-pending-ready='1']").wait_for()
    row = page.locator("[data-pending-table] tbody tr")
    expect(row).to_contain_text("En attente d’envoi")

    # Connected, but nothing comes back: "sending", then given up and tried again later.
    proxy.mode = "hang"
    context.set_offline(False)
    page.get_by_role("button", name="Envoyer maintenant").click()
    expect(row).to_contain_text("Envoi…")
    expect(row).to_contain_text("Prochain essai à", timeout=10000)  # given up, kept
    assert [r["state"] for r in records(page)] == ["pending"]

    proxy.mode = "pass"
    page.get_by_role("button", name="Envoyer maintenant").click()
    expect(page.locator("[data-pending-empty]")).to_be_visible(timeout=20000)
    visit.refresh_from_db()
    assert visit.answers["priorities"] == "Envoyée par un réseau qui pend"
    assert Submission.objects.filter(visit=visit).count() == 1


def test_a_page_the_server_fails_on_is_shown_from_its_prepared_copy(
    page: Page,
    live_server: Any,
    advisor,  # type: ignore[no-untyped-def]  # noqa: F811
) -> None:
    visit = new_visit(advisor)
    sign_in(page, live_server.url, advisor.email)
    prepare_day(page)
    chaos_reset(fail_page=f"/visites/{visit.pk}/etapes/dwelling/")
    try:
        page.goto(f"{live_server.url}/visites/{visit.pk}/etapes/dwelling/")
        ready(page)
        expect(page.locator("h1")).to_have_text("Logement et pièces")
        # Not prepared: the server's own error page, not a made-up one.
        response = page.goto(f"{live_server.url}/visites/{visit.pk}/etapes/dwelling/?autre=1")
        assert response is not None and response.status == 500
    finally:
        injected = list(CHAOS.injected)
        chaos_reset()
    assert injected == ["page", "page"]
