"""Stateless web nodes: a whole visit with each request sent to the other of two nodes.

Two gunicorn nodes (production settings) and two Celery workers share PostgreSQL, Redis
and an S3 object store (moto's server). One advisor signs in on a node, then every
request goes to the other one in turn: the steps of the visit, an offline write replayed
on both nodes, the quote, the contract, the signature on the tablet, and the PDFs, sealed
by whichever worker took the task. Nothing is lost or made twice, and the session and
its CSRF token are good on both nodes.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import httpx
import pytest
from django.conf import global_settings
from django.db import connection

from integrations.models import OutboxEvent
from organisation.models import Agency, Role, User
from quotes.legal_defaults import legal_texts_load
from quotes.models import Contract, Document, DocumentKind, LegalText, Quote
from signatures.models import SignatureRequest, SignatureStatus
from signatures.seal import seal_development_pair
from tests.bus import visit_captured
from tests.conftest import postgresql_required, wait_until
from tests.factories import (
    PASSWORD,
    AgencyFactory,
    UserFactory,
    make_price_list,
)
from tests.test_signature_onsite import form as signature_form
from visits.catalogue import catalogue_current
from visits.models import Submission, Visit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from _server import gunicorn, production_env
from bench_load import FormFields

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
SYNC = {"X-Nomad-Sync": "1", "X-Nomad-Device": "tablet-scale-out"}


@pytest.fixture(autouse=True)
def _shared_engines() -> None:
    postgresql_required("several nodes share PostgreSQL and Redis")
    if not os.environ.get("REDIS_URL"):
        if os.environ.get("CI"):
            pytest.fail("CI must run this test against Redis (REDIS_URL)")
        pytest.skip("several nodes share Redis (set REDIS_URL)")
    legal_texts_load(LegalText)  # a transactional test's flush lost the data migrations


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def celery_worker(env: dict[str, str], name: str) -> Iterator[None]:
    worker = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "nomad_web",
            "worker",
            "--concurrency=1",
            f"--hostname={name}@%h",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        yield
    finally:
        worker.terminate()
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()


class Nodes:
    """One browser (one cookie jar) whose every request goes to the next node in turn."""

    def __init__(self, bases: list[str]) -> None:
        self.client = httpx.Client(timeout=60, follow_redirects=False)
        self._next = itertools.cycle(bases)
        self.served: Counter[str] = Counter()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        base = next(self._next)
        self.served[base] += 1
        return self.client.request(method, base + path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)


def _csrf(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True)
    return out.stdout


def _step_resaved(browser: Nodes, url: str) -> None:
    """A step's form read from one node and sent back as drawn to the other."""
    page = browser.get(url)
    assert page.status_code == 200, url
    fields = FormFields()
    fields.feed(page.text)
    saved = browser.post(url, data=fields.as_data())
    assert saved.status_code in (302, 303), (url, saved.status_code, _messages(saved))


def _messages(page: httpx.Response) -> list[str]:
    """The page's error and flash messages, for an assertion's explanation."""
    found = re.findall(r'class="[^"]*(?:error|message|alert)[^"]*"[^>]*>(.*?)</', page.text, re.S)
    return [re.sub(r"<[^>]+>", "", text).strip() for text in found]


def test_a_whole_visit_with_each_request_on_the_other_node(
    s3_endpoint: str, catalogues: list[object], tmp_path: Path, settings: Any
) -> None:
    agency: Agency = AgencyFactory()
    make_price_list(agency.brand)
    seal_development_pair(agency.brand)  # production never makes one: it is "installed"
    advisor: User = UserFactory(role=Role.ADVISOR, agencies=[agency])
    # The nodes check passwords with the production hashers (the suite's is a fast MD5).
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    advisor.set_password(PASSWORD)
    advisor.save(update_fields=["password"])
    # Captured on the tablet to its confirmed estimate; the browser then goes over it again.
    visit = visit_captured(agency, advisor, catalogues)
    bucket = f"nomad-nodes-{uuid.uuid4().hex[:8]}"
    boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="eu-west-3",
        aws_access_key_id="k",
        aws_secret_access_key="s",
    ).create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    env = {
        **production_env(_database_url()),
        "DOCUMENTS_STORAGE": "s3",
        "S3_BUCKET": bucket,
        "S3_ENDPOINT_URL": s3_endpoint,
        "S3_REGION": "eu-west-3",
        "S3_ACCESS_KEY_ID": "k",
        "S3_SECRET_ACCESS_KEY": "s",
        "NOMAD_SEAL_DIR": str(settings.NOMAD_SEAL_DIR),
        "REDIS_URL": os.environ["REDIS_URL"],
        "DJANGO_ALLOW_ASYNC_UNSAFE": "",
    }
    # The nodes serve static files from whitenoise's manifest, as in production.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    with ExitStack() as stack:
        bases = [stack.enter_context(gunicorn(env, workers=1)) for _ in range(2)]
        for n in range(2):
            stack.enter_context(celery_worker(env, f"scale{n}"))
        browser = Nodes(bases)
        _walk_through(browser, visit, tmp_path)
        assert browser.served[bases[0]] > 10 and browser.served[bases[1]] > 10


