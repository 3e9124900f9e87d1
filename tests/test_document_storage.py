"""Documents and uploads on an S3-compatible object store, the production storage of a
group running several web nodes (``DOCUMENTS_STORAGE=s3``).

The store is moto's S3 server, started here as its own process on a free port and spoken
to over HTTP with the S3 protocol, the way the nodes speak to the real one. The rest of the
suite runs on the local file system (the embedded default).
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.test import Client
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from nomad_web.file_storage import s3_storages
from organisation.models import Agency, User
from privacy.services import prospect_export
from quotes.documents import document_render, document_store
from quotes.models import Contract, Document, DocumentKind
from signatures.seal import seal_validate
from tests.test_signature_onsite import contract, form, tablet, url  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

KEY, SECRET, REGION = "test-access-key", "test-secret-key", "eu-west-3"


@pytest.fixture
def bucket(s3_endpoint: str, settings: Any) -> Iterator[Any]:
    """A fresh bucket, and both file storages on it, as production configures them."""
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=REGION,
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
    )
    name = f"nomad-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    settings.STORAGES = {
        **settings.STORAGES,
        **s3_storages(
            bucket=name,
            endpoint_url=s3_endpoint,
            region=REGION,
            access_key=KEY,
            secret_key=SECRET,
        ),
    }
    yield _Bucket(client, name)


class _Bucket:
    def __init__(self, client: Any, name: str) -> None:
        self.client, self.name = client, name

    def keys(self, prefix: str = "") -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.name, Prefix=prefix)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def read(self, key: str) -> bytes:
        return bytes(self.client.get_object(Bucket=self.name, Key=key)["Body"].read())


def _pdftotext(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 40), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def test_the_storages_are_the_object_store(bucket: _Bucket) -> None:
    assert type(storages["documents"]).__name__ == "S3Storage"
    assert Document._meta.get_field("file").storage.__class__.__name__ == "S3Storage"
    assert getattr(storages["documents"], "bucket_name", None) == bucket.name


def test_an_issued_quote_and_its_contract_are_stored_in_the_bucket_and_served(
    bucket: _Bucket,
    contract: Contract,  # noqa: F811
    advisor: User,
    tmp_path: Path,
) -> None:
    quote = contract.quote
    documents = [
        document_render(quote=quote, kind=DocumentKind.QUOTE),
        document_render(quote=quote, kind=DocumentKind.CONTRACT),
    ]
    keys = bucket.keys("documents/")
    assert keys == sorted(f"documents/{d.file.name}" for d in documents)
    for document in documents:
        stored = bucket.read(f"documents/{document.file.name}")
        assert hashlib.sha256(stored).hexdigest() == document.sha256
        assert len(stored) == document.size

    client = Client()
    client.force_login(advisor)
    response = client.get(reverse("quotes:quote_pdf", args=[quote.pk]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert hashlib.sha256(body).hexdigest() == documents[0].sha256
    assert response["X-Content-SHA256"] == documents[0].sha256
    assert quote.reference in _pdftotext(body, tmp_path).replace("\n", " ")
    # Rendered once: asking again serves the stored object, nothing new is written.
    client.get(reverse("quotes:contract_pdf", args=[quote.pk]))
    assert bucket.keys("documents/") == keys


def test_a_signature_on_the_tablet_seals_into_the_bucket(
    bucket: _Bucket,
    tablet: Client,  # noqa: F811
    contract: Contract,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
    tmp_path: Path,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = tablet.post(url(contract), form(contract))
    assert response.status_code == 302
    documents = {d.kind: d for d in Document.objects.filter(quote=contract.quote)}
    for kind in (DocumentKind.SIGNED_QUOTE, DocumentKind.SIGNED_CONTRACT, DocumentKind.EVIDENCE):
        pdf = bucket.read(f"documents/{documents[kind].file.name}")
        assert seal_validate(pdf=pdf, brand=contract.quote.brand).ok, kind
    signed = bucket.read(f"documents/{documents[DocumentKind.SIGNED_CONTRACT].file.name}")
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    if shutil.which("pdfsig"):
        report = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
        assert "Signature is Valid" in report and "Total document signed" in report
    # The evidence file (JSON) is read back from the bucket by the views.
    response = tablet.get(
        reverse("signatures:signed_document", args=[contract.pk, DocumentKind.EVIDENCE_JSON])
    )
    assert response.status_code == 200
    assert b"canonical_sha256" in b"".join(response.streaming_content)  # type: ignore[attr-defined]


def test_the_brand_logo_is_uploaded_to_the_bucket_and_reaches_pages_and_pdfs(
    bucket: _Bucket,
    contract: Contract,  # noqa: F811
    advisor: User,
    tmp_path: Path,
) -> None:
    brand = contract.quote.brand
    logo = _png()
    brand.logo.save("logo.png", ContentFile(logo))
    assert bucket.keys("media/") == [f"media/{brand.logo.name}"]

    client = Client()
    client.force_login(advisor)
    page = client.get(reverse("visits:agenda")).content.decode()
    logo_url = reverse("organisation:brand_logo", args=[brand.slug])
    assert f'src="{logo_url}?v=' in page  # same origin: the CSP needs no storage host
    response = client.get(logo_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == logo  # type: ignore[attr-defined]

    pdf = document_render(quote=contract.quote, kind=DocumentKind.QUOTE).file.open("rb").read()
    path = tmp_path / "quote.pdf"
    path.write_bytes(pdf)
    images = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert len(images) == 1 and images[0].split()[3:5] == ["120", "40"]


def test_a_prospect_export_reads_its_documents_from_the_bucket(
    bucket: _Bucket,
    contract: Contract,  # noqa: F811
    staff: User,
) -> None:
    quote_pdf = document_render(quote=contract.quote, kind=DocumentKind.QUOTE)
    archive = prospect_export(prospect=contract.quote.visit.prospect, user=staff)
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        content = opened.read(f"documents/{quote_pdf.filename}")
    assert hashlib.sha256(content).hexdigest() == quote_pdf.sha256
    assert len(PdfReader(io.BytesIO(content)).pages) == quote_pdf.pages

    # An object lost from the bucket is said in the export, which still comes out.
    bucket.client.delete_object(Bucket=bucket.name, Key=f"documents/{quote_pdf.file.name}")
    archive = prospect_export(prospect=contract.quote.visit.prospect, user=staff)
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        data = json.loads(opened.read("data.json"))
    assert {"kind": "quote", "sha256": quote_pdf.sha256, "missing": True} in data["documents"]


def test_a_brand_without_a_logo_never_serves_another_by_name(
    bucket: _Bucket, agency: Agency, other_agency: Agency
) -> None:
    other_agency.brand.logo.save("theirs.png", ContentFile(_png()))
    # The logo view serves a brand's own logo only, chosen by the brand, never by a path.
    response = Client().get(
        reverse("organisation:brand_logo", args=[agency.brand.slug]), {"v": "../theirs.png"}
    )
    assert response.status_code == 404


def test_two_nodes_storing_the_same_document_at_once_keep_the_first_object(
    bucket: _Bucket,
    contract: Contract,  # noqa: F811
    monkeypatch: Any,
) -> None:
    """Two nodes render the same quote at once: same bytes, and both saw no row and no
    object yet. The one whose row loses must not delete the winner's object."""
    first = document_render(quote=contract.quote, kind=DocumentKind.QUOTE)
    with first.file.open("rb") as handle:
        content = handle.read()
    storage = storages["documents"]
    # The race window: the second node found neither the row nor a file of that name.
    monkeypatch.setattr(storage, "exists", lambda name: False)
    real_filter = Document.objects.filter

    def no_row_yet(*args: Any, **kwargs: Any) -> Any:
        return real_filter(*args, **kwargs).none()

    monkeypatch.setattr(Document.objects, "filter", no_row_yet)
    second = document_store(
        quote=contract.quote, kind=DocumentKind.QUOTE, content=content, pages=first.pages
    )
    monkeypatch.undo()
    assert second.pk == first.pk
    assert bucket.keys("documents/") == [f"documents/{first.file.name}"]
    assert hashlib.sha256(bucket.read(f"documents/{first.file.name}")).hexdigest() == first.sha256
