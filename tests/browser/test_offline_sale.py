"""The whole sale with no network, in Chromium with the real service worker: from a
walk-in (or a prepared visit) to a signed contract, then the server seals it."""

from __future__ import annotations

import json
import random
import re
import subprocess
import time
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from nomad_web.chaos import CHAOS, chaos_reset
from organisation.models import Role, User
from quotes.legal_defaults import legal_texts_load
from quotes.models import Contract, Document, DocumentKind, LegalText, Quote, QuoteStatus
from signatures.models import PaperCopyTask, SignatureRequest, SignatureStatus
from tests.browser.offline_helpers import (
    draw_signature,
    prepare_day,
    ready,
    records,
    sign_in,
    submit_step,
    wait_until_sent,
)
from tests.factories import AgencyFactory, UserFactory, VisitFactory, make_price_list
from visits.catalogue import catalogue_load_default
from visits.models import Conflict, Prospect, Submission, Visit, VisitStatus

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def advisor(db: None) -> User:
    catalogue_load_default()
    legal_texts_load(LegalText)  # a flushed database lost the data migrations
    agency = AgencyFactory()
    make_price_list(agency.brand)
    return UserFactory(role=Role.ADVISOR, agencies=[agency], email="camille@example.test")


def new_visit(advisor: User) -> Visit:
    """A housekeeping visit of the advisor's, before consent: the advisor does it all."""
    return VisitFactory(
        prospect__agency=advisor.agencies.get(),
        prospect__consent_at=None,
        advisor=advisor,
        activities=["housekeeping"],
    )


def capture_housekeeping(page: Page, *, proposed: int | None = None) -> None:
    """From the prospect step to the summary, as an advisor would fill it in."""
    page.get_by_label("Le prospect accepte").check()
    submit_step(page)
    page.get_by_role("button", name="+ Cuisine").click()
    page.get_by_role("button", name="+ Chambre").click()
    page.get_by_text("Appartement", exact=True).click()
    page.get_by_label("Surface habitable").fill("60")
    page.get_by_label("Nombre de niveaux").fill("1")
    submit_step(page)
    page.get_by_label("Chemises par semaine").fill("5")
    submit_step(page)
    page.get_by_text("Le client", exact=True).click()
    page.get_by_text("Boîte à clés").click()
    submit_step(page)
    page.get_by_label("Priorités").fill("La cuisine")
    submit_step(page)
    page.get_by_text("Toutes les semaines").click()
    page.get_by_text("Mardi").click()
    submit_step(page)
    assert "/etapes/estimate/" in page.url
    if proposed is not None:
        page.get_by_label("Minutes proposées par semaine").fill(str(proposed))
        page.get_by_label("Pourquoi un autre volume").fill("Maison encombrée")
    submit_step(page)
    assert page.url.endswith("/etapes/summary/")


def sell_on_the_tablet(
    page: Page, screenshot_dir: Path, name: str, *, client_consents: bool = False
) -> str:
    """Summary → quote → issue → contract → signature; returns the monthly price shown.

    ``client_consents``: the client ticks the early start and the email copy at signature."""
    page.get_by_role("link", name="Établir le devis").click()
    page.locator("html[data-sale-ready='1']").wait_for()
    document = page.locator("[data-sale-document]")
    expect(document).to_contain_text("Devis de prestations de services à la personne")
    total = document.locator("tr.total td").nth(3).inner_text()
    page.screenshot(path=str(screenshot_dir / f"{name}-quote-800x1280.png"), full_page=False)
    page.get_by_role("button", name="Émettre le devis").click()
    expect(page.locator("[data-sale-steps]")).to_contain_text("Émis sur cette tablette")
    # The early start is no longer asked at the contract step: the client asks at signature.
    expect(page.get_by_label(re.compile("Le client demande expressément"))).to_have_count(0)
    page.get_by_role("button", name="Établir le contrat").click()
    # What the client reads before signing: the whole quote and the whole contract.
    expect(document).to_contain_text("Devis de prestations de services à la personne")
    expect(document).to_contain_text("Formulaire de rétractation")
    expect(document).to_contain_text("Conditions générales")
    expect(document).to_contain_text("Je demande expressément")
    early = page.get_by_label(re.compile("^Je demande expressément que la prestation"))
    email_copy = page.get_by_label(re.compile("^J’accepte de recevoir mon exemplaire"))
    # The client's requests are theirs: unticked until they tick them.
    expect(early).not_to_be_checked()
    expect(email_copy).not_to_be_checked()
    page.get_by_label("J’ai vérifié l’identité du signataire").check()
    page.get_by_label("J’ai lu le devis").check()
    page.get_by_label("J’ai reçu l’information sur mon droit de rétractation").check()
    expect(page.get_by_label("Lieu de signature")).not_to_have_value("")
    draw_signature(page)
    # The identity document checked is a required choice: the form says so first.
    page.get_by_role("button", name="Signer", exact=True).click()
    expect(page.locator("[data-sale-steps]")).not_to_contain_text("Signé")
    page.get_by_label("Pièce d’identité vérifiée").select_option(label="Passeport")
    if client_consents:
        early.check()
        email_copy.check()
    page.get_by_role("button", name="Signer", exact=True).click()
    expect(page.locator("[data-sale-steps]")).to_contain_text(
        "Signé, en attente de synchronisation"
    )
    page.screenshot(path=str(screenshot_dir / f"{name}-signed-800x1280.png"), full_page=False)
    return total