def _walk_through(browser: Nodes, visit: Visit, tmp_path: Path) -> None:
    # Sign in: the form from one node, the POST to the other, the session good on both.
    login = browser.get("/accounts/login/")
    assert login.status_code == 200
    advisor = User.objects.get(memberships__agency=visit.agency, role=Role.ADVISOR)
    signed_in = browser.post(
        "/accounts/login/",
        data={
            "login": advisor.email,
            "password": PASSWORD,
            "csrfmiddlewaretoken": _csrf(login.text),
        },
    )
    assert signed_in.status_code == 302, signed_in.text[:500]
    for _ in range(2):
        assert browser.get("/agenda/").status_code == 200

    # The steps: each form read from one node and posted to the other.
    steps = f"/visites/{visit.pk}/etapes/"
    for step in ("prospect", "dwelling", "instructions", "schedule"):
        _step_resaved(browser, steps + f"{step}/")

    # An offline write, replayed: the queue sends it to one node, gets no answer, sends it
    # again to the other; it is applied once and both answer the same.
    version = Visit.objects.get(pk=visit.pk).version
    token = browser.get("/hors-ligne/jeton/").json()["csrf"]
    write = {
        "submission_id": str(uuid.uuid4()),
        "base_version": version,
        "catalogue_versions": [catalogue_current(activity=a).pk for a in visit.activities],
        "priorities": "La cuisine d'abord",
        "csrfmiddlewaretoken": token,
    }
    first = browser.post(steps + "instructions/", data=write, headers=SYNC)
    again = browser.post(steps + "instructions/", data=write, headers=SYNC)
    assert first.status_code == again.status_code == 200, (first.text[:300], again.text[:300])
    assert first.json() == again.json()
    assert Submission.objects.filter(client_uuid=write["submission_id"]).count() == 1
    replayed = Visit.objects.get(pk=visit.pk)
    assert replayed.version == version + 1 and replayed.answers["priorities"] == write["priorities"]

    # The estimate, confirmed again after the changes; then the quote and the contract.
    _step_resaved(browser, steps + "estimate/")
    detail = browser.get(f"/visites/{visit.pk}/")
    csrf = _csrf(detail.text)
    started = browser.post(f"/visites/{visit.pk}/devis/", data={"csrfmiddlewaretoken": csrf})
    assert started.status_code in (302, 303), _messages(started)
    quote = Quote.objects.get(visit=visit)
    assert urlsplit(started.headers["location"]).path == f"/devis/{quote.pk}/"
    issued = browser.post(f"/devis/{quote.pk}/emettre/", data={"csrfmiddlewaretoken": csrf})
    assert issued.status_code in (302, 303), _messages(issued)
    made = browser.post(f"/devis/{quote.pk}/contrat/", data={"csrfmiddlewaretoken": csrf})
    assert made.status_code in (302, 303), _messages(made)
    contract = Contract.objects.get(quote=quote)

    # The quote's PDF, asked of both nodes: the same stored document.
    pdfs = [browser.get(f"/devis/{quote.pk}/pdf/") for _ in range(2)]
    assert [p.status_code for p in pdfs] == [200, 200]
    assert pdfs[0].content == pdfs[1].content
    assert (
        pdfs[0].headers["X-Content-SHA256"]
        == Document.objects.get(quote=quote, kind=DocumentKind.QUOTE).sha256
    )
    quote.refresh_from_db()
    assert quote.reference in _pdf_text(pdfs[0].content, tmp_path).replace("\n", " ")

    # The signature on the tablet: page from one node, signature to the other; a worker
    # (either) seals the documents into the bucket.
    page = browser.get(f"/signatures/contrats/{contract.pk}/tablette/")
    assert page.status_code == 200
    signed = browser.post(
        f"/signatures/contrats/{contract.pk}/tablette/",
        data={
            **signature_form(contract, signer_first_name="Rose", signer_last_name="Tablette"),
            "csrfmiddlewaretoken": _csrf(page.text),
        },
    )
    assert signed.status_code in (302, 303), _messages(signed)
    request = SignatureRequest.objects.get(contract=contract)
    assert request.status == SignatureStatus.SIGNED
    kinds = (DocumentKind.SIGNED_QUOTE, DocumentKind.SIGNED_CONTRACT, DocumentKind.EVIDENCE)
    wait_until(
        lambda: Document.objects.filter(quote=quote, kind__in=kinds).count() == len(kinds),
        90,
        "the workers to seal the signed documents",
    )
    for _ in range(2):
        sealed = browser.get(f"/signatures/contrats/{contract.pk}/documents/signed_contract/")
        assert sealed.status_code == 200
        path = tmp_path / "signed.pdf"
        path.write_bytes(sealed.content)
        report = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
        assert "Signature is Valid" in report, report

    # Nothing made twice.
    assert Quote.objects.filter(visit=visit).count() == 1
    assert SignatureRequest.objects.filter(contract=contract).count() == 1
    events = Counter(
        OutboxEvent.objects.filter(subject__contains=str(visit.uuid)).values_list("type", flat=True)
    )
    assert events and all(
        count == 1 for kind, count in events.items() if kind.startswith(("quote.", "contract."))
    ), events
