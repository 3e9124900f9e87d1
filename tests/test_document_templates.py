"""The document templates: the tablet's precompiled copy is the current one, and the
server's Jinja2 environment renders only that folder, with the documents' filters."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from quotes.documents import TEMPLATES_DIR, document_environment, render_context

ROOT = Path(__file__).resolve().parent.parent
PRECOMPILED = ROOT / "static" / "vendor" / "document-templates.js"


def test_it_ships_the_tablet_the_templates_the_server_renders() -> None:
    node, compiler = shutil.which("node"), ROOT / "node_modules" / ".bin" / "nunjucks-precompile"
    if node is None or not compiler.exists():
        pytest.fail("node and the npm packages are needed: run make test")
    fresh = subprocess.run(
        [str(compiler), str(TEMPLATES_DIR.relative_to(ROOT))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert PRECOMPILED.exists() and PRECOMPILED.read_text() == fresh, (
        "static/vendor/document-templates.js is older than templates/documents: run make test"
    )


def test_it_renders_from_the_documents_folder_only() -> None:
    environment = document_environment()
    assert sorted(environment.list_templates()) == sorted(
        p.name for p in TEMPLATES_DIR.glob("*.html")
    )
    for name in ("euros", "number", "rate", "date_fr", "lines"):
        assert name in environment.filters


def test_it_prints_nothing_for_a_missing_value_as_the_tablet_does() -> None:
    template = document_environment().from_string(
        "[{{ nothing }}|{{ missing }}|{{ nothing|euros }}|{{ missing|date_fr }}"
        "|{{ 'a\\nb'|lines|length }}]"
    )
    assert template.render(nothing=None) == "[||||2]"


def test_it_gives_the_templates_the_model_and_the_extras() -> None:
    model = {
        "quote": {"figures": {"fees": [{"recurrence": "one_off"}]}},
        "parties": {"company": {"brand": "Maison nette et jardins"}},
        "legal": [{"kind": "withdrawal", "blocks": []}],
        "references": {"device_reference": "MN-T07-000001"},
    }
    context = render_context(model=model, extras={"number": "MN-2026-000001"})
    assert context["initials"] == "MN" and context["has_one_off"]
    assert context["legal_texts"]["withdrawal"] == {"kind": "withdrawal", "blocks": []}
    assert context["number"] == "MN-2026-000001" and context["signature"] is None
