"""Offline figures, measured in Debian's Chromium against a local server:

* time to show a prepared visit page with no network (median of 20);
* time to replay 100 queued submits once the network is back;
* JavaScript and CSS shipped to the tablet, gzipped (our code and libraries apart).
"""

from __future__ import annotations

import gzip
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from datetime import time as clock
from pathlib import Path
from typing import Any

from _common import ROOT, django_setup, median, percentile, record

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RUNS = 20
REPLAYED = 100


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def shipped_sizes() -> None:
    from visits.views.offline import SHELL_STATIC

    ours = vendor = 0
    for name in SHELL_STATIC:
        if not name.endswith((".js", ".css")):
            continue
        size = len(gzip.compress((ROOT / "static" / name).read_bytes(), compresslevel=9))
        if name.startswith("vendor/"):
            vendor += size
        else:
            ours += size
    record("offline.shipped.ours_js_css_gzip", ours / 1024, "KB")
    record("offline.shipped.libraries_js_css_gzip", vendor / 1024, "KB")
    record("offline.shipped.total_js_css_gzip", (ours + vendor) / 1024, "KB", "aim: under 60 KB")


def main() -> None:
    django_setup()
    from django.utils import timezone

    from nomad_web.demo import demo_seed
    from organisation.models import User
    from tests.factories import VisitFactory

    demo_seed()
    advisor = User.objects.get(email="conseiller@demo.test")
    today = timezone.localdate()
    visit = VisitFactory(
        prospect__agency=advisor.agencies.get(),
        advisor=advisor,
        scheduled_at=datetime.combine(today, clock(23, 0), tzinfo=timezone.get_current_timezone()),
    )
    shipped_sizes()

    with local_server() as base:
        measure(base, visit.pk)


@contextmanager
def local_server() -> Iterator[str]:
    """The app served by runserver on a free loopback port (the scratch database), its URL."""
    port = free_port()
    env = {**os.environ, "DEBUG": "false", "DJANGO_SETTINGS_MODULE": "nomad_web.settings"}
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=20)


def sign_in_and_prepare(page: Any, base: str) -> None:
    """The demo advisor signs in, the service worker takes the page, the day is prepared."""
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_login", "conseiller@demo.test")
    page.fill("#id_password", "nomad-demo")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/agenda/")
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    page.reload()
    page.locator("html[data-offline-ready='1']").wait_for()
    print("  preparing the day…", flush=True)
    page.click("button[data-period=day]")
    page.locator("[data-prepare-status]", has_text="disponible").wait_for(timeout=120000)


def measure(base: str, visit_id: int) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(locale="fr-FR", viewport={"width": 768, "height": 1024})
        page = context.new_page()
        sign_in_and_prepare(page, base)

        context.set_offline(True)
        url = f"{base}/visites/{visit_id}/etapes/dwelling/"
        timings = []
        for i in range(RUNS):
            page.goto(f"{base}/hors-ligne/")
            start = time.perf_counter()
            page.goto(url)
            page.locator("html[data-offline-ready='1']").wait_for()
            timings.append((time.perf_counter() - start) * 1000)
            if i % 5 == 4:
                print(f"  prepared page offline: {i + 1}/{RUNS}", flush=True)
        record("offline.prepared_page_shown.median", median(timings), "ms")
        record("offline.prepared_page_shown.p95", percentile(timings, 95), "ms")

        page.goto(f"{base}/visites/{visit_id}/etapes/instructions/")
        page.locator("html[data-offline-ready='1']").wait_for()
        queued = page.evaluate(
            """async (count) => {
              const sync = await import('/static/js/sync.js');
              const form = document.querySelector('form[data-offline-step]');
              for (let i = 0; i < count; i++) {
                const pairs = [...new FormData(form)].filter(([n]) => n !== 'csrfmiddlewaretoken')
                  .map(([n, v]) => [n, n === 'priorities' ? `priorité ${i}` : v]);
                const visitId = Number(form.dataset.visitId);
                await sync.enqueue({url: form.action, visitId, step: 'instructions', pairs});
              }
              return (await sync.records()).length;
            }""",
            REPLAYED,
        )
        print(f"  {queued} submits queued offline; replaying…", flush=True)
        context.set_offline(False)
        start = time.perf_counter()
        left = page.evaluate(
            """async () => {
              const sync = await import('/static/js/sync.js');
              while ((await sync.records()).some((r) => r.state === 'pending')) await sync.replay();
              return (await sync.records()).length;
            }"""
        )
        elapsed = time.perf_counter() - start
        assert left == 0, f"{left} records left"
        record("offline.replay_100_submits", elapsed, "s")
        record("offline.replay_throughput", REPLAYED / elapsed, "submits/s")
        browser.close()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
