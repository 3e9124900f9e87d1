"""The sale on the tablet, measured in Debian's Chromium against a local server (median of
10 visits, each captured offline first):

* from the summary (after the last step) to "signed, waiting for sync", offline: the taps
  an advisor makes and the seconds the app takes (driven by the script, so the seconds
  are the app's, not a person's reading time);
* from reconnecting to the sealed documents on the server (the visit's step writes, the
  quote, the contract and the signature replayed, the PDFs rendered and sealed).
"""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime
from datetime import time as clock
from pathlib import Path

from _common import django_setup, median, record
from bench_offline import CHROMIUM_ARGS, local_server, sign_in_and_prepare

RUNS = 10


def main() -> None:
    # The script reads the database between Playwright's calls (its loop, our thread).
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    django_setup()
    from django.utils import timezone

    from nomad_web.demo import demo_seed
    from organisation.models import User
    from tests.factories import VisitFactory

    demo_seed()
    advisor = User.objects.get(email="conseiller@demo.test")
    today = timezone.localdate()
    visits = [
        VisitFactory(
            prospect__agency=advisor.agencies.get(),
            prospect__consent_at=None,
            advisor=advisor,
            activities=["housekeeping"],
            scheduled_at=datetime.combine(
                today, clock(22, 0), tzinfo=timezone.get_current_timezone()
            ),
        )
        for _ in range(RUNS)
    ]
    with local_server() as base:
        measure(base, [v.pk for v in visits])


def measure(base: str, visit_ids: list[int]) -> None:
    from playwright.sync_api import sync_playwright

    from quotes.models import Document, DocumentKind
    from tests.browser.offline_helpers import draw_signature
    from tests.browser.test_offline_sale import capture_housekeeping

    to_signed: list[float] = []
    to_sealed: list[float] = []
    taps = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(locale="fr-FR", viewport={"width": 800, "height": 1280})
        page = context.new_page()
        sign_in_and_prepare(page, base)
        for n, visit_id in enumerate(visit_ids, start=1):
            context.set_offline(True)
            page.goto(f"{base}/visites/{visit_id}/etapes/prospect/")
            page.locator("html[data-offline-ready='1']").wait_for()
            capture_housekeeping(page, proposed=225)
            start = time.perf_counter()
            taps = 0

            def tap(locator) -> None:  # type: ignore[no-untyped-def]
                nonlocal taps
                taps += 1
                locator.click()

            tap(page.get_by_role("link", name="Établir le devis"))
            page.locator("html[data-sale-ready='1']").wait_for()
            tap(page.get_by_role("button", name="Émettre le devis"))
            tap(page.get_by_role("button", name="Établir le contrat"))
            tap(page.get_by_label("J’ai vérifié l’identité du signataire"))
            tap(page.get_by_label("J’ai lu le devis"))
            tap(page.get_by_label("J’ai reçu l’information sur mon droit de rétractation"))
            draw_signature(page)
            taps += 1  # the client's signature: one stroke of the finger
            tap(page.get_by_role("button", name="Signer", exact=True))
            page.locator("[data-sale-steps]", has_text="Signé, en attente").wait_for()
            to_signed.append(time.perf_counter() - start)

            context.set_offline(False)
            start = time.perf_counter()
            page.evaluate("() => window.dispatchEvent(new Event('online'))")
            deadline = time.monotonic() + 120
            while not Document.objects.filter(
                quote__visit_id=visit_id, kind=DocumentKind.EVIDENCE
            ).exists():
                if time.monotonic() > deadline:
                    raise AssertionError(f"visit {visit_id}: nothing sealed after 120 s")
                page.evaluate(
                    "async () => { const m = await import('/static/js/sync.js');"
                    " await m.replay(); }"
                )
                time.sleep(0.2)
            to_sealed.append(time.perf_counter() - start)
            print(
                f"  sale {n}/{len(visit_ids)}: {to_signed[-1]:.2f} s to signed offline, "
                f"{to_sealed[-1]:.2f} s from reconnect to sealed",
                flush=True,
            )
        browser.close()
    record("sale.taps_summary_to_signed", taps, "taps", note="the client's stroke counted once")
    record("sale.summary_to_signed_offline.median", median(to_signed), "s")
    record("sale.reconnect_to_sealed.median", median(to_sealed), "s", note="runserver, SQLite")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
