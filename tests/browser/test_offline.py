"""Offline work in Chromium: prepare, capture without network, replay without loss."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from nomad_web.chaos import CHAOS, chaos_reset
from organisation.models import Role, User
from quotes.legal_defaults import legal_texts_load
from quotes.models import LegalText
from quotes.pricing import price
from quotes.selectors import price_list_as_data
from tests.browser.offline_helpers import (
    prepare_day,
    ready,
    records,
    sign_in,
    submit_step,
    wait_until_sent,
)
from tests.conftest import wait_until
from tests.factories import AgencyFactory, UserFactory, VisitFactory, make_price_list
from visits.catalogue import catalogue_load_default
from visits.models import Conflict, Submission, Visit, VisitChange, VisitStatus
from visits.services import WriteContext, visit_save_answers

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def advisor(db: None) -> User:
    catalogue_load_default()
    return UserFactory(role=Role.ADVISOR, agencies=[AgencyFactory()], email="camille@example.test")


def _visit(advisor: User, **fields: object) -> Visit:
    return VisitFactory(prospect__agency=advisor.agencies.get(), advisor=advisor, **fields)


def test_a_whole_visit_offline_reaches_the_server_once(
    page: Page,
    context: BrowserContext,
    live_server,
    advisor: User,
    screenshot_dir: Path,  # type: ignore[no-untyped-def]
) -> None:
    legal_texts_load(LegalText)  # the consent text, which a flushed database lost
    visit = _visit(
        advisor,
        activities=["housekeeping", "gardening"],
        prospect__last_name="Lambert",
        prospect__consent_at=None,
    )
    make_price_list(visit.agency.brand)
    base = live_server.url
    sign_in(page, base, advisor.email)
    prepare_day(page)
    expect(page.locator(f"[data-visit-badges='{visit.pk}']")).to_contain_text(
        "disponible hors ligne"
    )

    context.set_offline(True)
    page.reload()
    ready(page)
    expect(page.get_by_text("Lambert")).to_be_visible()
    expect(page.locator("#sync")).to_contain_text("Hors ligne")
    page.get_by_text("Lambert").click()
    page.get_by_role("link", name="Commencer la visite").click()

    page.get_by_label("Enfants à charge").fill("2")
    page.get_by_label("Le prospect accepte").check()
    submit_step(page)
    expect(page).to_have_url(f"{base}/visites/{visit.pk}/etapes/dwelling/")
    ready(page)
    page.get_by_role("button", name="+ Cuisine").click()
    page.get_by_role("button", name="+ Chambre").click()
    page.get_by_role("button", name="Dupliquer").nth(1).click()
    page.get_by_label("Nom (facultatif)").nth(2).fill("Chambre d’amis")
    page.get_by_text("Maison", exact=True).click()
    page.get_by_label("Surface habitable").fill("90")
    page.get_by_label("Nombre de niveaux").fill("2")
    submit_step(page)
    ready(page)
    page.get_by_label("Chemises par semaine").fill("5")
    page.get_by_text("Four (intérieur)").click()
    page.get_by_text("Une intervention sur quatre").first.click()
    submit_step(page)
    ready(page)
    page.get_by_label("Pelouse à tondre").fill("400")
    page.get_by_label("Surface du jardin").fill("600")
    page.get_by_text("Tous les quinze jours").click()
    submit_step(page)
    ready(page)
    page.get_by_text("Le client", exact=True).click()
    page.get_by_text("Boîte à clés").click()
    page.get_by_label("Code d’accès (porte, portail)").fill("4521B")
    submit_step(page)
    ready(page)
    page.get_by_label("Priorités").fill("La cuisine")
    submit_step(page)
    ready(page)
    page.get_by_text("Toutes les semaines").click()
    page.get_by_text("Mardi").click()
    submit_step(page)
    ready(page)

    # kitchen 33 + 2 bedrooms (3+9.6 + 3+12 + 10×½ = 32.6 each) + stairs 10 = 108.2,
    # house ×1.2 = 129.84, oven 15/4, 5 shirts × 5 → 158.59 → 2 h 45; lawn 400 m² = 60 → 2 h.
    estimate = page.locator("[data-offline-estimate]")
    expect(estimate).to_be_visible()
    expect(estimate).to_contain_text("2 h 45")
    # The quote preview, priced on the tablet, equals the server's pricing of the same hours:
    # 165 min weekly (housekeeping) and 120 min fortnightly = 60 min a week (gardening).
    expected = price(
        quote_pricing_input_for(visit, {"housekeeping": 165, "gardening": 60}, children=2)
    )
    monthly = f"{expected['monthly']['ttc']:,.2f}".replace(",", "\u202f").replace(".", ",")
    expect(page.locator('[data-quote="monthly_ttc"]')).to_have_text(f"{monthly} €")
    page.screenshot(path=str(screenshot_dir / "offline-estimate-768x1024.png"), full_page=True)
    submit_step(page)
    expect(page).to_have_url(f"{base}/visites/{visit.pk}/etapes/summary/")
    ready(page)
    queued = records(page)
    assert len(queued) == 8 and {r["state"] for r in queued} == {"pending"}
    expect(page.locator("#sync")).to_contain_text("8 en attente")
    assert Visit.objects.get(pk=visit.pk).version == 1  # nothing reached the server yet

    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    assert wait_until_sent(page) == []
    expect(page.locator("#sync")).to_contain_text("0 en attente")

    visit.refresh_from_db()
    assert visit.version == 9 and visit.status == VisitStatus.NEEDS_CAPTURED
    assert Submission.objects.filter(visit=visit).count() == 8
    assert list(VisitChange.objects.filter(visit=visit).values_list("version", flat=True)) == list(
        range(2, 10)
    )
    answers = visit.answers
    assert [r.get("label") or r["type"] for r in answers["rooms"]] == [
        "kitchen",
        "bedroom",
        "Chambre d’amis",
    ]
    assert (answers["dwelling_type"], answers["surface_m2"], answers["levels"]) == ("house", 90, 2)
    assert (answers["ironing_shirts_per_week"], answers["extras"], answers["extras_frequency"]) == (
        5,
        ["oven"],
        "every_4",
    )
    assert (answers["lawn_m2"], answers["garden_frequency"]) == (400, "fortnightly")
    assert (answers["keys"], answers["door_code"], answers["priorities"]) == (
        "key_box",
        "4521B",
        "La cuisine",
    )
    assert (answers["frequency"], answers["days"]) == ("weekly", ["tue"])
    assert visit.prospect.dependent_children == 2 and visit.prospect.consent_at
    assert visit.estimate["activities"][0]["minutes_per_intervention"] == 165
    assert not Conflict.objects.exists()


def test_the_app_is_installable(
    browser_type,
    browser_type_launch_args,
    live_server,
    advisor: User,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    # A persistent profile: Chromium never offers to install from an incognito one.
    context = browser_type.launch_persistent_context(
        str(tmp_path), locale="fr-FR", **browser_type_launch_args
    )
    try:
        page = context.new_page()
        sign_in(page, live_server.url, advisor.email)
        prepare_day(page)
        session = context.new_cdp_session(page)
        assert session.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        manifest = session.send("Page.getAppManifest")
        assert manifest["errors"] == []
        assert '"display": "standalone"' in manifest["data"]
    finally:
        context.close()


def _fill_offline(page: Page, base: str, visit: Visit, step: str, field: str, value: str) -> None:
    page.goto(f"{base}/visites/{visit.pk}/etapes/{step}/")
    ready(page)
    page.get_by_label(field).fill(value)
    submit_step(page)
    page.wait_for_url(lambda url: step not in url)
    ready(page)


@pytest.mark.parametrize("seed", range(20))
def test_chaos_loses_nothing_and_duplicates_nothing(
    page: Page,
    context: BrowserContext,
    live_server,
    advisor: User,
    seed: int,  # type: ignore[no-untyped-def]
) -> None:
    rng = random.Random(seed)
    print(f"chaos seed {seed}")
    base = live_server.url
    visit = _visit(advisor)
    sign_in(page, base, advisor.email)
    prepare_day(page)
    context.set_offline(True)

    # Random offline edits of three free-text answers, several times each.
    fields = {
        "priorities": "Priorités",
        "never_touch": "À ne jamais toucher",
        "general_instructions": "Autres consignes",
    }
    last: dict[str, str] = {}
    for n in range(rng.randint(2, 5)):
        key = rng.choice(list(fields))
        value = f"{key}-{seed}-{n}"
        page.goto(f"{base}/visites/{visit.pk}/etapes/instructions/")
        ready(page)
        for other, label in fields.items():
            page.get_by_label(label).fill(last.get(other, ""))
        page.get_by_label(fields[key]).fill(value)
        submit_step(page)
        page.wait_for_url(lambda url: "instructions" not in url)
        ready(page)
        last[key] = value
    queued = records(page)

    # Sometimes someone else edits the visit meanwhile: on an edited answer (a conflict is
    # expected) or on another one (merged, no conflict).
    clash = rng.choice([None, "edited", "other"])
    if clash:
        key = rng.choice(sorted(last)) if clash == "edited" else "frequency"
        value = "office" if clash == "edited" else "weekly"
        visit_save_answers(
            visit=visit,
            step="office",
            answers={key: value},
            ctx=WriteContext(base_version=1, device_id="office"),
            catalogue_ids=[visit_data_catalogue(visit)],
            complete=False,
        )

    chaos_reset(
        seed=seed,
        fail_before=rng.uniform(0, 0.4),
        fail_after=rng.uniform(0, 0.4),
        max_delay_ms=rng.choice([0, 150, 400]),
    )
    try:
        context.set_offline(False)
        for _ in range(rng.randint(0, 3)):
            page.evaluate("() => window.dispatchEvent(new Event('online'))")
            page.wait_for_timeout(rng.randint(0, 300))
            if rng.random() < 0.5:
                page.reload()  # during the replay
                ready(page)
            if rng.random() < 0.3:
                context.set_offline(True)
                page.wait_for_timeout(rng.randint(50, 300))
                context.set_offline(False)
        left = wait_until_sent(page, timeout=90)
    finally:
        injected = list(CHAOS.injected)
        chaos_reset()
    print(f"seed {seed}: {len(queued)} edits, clash={clash}, injected={injected}")

    visit.refresh_from_db()
    conflicts = list(Conflict.objects.filter(visit=visit))
    received = Submission.objects.filter(visit=visit)
    # 0 lost: every queued edit got an answer that the server kept; 0 duplicated: once each.
    assert sorted(str(s.client_uuid) for s in received) == sorted(r["id"] for r in queued)
    office_writes = 1 if clash else 0
    applied = received.filter(status_code=200).count()
    assert visit.version == 1 + office_writes + applied
    if clash == "edited":
        assert conflicts, "the clash on an edited answer must be recorded"
        assert all(c.conflicting_keys for c in conflicts)
        assert {r["state"] for r in left} == {"conflict"}
        # Nothing overwritten: the office's value stands until someone resolves it.
        clashed = conflicts[0].conflicting_keys[0].removeprefix("answers.")
        assert visit.answers[clashed] == "office"
    else:
        assert conflicts == [] and left == []
        for key, value in last.items():
            assert visit.answers[key] == value
        if clash == "other":
            assert visit.answers["frequency"] == "weekly"


def quote_pricing_input_for(
    visit: Visit, minutes: dict[str, int], children: int
) -> dict[str, object]:
    data = price_list_as_data(agency=visit.agency, on=timezone.localdate())
    assert data is not None
    return {
        "lines": [
            {"activity": a, "minutes_per_week": m, **data["prices"][a]} for a, m in minutes.items()
        ],
        "fees": data["fees"],
        "household": {
            "dependent_children": children,
            "members_over_65": 0,
            "disabled_member": False,
        },
        "immediate_advance": False,
    }


def visit_data_catalogue(visit: Visit) -> int:
    from visits.catalogue import catalogue_current

    version = catalogue_current(activity="housekeeping")
    assert version is not None
    return version.pk


def test_two_tablets_on_one_visit_make_a_conflict_not_an_overwrite(
    browser,
    live_server,
    advisor: User,  # type: ignore[no-untyped-def]
) -> None:
    visit = _visit(advisor)
    base = live_server.url
    manager = UserFactory(role=Role.MANAGER, agencies=[visit.agency], email="sophie@example.test")
    offline_ctx = browser.new_context(locale="fr-FR", viewport={"width": 768, "height": 1024})
    online_ctx = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 800})
    try:
        tablet = offline_ctx.new_page()
        sign_in(tablet, base, advisor.email)
        prepare_day(tablet)
        offline_ctx.set_offline(True)
        _fill_offline(tablet, base, visit, "instructions", "Priorités", "La cuisine d’abord")

        office = online_ctx.new_page()
        sign_in(office, base, manager.email)
        office.goto(f"{base}/visites/{visit.pk}/etapes/instructions/")
        ready(office)
        office.get_by_label("Priorités").fill("Le salon d’abord")
        submit_step(office)
        office.wait_for_url(lambda url: "instructions" not in url)

        offline_ctx.set_offline(False)
        tablet.evaluate("() => window.dispatchEvent(new Event('online'))")
        left = wait_until_sent(tablet)
        assert [r["state"] for r in left] == ["conflict"]
        expect(tablet.locator("#sync")).to_contain_text("1 conflit à résoudre")

        visit.refresh_from_db()
        assert visit.answers["priorities"] == "Le salon d’abord"
        conflict = Conflict.objects.get(visit=visit)
        assert conflict.mine == {"answers.priorities": "La cuisine d’abord"}

        office.goto(f"{base}/conflits/")
        office.get_by_text(str(visit.prospect)).click()
        expect(office.get_by_text("La cuisine d’abord")).to_be_visible()
        expect(office.get_by_text("Le salon d’abord")).to_be_visible()
        office.get_by_role("button", name="Tout garder de la tablette").click()
        expect(office.get_by_text("Résolu le")).to_be_visible()
        visit.refresh_from_db()
        assert visit.answers["priorities"] == "La cuisine d’abord"
    finally:
        offline_ctx.close()
        online_ctx.close()


def test_a_new_worker_activates_without_losing_queued_records(
    page: Page,
    context: BrowserContext,
    live_server,
    advisor: User,  # type: ignore[no-untyped-def]
) -> None:
    visit = _visit(advisor)
    base = live_server.url
    sign_in(page, base, advisor.email)
    prepare_day(page)
    old_caches = page.evaluate("async () => await caches.keys()")
    context.set_offline(True)
    _fill_offline(page, base, visit, "instructions", "Priorités", "Avant la mise à jour")
    assert [r["state"] for r in records(page)] == ["pending"]

    # Back online, but every send fails: the record waits while the new release arrives.
    chaos_reset(fail_before=1.0)
    try:
        context.set_offline(False)
        with override_settings(NOMAD_OFFLINE_VERSION_SUFFIX="-next-release"):
            page.evaluate("""async () => {
              const registration = await navigator.serviceWorker.getRegistration();
              await registration.update();
              const worker = registration.installing || registration.waiting;
              if (worker) await new Promise((resolve) => {
                const check = () => worker.state === 'activated' && resolve();
                worker.addEventListener('statechange', check);
                if (worker.state === 'activated') resolve();
              });
            }""")

            # The new worker cleans the old release's shell up when it activates.
            def one_new_shell() -> bool:
                caches = page.evaluate("async () => await caches.keys()")
                shells = [c for c in caches if c.startswith("nomad-shell-")]
                return caches != old_caches and len(shells) == 1

            wait_until(one_new_shell, 30, "the old release's shell cleaned up")
            new_caches = page.evaluate("async () => await caches.keys()")
            shells = [c for c in new_caches if c.startswith("nomad-shell-")]
            assert len(shells) == 1 and shells[0].endswith("-next-release")
            assert "nomad-prepared" in new_caches
            assert [r["state"] for r in records(page)] == ["pending"]
    finally:
        chaos_reset()
    page.reload()
    ready(page)
    assert wait_until_sent(page) == []
    visit.refresh_from_db()
    assert visit.answers["priorities"] == "Avant la mise à jour"


def test_a_lost_session_keeps_the_queue_and_asks_to_sign_in_again(
    page: Page,
    context: BrowserContext,
    live_server,
    advisor: User,  # type: ignore[no-untyped-def]
) -> None:
    from importlib import import_module

    from django.conf import settings
    from django.contrib.sessions.models import Session

    store = import_module(settings.SESSION_ENGINE).SessionStore
    visit = _visit(advisor)
    base = live_server.url
    sign_in(page, base, advisor.email)
    prepare_day(page)
    context.set_offline(True)
    _fill_offline(page, base, visit, "instructions", "Priorités", "Gardé sur la tablette")
    for key in Session.objects.values_list("session_key", flat=True):
        store(key).delete()  # signed out on the server while offline (database and cache)

    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    expect(page.get_by_role("link", name="Reconnectez-vous pour envoyer")).to_be_visible()
    assert [r["state"] for r in records(page)] == ["pending"]
    visit.refresh_from_db()
    assert visit.version == 1

    # Back out of coverage before signing in again: the prepared pages are still there,
    # with what was entered, and the write still waits.
    context.set_offline(True)
    page.goto(f"{base}/visites/{visit.pk}/etapes/instructions/")
    ready(page)
    expect(page.get_by_label("Priorités")).to_have_value("Gardé sur la tablette")
    page.goto(f"{base}/agenda/")
    ready(page)
    expect(page.get_by_text(visit.prospect.last_name).first).to_be_visible()
    assert [r["state"] for r in records(page)] == ["pending"]
    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")

    page.get_by_role("link", name="Reconnectez-vous pour envoyer").click()
    page.get_by_label("Courriel").fill(advisor.email)
    page.get_by_label("Mot de passe").fill("correct-horse-battery")
    page.get_by_role("button", name="Se connecter").click()
    ready(page)
    assert wait_until_sent(page) == []
    visit.refresh_from_db()
    assert visit.answers["priorities"] == "Gardé sur la tablette"


def test_logout_never_wipes_waiting_writes_and_wipes_the_device_once_they_are_sent(
    page: Page,
    context: BrowserContext,
    live_server,
    advisor: User,  # type: ignore[no-untyped-def]
) -> None:
    visit = _visit(advisor)
    base = live_server.url
    sign_in(page, base, advisor.email)
    prepare_day(page)
    context.set_offline(True)
    _fill_offline(page, base, visit, "instructions", "Priorités", "Pas encore envoyé")
    dialogs: list[str] = []

    def note(dialog) -> None:  # type: ignore[no-untyped-def]
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", note)
    # Offline: refused, with the reason; nothing erased, still signed in.
    # Waits for the alert itself (not a fixed delay): ``note`` above accepts it first.
    with page.expect_event("dialog", timeout=15_000):
        page.get_by_role("button", name="Se déconnecter").click()
    assert dialogs and "La déconnexion demande le réseau" in dialogs[-1]
    assert [r["state"] for r in records(page)] == ["pending"]
    context.set_offline(False)
    chaos_reset(fail_before=1.0)  # online, but the server keeps failing: the write stays
    try:
        # The alert comes once the forced replay has failed: waited for, however long.
        with page.expect_event("dialog", timeout=30_000):
            page.get_by_role("button", name="Se déconnecter").click()
        assert "1 saisie n’est pas encore arrivée au serveur" in dialogs[-1]
        assert [r["state"] for r in records(page)] == ["pending"]
        expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    finally:
        chaos_reset()
    # Once it is sent, signing out wipes the device.
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(f"{base}/accounts/login/")
    visit.refresh_from_db()
    assert visit.answers["priorities"] == "Pas encore envoyé"
    ready(page)
    # The visits' pages and data are gone; only the app shell (no personal data) may return.
    assert "nomad-prepared" not in page.evaluate("async () => await caches.keys()")
    assert records(page) == []
