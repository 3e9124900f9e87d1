"""What the client reads on the tablet before signing is what the server's PDF says.

For the document model vectors (``tests/vectors/document_model.json``: housekeeping,
gardening, both, fees, early start, avance immédiate, a 30-room visit…), real Chromium,
in a signed-in app page under the site's Content Security Policy, builds the model with
``/static/js/document-model.js`` (its SHA-256 must be the server's) and renders the quote
and the contract with ``/static/js/document-render.js`` (Nunjucks, precompiled
templates); the server renders the same model with Jinja2 and WeasyPrint, and
``pdftotext`` reads the PDF back. The two texts must be equal after this normalisation,
and only this:

* whitespace folded: every run of white space (line breaks, the PDF's page breaks, and
  the no-break spaces French typography puts in) becomes one space, since a line breaks
  where the paper or the screen is full, not where the text says;
* a word the PDF broke at its hyphen ("maison-" at the end of a line, "nette.example"
  on the next) joined again, hyphen kept: the tablet breaks its lines elsewhere;
* the signature's SHA-256 (64 hexadecimal digits without a space, broken where the box
  of a signed document is full) joined again;
* the PDF's page margin boxes removed: the footer (company · SAP number · reference) and
  "Page n / m", which only paper has.
"""

from __future__ import annotations

import base64
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page

from organisation.models import Role
from quotes.document_model import contract_model, model_sha256, sale_model
from quotes.documents import document_pdf, model_html
from tests.browser.offline_helpers import sign_in
from tests.factories import AgencyFactory, UserFactory
from tests.test_document_model_vectors import MODELS, VECTORS, case_inputs

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils"),
]

CONTRACT_DATE = "2026-12-02"
RENDER = """async ({inputs, contract, kind, extras, servicesFrom, catalogues}) => {
  const dm = await import('/static/js/document-model.js');
  const { renderDocument } = await import('/static/js/document-render.js');
  if (servicesFrom) {
    inputs = {...inputs, services: dm.servicesSummary({
      answers: servicesFrom.answers,
      catalogues: servicesFrom.activities.map((a) => catalogues[a]),
    })};
  }
  let model = dm.saleModel({...inputs, contract: null});
  if (kind === 'contract') {
    model = dm.contractModel({quoteModel: model, contractDate: contract.date,
                              earlyStartRequested: contract.early_start_requested});
  }
  if (!document.querySelector('link[data-doc-css]')) {
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = '/static/css/document.css';
    link.dataset.docCss = '';
    const loaded = new Promise((resolve) => { link.onload = resolve; });
    document.head.append(link);
    await loaded;
  }
  let box = document.querySelector('#document-under-test');
  if (!box) {
    box = document.createElement('section');
    box.id = 'document-under-test';
    document.querySelector('main').replaceChildren(box);
  }
  box.innerHTML = renderDocument(kind, model, extras);
  return {sha256: await dm.modelSha256(model), text: box.querySelector('.doc').innerText};
}"""


