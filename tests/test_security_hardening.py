"""Security hardening (issue 17): CSV formulas, signature images, walk-in ids, /healthz."""

from __future__ import annotations

import base64
import csv
import io
import re
import subprocess
import threading
import uuid
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone
from PIL import Image

from nomad_web import health
from nomad_web.csv_safe import csv_cell
from nomad_web.text import has_bidi_controls, without_bidi_controls
from organisation.models import AccessEvent, Agency, Role, User
from quotes.documents import document_pdf, logo_data_url
from quotes.pdf_fetcher import file_allowed
from quotes.services import contract_create, quote_create_draft, quote_issue
from signatures import services as signature_services
from signatures.services import SignatureError, signature_image_decode
from tests.conftest import login
from tests.factories import (
    AgencyFactory,
    ProspectFactory,
    UserFactory,
    VisitFactory,
    make_price_list,
    make_visit_ready_to_quote,
)
from tests.test_signature_onsite import form, url
from tests.test_walk_in_offline import _walk_in
from visits.catalogue import catalogue_current
from visits.forms import RoomsForm
from visits.models import Prospect, Visit

pytestmark = pytest.mark.django_db
SYNC = {"HTTP_X_NOMAD_SYNC": "1", "HTTP_X_NOMAD_DEVICE": "tablet-1"}
ROOT = Path(__file__).resolve().parent.parent


# 1. CSV formula injection ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil.test","x")', '\'=HYPERLINK("http://evil.test","x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Zoé Gérard", "Zoé Gérard"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
    ],
)
def test_a_cell_that_could_be_a_formula_is_quoted(value: str | None, written: str) -> None:
    assert csv_cell(value) == written


def test_the_visit_export_never_hands_a_formula_to_the_spreadsheet(
    client: Client, manager: User, agency: Agency
) -> None:
    when = timezone.make_aware(datetime(2026, 1, 9, 14, 30))
    for first, last in [('=HYPERLINK("http://evil.test")', "x"), ("+1+1", ""), ("@A1", "")]:
        VisitFactory(
            prospect=ProspectFactory(agency=agency, first_name=first, last_name=last),
            scheduled_at=when,
        )
    response = login(client, manager).get(
        "/tableau-de-bord/visites/export.csv?start=2026-01-01&end=2026-01-31"
    )
    text = b"".join(response.streaming_content).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    prospects = sorted(row[5] for row in rows[1:])
    assert prospects == ["'+1+1", '\'=HYPERLINK("http://evil.test") x', "'@A1"]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_every_csv_writer_of_the_product_goes_through_the_safe_one() -> None:
    apps = [p for p in ROOT.iterdir() if (p / "__init__.py").exists() or (p / "apps.py").exists()]
    offenders = [
        str(path.relative_to(ROOT))
        for app in apps
        for path in app.rglob("*.py")
        if path.name != "csv_safe.py" and re.search(r"csv\.(writer|DictWriter)\(", path.read_text())
    ]
    assert offenders == []


# 2. Signature images decoded within limits --------------------------------------------