def assert_sealed(quote: Quote, tmp_path: Path) -> None:
    for kind in (DocumentKind.SIGNED_QUOTE, DocumentKind.SIGNED_CONTRACT, DocumentKind.EVIDENCE):
        document = Document.objects.get(quote=quote, kind=kind)
        path = tmp_path / f"{kind}.pdf"
        path.write_bytes(document.file.open("rb").read())
        report = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False)
        assert "Signature is Valid" in report.stdout, report.stdout
        assert "signed the whole document" in report.stdout.lower() or (
            "Total document signed" in report.stdout
        ), report.stdout
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "signed_contract.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert quote.reference in text and quote.device_reference in text
    assert Document.objects.filter(quote=quote, kind=DocumentKind.EVIDENCE_JSON).exists()


def test_a_walk_in_offline_reaches_a_signed_contract(
    page: Page,
    context: BrowserContext,
    live_server,  # type: ignore[no-untyped-def]
    advisor: User,
    screenshot_dir: Path,
    tmp_path: Path,
) -> None:
    base = live_server.url
    page.set_viewport_size({"width": 800, "height": 1280})
    sign_in(page, base, advisor.email)
    prepare_day(page)
    context.set_offline(True)

    page.get_by_role("link", name="+ Nouvelle visite").click()
    ready(page)
    page.get_by_label("Prénom").fill("Jeanne")
    page.get_by_label("Nom *", exact=True).fill("Martin")
    page.get_by_label("Adresse").fill("3 rue des Lilas")
    page.get_by_label("Code postal").fill("44000")
    page.get_by_label("Ville").fill("Nantes")
    page.get_by_label("Date et heure").fill("2026-12-01T10:00")
    page.get_by_label("Ménage-repassage").check()
    page.get_by_role("button", name="Créer la visite").click()
    page.wait_for_url(re.compile(r"/visites/[0-9a-f-]{36}/etapes/prospect/"))
    ready(page)
    expect(page.get_by_label("Prénom")).to_have_value("Jeanne")
    capture_housekeeping(page)
    shown = sell_on_the_tablet(page, screenshot_dir, "walk-in", client_consents=True)
    assert not Visit.objects.exists()  # nothing reached the server yet
    kinds = [r["step"] for r in records(page)]
    assert kinds[0] == "visit" and kinds[-3:] == ["quote", "contract", "signature"]

    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    assert wait_until_sent(page, timeout=90) == []
    assert Prospect.objects.count() == 1 and Visit.objects.count() == 1
    visit = Visit.objects.get()
    assert visit.status == VisitStatus.SIGNED and visit.agency == advisor.agencies.get()
    quote = Quote.objects.get()
    assert quote.status == QuoteStatus.SIGNED and quote.sequence == 1
    assert quote.figures["monthly"]["ttc"].replace(".", ",") in shown.replace("\u202f", "")
    contract = Contract.objects.get()
    # Asked by the client at signature, on the tablet, offline.
    assert contract.early_start_requested and contract.signed_at
    assert SignatureRequest.objects.get().status == SignatureStatus.SIGNED
    assert_sealed(quote, tmp_path)
    evidence = json.loads(
        Document.objects.get(quote=quote, kind=DocumentKind.EVIDENCE_JSON).file.open("rb").read()
    )
    assert evidence["signer"]["identity_document"] == "passport"
    assert evidence["place"]["value"] == "Nantes"  # the intervention's town, prefilled
    assert evidence["consents"]["early_start_requested"] is True
    assert evidence["consents"]["durable_medium_email"] is True
    assert evidence["document"]["presented_form"] == "document_model"
    assert evidence["clocks"]["signed_at"] == "tablet"
    # Consent, but no email given: the agency hands a paper copy, and the evidence says so.
    task = PaperCopyTask.objects.get(contract=contract)
    assert task.done_on is None
    assert evidence["delivery"] == {**evidence["delivery"], "method": "paper", "task_id": task.pk}
    signed_text = subprocess.run(
        ["pdftotext", str(tmp_path / "signed_contract.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    day = timezone.localtime(contract.signed_at).strftime("%d/%m/%Y")
    assert f"Fait à Nantes, le {day}" in " ".join(signed_text.split())
    page.reload()
    page.locator("html[data-sale-ready='1']").wait_for()
    expect(page.locator("[data-sale-steps]")).to_contain_text(quote.reference)


def test_a_prepared_visit_with_the_advisors_figure_is_sold_at_the_price_shown(
    page: Page,
    context: BrowserContext,
    live_server,  # type: ignore[no-untyped-def]
    advisor: User,
    screenshot_dir: Path,
    tmp_path: Path,
) -> None:
    visit = new_visit(advisor)
    base = live_server.url
    page.set_viewport_size({"width": 800, "height": 1280})
    sign_in(page, base, advisor.email)
    prepare_day(page)
    context.set_offline(True)
    page.goto(f"{base}/visites/{visit.pk}/etapes/prospect/")
    ready(page)
    capture_housekeeping(page, proposed=225)
    # The summary shows the visit as the tablet knows it, not as it was prepared.
    page.locator("html[data-summary-ready='1']").wait_for()
    summary = page.locator("main")
    expect(summary).to_contain_text("La cuisine")  # the priorities typed offline
    expect(summary).to_contain_text("Appartement")
    expect(summary).to_contain_text("3 h 45")
    expect(page.locator("[data-summary-rooms]")).to_contain_text("Cuisine")
    page.screenshot(path=str(screenshot_dir / "prepared-summary-800x1280.png"), full_page=True)
    shown = sell_on_the_tablet(page, screenshot_dir, "prepared")

    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    assert wait_until_sent(page, timeout=90) == []
    quote = Quote.objects.get(visit=visit)
    assert quote.figures["lines"][0]["minutes_per_week"] == 225  # 3 h 45, the advisor's
    assert quote.figures["monthly"]["ttc"].replace(".", ",") in shown.replace("\u202f", "")
    assert quote.status == QuoteStatus.SIGNED
    assert_sealed(quote, tmp_path)


WAITING = """async () => {
  const m = await import('/static/js/sync.js');
  const list = await m.records();
  return list.map((r) => ({id: r.id, step: r.step, state: r.state,
    blocked: m.waitingFor(r, list).map((b) => b.step)}));
}"""


def settled(page: Page, timeout: float = 60) -> list[dict[str, object]]:
    """Replay until nothing can be sent: what is left is refused, in conflict, or waiting
    for a refused write."""
    deadline = time.monotonic() + timeout
    while True:
        left = page.evaluate(WAITING)
        if not any(r["state"] == "pending" and not r["blocked"] for r in left):
            return left
        if time.monotonic() > deadline:
            raise AssertionError(f"still sendable after {timeout}s: {left}")
        # "Send now": past the backoff, as the advisor would after a long wait.
        page.evaluate(
            "async () => { const m = await import('/static/js/sync.js');"
            " await m.replay({wait: true, force: true}); }"
        )
        page.wait_for_timeout(300)


@pytest.mark.parametrize("seed", range(20))
def test_chaos_on_the_whole_sale_loses_nothing_and_duplicates_nothing(
    page: Page,
    context: BrowserContext,
    live_server,  # type: ignore[no-untyped-def]
    advisor: User,
    screenshot_dir: Path,
    seed: int,
) -> None:
    rng = random.Random(seed)
    visit = new_visit(advisor)
    base = live_server.url
    sign_in(page, base, advisor.email)
    prepare_day(page)
    context.set_offline(True)
    page.goto(f"{base}/visites/{visit.pk}/etapes/prospect/")
    ready(page)
    capture_housekeeping(page, proposed=rng.choice([None, 210, 240]))
    sell_on_the_tablet(page, screenshot_dir, f"chaos-{seed}")
    queued = records(page)
    assert [r["step"] for r in queued][-3:] == ["quote", "contract", "signature"]

    refuse = rng.random() < 0.5
    # Lie-fi: answers slower than the tablet waits for them (the server did the work).
    lie_fi = rng.random() < 0.3
    chaos_reset(
        seed=seed,
        fail_before=rng.uniform(0, 0.3),
        fail_after=rng.uniform(0, 0.3),
        max_delay_ms=1200 if lie_fi else rng.choice([0, 100, 300]),
        refuse_once="/etapes/instructions/" if refuse else "",
    )
    killed = 0
    refused_here = False
    try:
        context.set_offline(False)
        for _ in range(rng.randint(0, 3)):
            if lie_fi:
                page.evaluate(
                    "async () => (await import('/static/js/sync.js')).setSendTimeout(600)"
                )
            page.evaluate("() => window.dispatchEvent(new Event('online'))")
            page.wait_for_timeout(rng.randint(0, 300))
            if rng.random() < 0.5:
                page.reload()  # during the replay
                ready(page)
            elif rng.random() < 0.3:
                page.close()  # the tab is killed during the replay
                page = context.new_page()
                page.goto(f"{base}/agenda/")
                ready(page)
                killed += 1
            if rng.random() < 0.3:
                context.set_offline(True)
                page.wait_for_timeout(rng.randint(50, 300))
                context.set_offline(False)
        if lie_fi:  # the network gets better: answers arrive before the tablet gives up
            page.evaluate("async () => (await import('/static/js/sync.js')).setSendTimeout(15000)")
        left = settled(page, timeout=90)
        # The refusal reached the tablet, unless its answer was lost (a reload or a killed
        # tab during that send): then the retry was accepted and nothing is held.
        refused_here = any(r["step"] == "instructions" for r in left)
        if refuse and refused_here:
            # The refused step holds the sale back; nothing was issued meanwhile.
            states = {r["step"]: (r["state"], r["blocked"]) for r in left}
            assert states["instructions"][0] == "rejected", left
            for step in ("quote", "contract", "signature"):
                assert states[step][0] == "pending" and states[step][1], left
            assert not Quote.objects.filter(visit=visit).exists()
            # The advisor corrects it: the sale goes on.
            page.goto(f"{base}/visites/{visit.pk}/etapes/instructions/")
            ready(page)
            expect(page.get_by_label("Priorités")).to_have_value("La cuisine")
            submit_step(page)
        left = settled(page, timeout=90)
    finally:
        injected = list(CHAOS.injected)
        chaos_reset()
    print(
        f"seed {seed}: {len(queued)} writes, refused={refuse}, lie-fi={lie_fi}, "
        f"killed tabs={killed}, injected={injected}"
    )
    conflicts = [(c.step, c.mine, c.theirs) for c in Conflict.objects.filter(visit=visit)]
    assert conflicts == [], conflicts
    assert left == []
    # 0 lost, 0 duplicated: one quote, one contract, one signature, every write answered once.
    received = {str(s.client_uuid) for s in Submission.objects.filter(visit=visit)}
    kept = {r["id"] for r in queued if not (refused_here and r["step"] == "instructions")}
    assert kept <= received
    quote = Quote.objects.get(visit=visit)
    assert quote.status == QuoteStatus.SIGNED and quote.sequence == 1
    assert Contract.objects.filter(quote__visit=visit).count() == 1
    assert SignatureRequest.objects.filter(status=SignatureStatus.SIGNED).count() == 1
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SIGNED


def test_a_quote_issued_offline_while_the_needs_changed_elsewhere_is_a_conflict(
    browser,  # type: ignore[no-untyped-def]
    live_server,  # type: ignore[no-untyped-def]
    advisor: User,
    screenshot_dir: Path,
) -> None:
    visit = new_visit(advisor)
    base = live_server.url
    options = {"locale": "fr-FR", "viewport": {"width": 800, "height": 1280}}
    first, second = browser.new_context(**options), browser.new_context(**options)
    try:
        a, b = first.new_page(), second.new_page()
        # Tablet A captures the visit online, prepares, then sells it with no network.
        sign_in(a, base, advisor.email)
        a.goto(f"{base}/visites/{visit.pk}/etapes/prospect/")
        ready(a)
        capture_housekeeping(a)
        a.goto(f"{base}/agenda/")
        ready(a)
        prepare_day(a)
        first.set_offline(True)
        a.goto(f"{base}/visites/{visit.pk}/etapes/summary/")
        ready(a)
        sell_on_the_tablet(a, screenshot_dir, "two-tablets")

        # Meanwhile tablet B, online, changes the needs and confirms a new estimate.
        sign_in(b, base, advisor.email)
        b.goto(f"{base}/visites/{visit.pk}/etapes/ironing_extras/")
        ready(b)
        b.get_by_label("Chemises par semaine").fill("15")
        submit_step(b)
        b.goto(f"{base}/visites/{visit.pk}/etapes/estimate/")
        ready(b)
        submit_step(b)
        visit.refresh_from_db()
        assert visit.status == VisitStatus.NEEDS_CAPTURED

        first.set_offline(False)
        a.evaluate("() => window.dispatchEvent(new Event('online'))")
        left = settled(a, timeout=60)
        states = {r["step"]: (r["state"], r["blocked"]) for r in left}
        assert states["quote"][0] == "conflict"
        assert states["contract"] == ("pending", ["quote"])
        assert states["signature"] == ("pending", ["contract"])
        conflict = Conflict.objects.get(visit=visit, step="quote")
        assert any(k.startswith("quote.figures") for k in conflict.conflicting_keys)
        # Nothing issued, printed or sealed with figures nobody saw.
        assert not Quote.objects.exists() and not Document.objects.exists()
        a.reload()
        a.locator("html[data-sale-ready='1']").wait_for()
        expect(a.locator("[data-sale-steps]")).to_contain_text("Conflit")
        expect(a.locator("[data-sale-steps]")).to_contain_text("En attente de : Devis")
        a.screenshot(path=str(screenshot_dir / "two-tablets-conflict-800x1280.png"))
        a.get_by_role("link", name="Voir le conflit").click()
        expect(a.get_by_text("Rien n’a été émis")).to_be_visible()
        # The advisor sets it aside: at the next sync the tablet forgets that sale and
        # offers to make the quote again, on the needs as they now are.
        a.get_by_role("button", name="Écarter le document de la tablette").click()
        a.goto(f"{base}/visites/{visit.pk}/vente/")
        a.locator("html[data-sale-ready='1']").wait_for()
        a.wait_for_function(
            "async () => (await (await import('/static/js/sync.js')).records()).length === 0"
        )
        a.reload()
        a.locator("html[data-sale-ready='1']").wait_for()
        expect(a.get_by_role("button", name="Émettre le devis")).to_be_visible()
        expect(a.locator("#sync")).not_to_contain_text("conflit")
    finally:
        first.close()
        second.close()


# Pages an offline crawl from the agenda may not open, and why.
CRAWL_EXCEPTIONS = {
    # (and the agenda of days outside the prepared period, see below)
    "/admin/": "head-office pages need the network (never prepared)",
    "/accounts/": "signing in and out needs the network",
}


def test_offline_every_link_from_the_agenda_leads_to_a_working_page(
    page: Page,
    context: BrowserContext,
    live_server,  # type: ignore[no-untyped-def]
    advisor: User,
) -> None:
    visit = VisitFactory(
        prospect__agency=advisor.agencies.get(), advisor=advisor, activities=["housekeeping"]
    )
    base = live_server.url
    sign_in(page, base, advisor.email)
    prepare_day(page)
    context.set_offline(True)
    offline_page = "Vous êtes hors ligne et cette page n’a pas été préparée"
    # What needs the network says so, in French, and cannot be pressed.
    page.goto(f"{base}/agenda/")
    ready(page)
    expect(page.get_by_role("button", name="Préparer ma journée")).to_be_disabled()
    expect(page.locator("[data-prepare-status]")).to_contain_text(
        "La préparation demande le réseau"
    )
    seen: set[str] = set()
    todo = ["/agenda/"]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(f"{base}{path}")
        assert response is not None and response.ok, path
        ready(page)
        assert offline_page not in page.content(), path
        for href in page.eval_on_selector_all("a[href]", "els => els.map((a) => a.href)"):
            if not href.startswith(base):
                continue
            target = href[len(base) :].split("#")[0]
            if any(target.startswith(p) for p in CRAWL_EXCEPTIONS) or target in seen:
                continue
            day = re.search(r"[?&]date=(\d{4}-\d{2}-\d{2})", target)
            if day and day[1] != timezone.localdate().isoformat():
                continue  # another day than the one prepared: the agenda needs the network
            if target.endswith("/pdf/"):
                continue  # documents of a quote made on the server: none for this visit
            # The crawl stays on this visit and the app's own pages.
            mine = f"/visites/{visit.pk}/" in target or target.startswith("/visites/nouvelle/")
            if target.startswith("/visites/") and not mine:
                continue
            todo.append(target)
    assert f"/visites/{visit.pk}/vente/" in seen and "/visites/nouvelle/" in seen
    assert any("/etapes/summary/" in p for p in seen)

    # "‹ Précédent" is an htmx request: offline it becomes a full page load.
    page.goto(f"{base}/visites/{visit.pk}/etapes/dwelling/")
    ready(page)
    page.get_by_role("link", name="‹ Précédent").click()
    page.wait_for_url(f"{base}/visites/{visit.pk}/etapes/prospect/")
    ready(page)
    assert offline_page not in page.content()


CORRECTION_RACE = """async () => {
  const m = await import('/static/js/sync.js');
  const store = await import('/static/js/store.js');
  const visitId = 987654;
  let looks = 0;
  let early = 0;
  for (let i = 0; i < 40; i++) {
    const refused = await m.enqueue({url: '/x/', visitId, step: 'instructions', pairs: []});
    await m.settle(refused, {status: 422, data: {message: 'refusé'}});
    const quote = await m.enqueue({url: '/q/', visitId, step: 'quote', kind: 'quote', pairs: [],
      dependsOn: [refused.id]});
    let done = false;
    const correction = m.enqueue({url: '/x/', visitId, step: 'instructions', pairs: []})
      .then(() => { done = true; });
    while (!done) {  // what a replay running meanwhile would see
      const list = await m.records();
      const q = list.find((r) => r.id === quote.id);
      looks += 1;
      if (q && !m.waitingFor(q, list).length) early += 1;
    }
    await correction;
    const list = await m.records();
    const q = list.find((r) => r.id === quote.id);
    if (!m.waitingFor(q, list).length) early += 1;
    for (const r of list) await store.del('outbox', r.id);
  }
  return {looks, early};
}"""


def test_a_correction_never_lets_what_waited_for_the_refused_write_go_first(
    page: Page,
    context: BrowserContext,
    live_server,
    advisor: User,  # type: ignore[no-untyped-def]
) -> None:
    """Replacing a refused step by its correction: the quote that waited for the refused
    one waits, at every moment, for it or for the correction; a replay running meanwhile
    never sends the sale before the corrected step (the server would then refuse the
    correction, the visit being signed)."""
    sign_in(page, live_server.url, advisor.email)
    context.set_offline(True)  # nothing is sent: only what a replay would see is checked
    seen = page.evaluate(CORRECTION_RACE)
    assert seen["looks"] > 40
    assert seen["early"] == 0, seen
