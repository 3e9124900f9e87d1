"""Median time to render a quote and its contract with WeasyPrint, and the same HTML
printed by headless Chromium (cold start each run), in the same run, with the ratio.

    .venv/bin/python bench/bench_documents.py [runs]
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import django_setup, median, record

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 20
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-pdf-header-footer",
]


def main() -> None:
    django_setup()
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    from django.core.management import call_command

    from quotes.documents import document_html, document_pdf
    from quotes.models import Quote

    with tempfile.TemporaryDirectory() as out:
        call_command("render_sample_documents", out=out, stdout=io.StringIO())
    quote = Quote.objects.exclude(number="").select_related("brand").first()
    assert quote is not None
    pages = {kind: document_html(quote=quote, kind=kind) for kind in ("quote", "contract")}

    ours: list[float] = []
    chromium: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for kind, html in pages.items():
            (folder / f"{kind}.html").write_text(html)
        for run in range(RUNS):
            started = time.perf_counter()
            for html in pages.values():
                document_pdf(html=html)
            ours.append(time.perf_counter() - started)

            started = time.perf_counter()
            for kind in pages:
                subprocess.run(
                    [
                        CHROMIUM,
                        *FLAGS,
                        f"--user-data-dir={folder / f'profile-{run}-{kind}'}",
                        f"--print-to-pdf={folder / f'{kind}-{run}.pdf'}",
                        (folder / f"{kind}.html").as_uri(),
                    ],
                    check=True,
                    capture_output=True,
                    timeout=120,
                )
            chromium.append(time.perf_counter() - started)
            if run % 5 == 4:
                print(f"  {run + 1}/{RUNS} runs", flush=True)

    print(f"quote + contract, {RUNS} runs, median:")
    ours_ms, chromium_ms = median(ours) * 1000, median(chromium) * 1000
    record("documents_weasyprint_quote_contract_median", ours_ms, "ms")
    record("documents_chromium_quote_contract_median", chromium_ms, "ms")
    record(
        "documents_weasyprint_vs_chromium_ratio",
        ours_ms / chromium_ms,
        "x",
        compared_with="Chromium headless --print-to-pdf, cold start each run",
    )


if __name__ == "__main__":
    main()
