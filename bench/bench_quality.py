"""Page weight and Lighthouse scores, against the production-like server of
``bench/_server.py`` (gunicorn, PostgreSQL, Redis, whitenoise; a fresh database unless
``DATABASE_URL`` is given):

* JavaScript and CSS the agenda and a visit step actually load (Debian's Chromium through
  Playwright, every script and stylesheet response), gzipped, our code and libraries apart;
* Lighthouse 12.2.3 (``node_modules/.bin/lighthouse``, Node 20, mobile emulation, the
  default form factor) performance, accessibility and best-practices scores for the
  agenda, a visit step and the manager dashboard, signed in with a session cookie. A
  score under the aim of 95 gets a note naming the audits that cost the most points.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import tempfile
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path

from _common import ROOT, django_setup, record
from _server import bench_database, gunicorn, prepare, production_env

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-background-networking"
    " --disable-component-update --disable-sync --no-first-run"
)
CATEGORIES = ("performance", "accessibility", "best-practices")
AIM = 95


def page_weight(base: str, label: str, path: str, session: str) -> None:
    from playwright.sync_api import Response, sync_playwright

    sizes = {"ours": 0, "libraries": 0}
    seen: set[str] = set()

    def count(response: Response) -> None:
        if response.request.resource_type not in ("script", "stylesheet"):
            return
        if response.url in seen or response.status != 200:
            return
        seen.add(response.url)
        size = len(gzip.compress(response.body(), compresslevel=9))
        sizes["libraries" if "/static/vendor/" in response.url else "ours"] += size

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROME_FLAGS.split()[1:])
        context = browser.new_context(locale="fr-FR", viewport={"width": 768, "height": 1024})
        context.add_cookies([{"name": "sessionid", "value": session, "url": base}])
        page = context.new_page()
        page.on("response", count)
        page.goto(f"{base}{path}", wait_until="networkidle")
        browser.close()
    print(f"  {label}: {len(seen)} scripts and stylesheets")
    record(f"weight.{label}.ours_js_css_gzip", sizes["ours"] / 1024, "KB")
    record(f"weight.{label}.libraries_js_css_gzip", sizes["libraries"] / 1024, "KB")
    total = (sizes["ours"] + sizes["libraries"]) / 1024
    record(f"weight.{label}.total_js_css_gzip", total, "KB", "aim: under 60 KB")


def costly_audits(report: dict[str, object], category: str) -> str:
    """The audits that cost this category the most points, by weight."""
    audits: dict[str, dict[str, object]] = report["audits"]  # type: ignore[assignment]
    refs = report["categories"][category]["auditRefs"]  # type: ignore[index]
    lost = []
    for ref in refs:
        audit = audits[ref["id"]]
        score = audit.get("score")
        if ref["weight"] and isinstance(score, int | float) and score < 1:
            lost.append(
                (ref["weight"] * (1 - score), str(audit["title"]), audit.get("displayValue"))
            )
    lost.sort(reverse=True)
    return "; ".join(f"{t} ({v})" if v else t for _, t, v in lost[:3])


def lighthouse(base: str, label: str, path: str, session: str, folder: Path, node: str) -> None:
    headers = folder / "headers.json"
    headers.write_text(json.dumps({"Cookie": f"sessionid={session}"}))
    out = folder / f"{label}.json"
    print(f"  lighthouse {label}…", flush=True)
    subprocess.run(
        [
            str(LIGHTHOUSE),
            f"{base}{path}",
            f"--chrome-path={CHROMIUM}",
            f"--chrome-flags={CHROME_FLAGS}",
            f"--only-categories={','.join(CATEGORIES)}",
            f"--extra-headers={headers}",
            "--output=json",
            f"--output-path={out}",
            "--quiet",
        ],
        check=True,
        timeout=300,
        env={**os.environ, "CHROME_PATH": CHROMIUM},
    )
    report = json.loads(out.read_text())
    final = report.get("finalDisplayedUrl", "")
    if "/accounts/login/" in final:
        raise RuntimeError(f"lighthouse {label}: ended on the login page, session refused")
    for category in CATEGORIES:
        score = report["categories"][category]["score"] * 100
        note = "" if score >= AIM else "costs most: " + costly_audits(report, category)
        record(
            f"lighthouse.{label}.{category}",
            score,
            "/100",
            f"aim: {AIM} (Lighthouse {report['lighthouseVersion']}, Node {node})",
            note,
        )


def main() -> None:
    if not LIGHTHOUSE.exists():
        raise SystemExit("lighthouse missing: run `npm ci` (make bench does).")
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    if not node.startswith("v20."):
        print(f"  ! Node {node}: the scores of record are taken on Node 20")
    with bench_database() as database_url, tempfile.TemporaryDirectory() as tmp:
        env = production_env(database_url)
        print("  preparing the database (migrate, seed_demo, collectstatic)…", flush=True)
        prepare(env)
        os.environ.update(env)
        django_setup()
        from django.conf import settings
        from django.db import connections
        from django.test import Client
        from django.utils import timezone

        from organisation.models import User
        from tests.factories import VisitFactory

        advisor = User.objects.get(email="conseiller@demo.test")
        visit = VisitFactory(
            prospect__agency=advisor.agencies.get(),
            advisor=advisor,
            scheduled_at=datetime.combine(
                timezone.localdate() + timedelta(days=30),
                clock(10, 0),
                tzinfo=timezone.get_current_timezone(),
            ),
        )

        def session(email: str) -> str:
            client = Client()
            client.force_login(User.objects.get(email=email))
            return client.cookies[settings.SESSION_COOKIE_NAME].value

        pages = {
            "agenda": ("/agenda/", session("conseiller@demo.test")),
            "visit step": (
                f"/visites/{visit.pk}/etapes/instructions/",
                session("conseiller@demo.test"),
            ),
            "dashboard": ("/tableau-de-bord/", session("manager@demo.test")),
        }
        connections.close_all()
        with gunicorn(env, workers=2) as base:
            for label in ("agenda", "visit step"):
                path, cookie = pages[label]
                page_weight(base, label, path, cookie)
            for label, (path, cookie) in pages.items():
                lighthouse(base, label, path, cookie, Path(tmp), node)


if __name__ == "__main__":
    main()