def _data_url(width: int, height: int) -> str:
    """A PNG with a stroke of ink; one bit a pixel, so that a huge one stays a small file."""
    image = Image.new("1", (width, height), 0)
    image.paste(1, (0, 0, min(width, 400), min(height, 40)))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def test_a_huge_signature_image_is_refused_from_its_header(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data_url = _data_url(10_000, 10_000)
    assert len(data_url) < signature_services.MAX_SIGNATURE_BYTES  # small file, huge image

    def no_decoding(*args: object, **kwargs: object) -> None:
        raise AssertionError("the pixels were decoded")

    monkeypatch.setattr(Image.Image, "load", no_decoding)
    with pytest.raises(SignatureError, match=r"trop grande|too big"):
        signature_image_decode(data_url=data_url)


@pytest.mark.parametrize("too", ["wide", "tall"])
def test_a_signature_wider_or_taller_than_the_limits_is_refused(too: str) -> None:
    width, height = signature_services.MAX_SIGNATURE_WIDTH, signature_services.MAX_SIGNATURE_HEIGHT
    size = (width + 1, 200) if too == "wide" else (600, height + 1)
    with pytest.raises(SignatureError, match=r"trop grande|too big"):
        signature_image_decode(data_url=_data_url(*size))


def test_a_signature_within_the_limits_is_accepted() -> None:
    width, height = signature_services.MAX_SIGNATURE_WIDTH, signature_services.MAX_SIGNATURE_HEIGHT
    png = signature_image_decode(data_url=_data_url(width, height))
    assert Image.open(io.BytesIO(png)).size == (width, height)


def test_a_decompression_bomb_is_refused_not_a_500(monkeypatch: pytest.MonkeyPatch) -> None:
    # Pillow's own guard, reached even if the limits above were raised past it.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    monkeypatch.setattr(signature_services, "MAX_SIGNATURE_WIDTH", 50_000)
    monkeypatch.setattr(signature_services, "MAX_SIGNATURE_HEIGHT", 50_000)
    with pytest.raises(SignatureError):
        signature_image_decode(data_url=_data_url(600, 200))


def test_an_encoded_signature_over_the_limit_is_refused_before_decoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(signature_services, "MAX_SIGNATURE_BYTES", 100)

    def no_decoding(*args: object, **kwargs: object) -> None:
        raise AssertionError("the base64 was decoded")

    monkeypatch.setattr(base64, "b64decode", no_decoding)
    with pytest.raises(SignatureError, match=r"trop lourde|too large"):
        signature_image_decode(data_url="data:image/png;base64," + "A" * 400)


def test_the_tablet_gets_a_clear_422_for_a_huge_signature(client: Client) -> None:
    agency = AgencyFactory()
    make_price_list(agency.brand)
    visit = make_visit_ready_to_quote(agency, first_name="Élise", last_name="Dumont")
    quote = quote_issue(quote=quote_create_draft(visit=visit, user=None))
    contract = contract_create(quote=quote, user=None, early_start_requested=False)
    client.force_login(UserFactory(role=Role.ADVISOR, agencies=[agency]))
    body = form(contract, signature=_data_url(15_000, 15_000))
    response = client.post(url(contract), body, headers={"X-Nomad-Sync": "1"})
    assert response.status_code == 422
    assert "trop grande" in response.json()["message"]


# 3. Walk-in ids never reveal another agency's visit -----------------------------------


def test_a_walk_in_with_another_agencys_visit_id_learns_nothing_of_it(
    client: Client, agency: Agency
) -> None:
    foreign = VisitFactory(prospect=ProspectFactory(agency=AgencyFactory()))
    client.force_login(UserFactory(role=Role.ADVISOR, agencies=[agency]))
    answer = client.post("/visites/nouvelle/", _walk_in(agency, foreign.uuid), **SYNC)
    assert answer.status_code == 422
    text = answer.content.decode()
    assert str(foreign.pk) not in re.findall(r"\d+", text)
    assert "visit" not in answer.json()
    assert "client_uuid" in answer.json()["errors"]
    # Nothing created, not even a second visit with that id or the prospect.
    assert Visit.objects.count() == 1
    assert not Prospect.objects.filter(last_name="Martin").exists()
    # Audited as any attempt at another agency's data.
    denied = AccessEvent.objects.filter(kind=AccessEvent.Kind.ACCESS_DENIED, detail="out_of_scope")
    assert denied.exists()


def test_the_html_form_with_another_agencys_visit_id_does_not_redirect_to_it(
    client: Client, agency: Agency
) -> None:
    foreign = VisitFactory(prospect=ProspectFactory(agency=AgencyFactory()))
    client.force_login(UserFactory(role=Role.ADVISOR, agencies=[agency]))
    answer = client.post("/visites/nouvelle/", _walk_in(agency, foreign.uuid))
    assert answer.status_code == 422
    assert Visit.objects.count() == 1


def test_a_walk_in_replayed_in_its_own_agency_still_answers_its_visit(
    client: Client, agency: Agency
) -> None:
    client.force_login(UserFactory(role=Role.ADVISOR, agencies=[agency]))
    visit_id = uuid.uuid4()
    first = client.post("/visites/nouvelle/", _walk_in(agency, visit_id), **SYNC)
    again = client.post("/visites/nouvelle/", _walk_in(agency, visit_id), **SYNC)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert Visit.objects.get().uuid == visit_id


# 4. /healthz shows no exception text ---------------------------------------------------


def test_healthz_never_shows_the_exception_text(
    client: Client, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    def down() -> str:
        raise ConnectionError("password authentication failed for user nomad at 10.0.0.7")

    monkeypatch.setitem(health.CHECKS, "database", down)
    # Even to the bearer of the metrics token, who sees each component.
    settings.METRICS_TOKEN = "healthz-details-token"
    response = client.get("/healthz", HTTP_AUTHORIZATION="Bearer healthz-details-token")
    assert response.status_code == 503
    assert response.json()["database"] == "down: ConnectionError"
    assert "10.0.0.7" not in response.content.decode()
    assert "password" not in response.content.decode()


# 5. Personal data is not kept by browsers and proxies ---------------------------------


def test_pages_pdfs_csv_and_json_holding_personal_data_are_not_stored(
    client: Client, manager: User, agency: Agency
) -> None:
    make_price_list(agency.brand)
    visit = make_visit_ready_to_quote(agency, first_name="Élise", last_name="Dumont")
    quote = quote_issue(quote=quote_create_draft(visit=visit, user=None))
    login(client, manager)
    for path in [
        f"/visites/{visit.pk}/",  # a page
        f"/devis/{quote.pk}/pdf/",  # a PDF
        "/tableau-de-bord/visites/export.csv?start=2026-01-01&end=2026-12-31",  # a CSV
        "/hors-ligne/jeton/",  # JSON
        f"/visites/{visit.pk}/etapes/prospect/",  # an htmx target, as a page
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"], path
    partial = client.get(f"/visites/{visit.pk}/etapes/prospect/", headers={"HX-Request": "true"})
    assert "no-store" in partial["Cache-Control"]


def test_public_assets_keep_their_own_cache_lifetime(client: Client, agency: Agency) -> None:
    theme = client.get(f"/marque/{agency.brand.slug}/theme.css")
    assert theme.status_code == 200
    assert "public" in theme["Cache-Control"] and "no-store" not in theme["Cache-Control"]
    worker = client.get("/sw.js")
    assert worker["Cache-Control"] == "no-cache"  # checked on each visit, never stale


# 6. Documents read only the project's files, the brands' logos and data: URLs ---------


class _Counting(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        body = _png()
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def _images_in(pdf: bytes, tmp_path: Path) -> int:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    listing = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return len(listing.strip().splitlines()) - 2  # two header lines


def test_a_document_never_fetches_the_network_nor_reads_other_files(
    tmp_path: Path, settings: Any
) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    secret = tmp_path / "secret.png"
    secret.write_bytes(_png())
    inline = "data:image/png;base64," + base64.b64encode(_png()).decode()
    try:
        html = (
            "<html><body><p>Devis</p>"
            f'<img src="http://127.0.0.1:{server.server_port}/internal.png">'
            f'<link rel="stylesheet" href="http://127.0.0.1:{server.server_port}/x.css">'
            f'<img src="{secret.as_uri()}">'
            f'<img src="{inline}">'
            "</body></html>"
        )
        pdf, pages = document_pdf(html=html)
    finally:
        server.shutdown()
    assert pages == 1
    assert _Counting.hits == []  # no request left the renderer
    assert _images_in(pdf, tmp_path) == 1  # only the data: image, not the file outside


def test_a_brand_logo_comes_through_the_storage_and_static_files_are_read(
    tmp_path: Path, settings: Any, agency: Agency
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    brand = agency.brand
    brand.logo.save("logo.png", ContentFile(_png()))
    # The logo reaches the document as a data: URL, read through the storage…
    assert logo_data_url(brand).startswith("data:image/png;base64,")
    # …so an uploaded file is never read by its path.
    assert not file_allowed((tmp_path / brand.logo.name).as_uri())
    assert file_allowed((ROOT / "static" / "css" / "document.css").as_uri())
    assert not file_allowed((tmp_path / "other.png").as_uri())
    assert not file_allowed((ROOT / "static" / ".." / "manage.py").as_uri())
    assert not file_allowed("file://intranet/share/x.png")
    pdf, _pages = document_pdf(html=f'<html><body><img src="{logo_data_url(brand)}"></body></html>')
    assert _images_in(pdf, tmp_path) == 1


# 7. Bidirectional controls refused in what people type --------------------------------

RLO = "\u202e"


def test_a_name_holding_a_direction_override_is_refused_and_nothing_saved(
    client: Client, agency: Agency, catalogues: list[object]
) -> None:
    advisor = UserFactory(role=Role.ADVISOR, agencies=[agency])
    visit = VisitFactory(prospect__agency=agency, prospect__consent_at=None, advisor=advisor)
    client.force_login(advisor)
    data = {
        "base_version": visit.version,
        "catalogue_versions": [catalogue_current(activity=a).pk for a in visit.activities],
        "civility": "mrs",
        "first_name": "Marie",
        "last_name": f"Lambert{RLO}fdp.exe",
        "address": "3 rue Crébillon",
        "postal_code": "44000",
        "city": "Nantes",
        "adults": "2",
        "dependent_children": "0",
        "members_over_65": "0",
        "consent": "on",
    }
    answer = client.post(f"/visites/{visit.pk}/etapes/prospect/", data, **SYNC)
    assert answer.status_code == 422
    assert "last_name" in answer.json()["errors"]
    assert "invisibles" in answer.json()["errors"]["last_name"][0]
    visit.prospect.refresh_from_db()
    assert RLO not in visit.prospect.last_name and visit.prospect.consent_at is None


def test_a_room_instruction_or_a_walk_in_with_a_direction_control_is_refused(
    client: Client, agency: Agency, catalogues: list[object]
) -> None:
    advisor = UserFactory(role=Role.ADVISOR, agencies=[agency])
    client.force_login(advisor)
    walk_in = _walk_in(agency, uuid.uuid4(), city="Nantes\u2067")
    answer = client.post("/visites/nouvelle/", walk_in, **SYNC)
    assert answer.status_code == 422 and "city" in answer.json()["errors"]
    assert not Visit.objects.exists()

    form = RoomsForm(
        {"rooms-TOTAL": "1", "rooms-0-type": "kitchen", "rooms-0-instructions": f"a{RLO}b"},
        room_types=[{"key": "kitchen", "tasks": []}],
    )
    assert not form.is_valid()
    assert any("invisibles" in e for e in form.errors[0])


def test_the_signature_place_and_signer_lose_their_direction_controls() -> None:
    assert without_bidi_controls(f"Nan{RLO}tes\u200f") == "Nantes"
    assert has_bidi_controls(["ok", f"x{RLO}"]) and not has_bidi_controls("Zoé-Gérard l'Aîné")


# 8. Staff-edited text is never taken as HTML -----------------------------------------


def test_a_help_text_is_shown_as_text_not_as_html() -> None:
    class Form(forms.Form):
        name = forms.CharField(help_text='<img src=x onerror="alert(1)">')

    html = render_to_string("partials/field.html", {"field": Form()["name"]})
    assert "<img" not in html and "&lt;img" in html