def _png() -> str:
    """A small signature image (a data URL, as signature_print gives it)."""
    width, height = 60, 20
    rows = b"".join(
        b"\x00" + bytes(255 if (x + y) % 7 else 0 for x in range(width)) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _extras(index: int, case: dict[str, Any], kind: str) -> dict[str, Any]:
    """The render extras, varied over the cases: a final number or not (the tablet's
    reference then shows), and one signed contract."""
    extras: dict[str, Any] = {"number": "" if index % 3 == 1 else f"MN-2026-{index + 100:06d}"}
    if kind == "contract" and case["name"] == "contract with early start, fees and gardening":
        extras["signature"] = {
            "image": _png(),
            "signer": "Anne Durand",
            "signed_at": "02/12/2026 à 10:41:07",
            "received_at": "02/12/2026 à 18:02:55",
            "document_hash": "ab" * 32,
            "request_id": 41,
            "provider": "onsite",
        }
    return extras


def _models(case: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The quote's model, the contract's, and the contract part the tablet is given."""
    inputs = case_inputs(case)
    given = inputs.get("contract") or {"date": CONTRACT_DATE, "early_start_requested": False}
    quote = sale_model(inputs={**inputs, "contract": None})
    contract = contract_model(
        quote_model=quote,
        contract_date=given["date"],
        early_start_requested=given["early_start_requested"],
    )
    return quote, contract, given


def _pdf_pages(pdf: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()
    return out.split("\f")[:-1]  # pdftotext ends every page with a form feed


def _fold(text: str) -> str:
    return " ".join(text.split())


def _without_margins(page: str, footer: str) -> str:
    page = re.sub(r"(?<=\w-)\n(?=\w)", "", page)
    page = re.sub(r"\s+".join(map(re.escape, footer.split())), " ", page)
    return re.sub(r"Page \d+ / \d+", " ", page)


def _first_difference(a: str, b: str) -> str:
    at = next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )
    around = slice(max(0, at - 120), at + 120)
    return f"at {at}:\n  PDF:    …{a[around]!r}\n  tablet: …{b[around]!r}"


@pytest.fixture
def app_page(page: Page, live_server: Any) -> tuple[Page, list[str]]:
    agency = AgencyFactory()
    advisor = UserFactory(role=Role.ADVISOR, agencies=[agency], email="equal@example.test")
    problems: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            problems.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.set_viewport_size({"width": 800, "height": 1280})
    sign_in(page, live_server.url, advisor.email)
    return page, problems


def test_it_shows_on_the_tablet_the_text_of_the_server_pdf(
    app_page: tuple[Page, list[str]], tmp_path: Path, screenshot_dir: Path
) -> None:
    page, problems = app_page
    names = {c["name"] for c in MODELS}
    for needed in (
        "housekeeping only",
        "gardening only",
        "both, split by the estimate",
        "monthly and one-off fees",
        "immediate advance",
        "contract with early start, fees and gardening",
        "long visit of 30 rooms",
    ):
        assert needed in names
    compared = 0
    for index, case in enumerate(MODELS):
        quote, contract, given = _models(case)
        for kind, model in (("quote", quote), ("contract", contract)):
            extras = _extras(index, case, kind)
            tablet = page.evaluate(
                RENDER,
                {
                    # The inputs as the tablet has them: it makes the services itself.
                    "inputs": {**VECTORS["base"], **case["input"]},
                    "contract": given,
                    "kind": kind,
                    "extras": extras,
                    "servicesFrom": case.get("services_from"),
                    "catalogues": VECTORS["catalogues"],
                },
            )
            # The same model on both sides: what is hashed is what is shown.
            assert tablet["sha256"] == model_sha256(model), (case["name"], kind)

            pdf, pages = document_pdf(html=model_html(kind=kind, model=model, extras=extras))
            page_texts = _pdf_pages(pdf, tmp_path)
            assert len(page_texts) == pages >= 1
            company = model["parties"]["company"]
            reference = extras["number"] or model["references"]["device_reference"]
            footer = " · ".join(
                part
                for part in (company["legal_name"], f"SAP {company['sap_number']}", reference)
                if part
            )
            assert all(footer in _fold(p) for p in page_texts), "the footer on every page"
            server = _fold(" ".join(_without_margins(p, footer) for p in page_texts))
            if extras.get("signature"):
                digest = extras["signature"]["document_hash"]
                server = re.sub(r"\s?".join(digest), digest, server)
            shown = _fold(tablet["text"])
            assert server == shown, f"{case['name']} ({kind}) " + _first_difference(server, shown)

            if kind == "contract":
                # The withdrawal form alone on the last page, detachable.
                assert pages >= 3
                form = [i for i, p in enumerate(page_texts) if "Formulaire de rétractation" in p]
                assert form == [pages - 1], (case["name"], form)
                assert "Conditions générales" not in page_texts[-1]
            compared += 1
            if case["name"] == "long visit of 30 rooms" and kind == "contract":
                page.screenshot(path=str(screenshot_dir / "document-contract-tablet.png"))
                page.screenshot(
                    path=str(screenshot_dir / "document-contract-tablet-full.png"), full_page=True
                )
    assert compared >= 20
    assert problems == [], problems
