"""Each brand's seal on real PDFs: its own certificate, PDF/A-3b and tags kept after the
seal, poppler and pyHanko agree it is valid, and PAdES B-T against a local RFC 3161 TSA."""

from __future__ import annotations

import datetime
import io
import re
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import keys, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.core.management import call_command
from django.core.management.base import CommandError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps import DummyTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from nomad_web.demo import BRANDS
from quotes.documents import document_pdf
from signatures.seal import SealError, seal_files, seal_pdf, seal_validate
from tests.factories import BrandFactory

pytestmark = pytest.mark.django_db

HTML = (
    "<!doctype html><html lang='fr'><head><meta charset='utf-8'><title>Contrat</title></head>"
    "<body><h1>Contrat de prestation</h1><p>Ménage, 3 h par semaine.</p></body></html>"
)


@pytest.fixture
def seal_dir(settings: Any, tmp_path: Path) -> Path:
    settings.NOMAD_SEAL_DIR = tmp_path / "seal"
    return settings.NOMAD_SEAL_DIR


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return document_pdf(html=HTML)[0]


def seal(pdf: bytes, brand: Any) -> bytes:
    return seal_pdf(pdf=pdf, brand=brand, reason="Cachet de test", location="Nantes")


def signer_subject(pdf: bytes) -> dict[str, str]:
    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[-1]
    return dict(signature.signer_cert.subject.native)


def poppler(tool: str, *args: str, pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    return subprocess.run([tool, *args, str(path)], capture_output=True, text=True).stdout


# --- One certificate per legal entity ---


def test_each_brand_seals_with_its_own_certificate_naming_its_legal_entity(
    seal_dir: Path, pdf: bytes
) -> None:
    alpha = BrandFactory(legal_name="Alpha Services SAS", siren="812345678")
    beta = BrandFactory(legal_name="Beta Jardins SARL", siren="823456789")

    sealed_alpha, sealed_beta = seal(pdf, alpha), seal(pdf, beta)

    alpha_subject, beta_subject = signer_subject(sealed_alpha), signer_subject(sealed_beta)
    assert alpha_subject["organization_name"] == "Alpha Services SAS"
    assert alpha_subject["common_name"] == "Cachet électronique de Alpha Services SAS"
    assert alpha_subject["organization_identifier"] == "NTRFR-812345678"
    assert beta_subject["organization_name"] == "Beta Jardins SARL"
    assert beta_subject["common_name"] == "Cachet électronique de Beta Jardins SARL"
    assert seal_files(alpha).cert.read_bytes() != seal_files(beta).cert.read_bytes()
    # Each seal is trusted as its own brand's, not as the other's.
    assert seal_validate(pdf=sealed_alpha, brand=alpha).ok
    assert seal_validate(pdf=sealed_beta, brand=beta).ok
    assert not seal_validate(pdf=sealed_alpha, brand=beta).trusted
    assert seal_validate(pdf=sealed_beta).ok  # any of our brands


def test_the_seal_name_chooses_the_files_and_a_blank_one_means_the_slug(
    seal_dir: Path, pdf: bytes
) -> None:
    named = BrandFactory(seal_name="groupe-alpha")
    plain = BrandFactory()
    seal(pdf, named)
    seal(pdf, plain)
    assert sorted(p.name for p in seal_dir.iterdir() if not p.name.startswith(".")) == sorted(
        ["groupe-alpha.pem", "groupe-alpha.key", f"{plain.slug}.pem", f"{plain.slug}.key"]
    )
    assert (seal_dir / "groupe-alpha.key").stat().st_mode & 0o077 == 0


def test_in_production_a_missing_certificate_is_an_error_never_another_brands(
    settings: Any, seal_dir: Path, pdf: bytes
) -> None:
    sealed_one = BrandFactory(legal_name="Déjà Scellée SAS")
    seal(pdf, sealed_one)
    settings.PRODUCTION, settings.NOMAD_SEAL_GENERATE = True, False
    missing = BrandFactory(legal_name="Sans Cachet SAS")
    with pytest.raises(SealError, match="Sans Cachet SAS"):
        seal(pdf, missing)
    assert not seal_files(missing).cert.exists()
    # Another entity's files under its name are refused too.
    for kind in ("cert", "key"):
        getattr(seal_files(missing), kind).write_bytes(
            getattr(seal_files(sealed_one), kind).read_bytes()
        )
    with pytest.raises(SealError, match="'Déjà Scellée SAS''s, not 'Sans Cachet SAS''s"):
        seal(pdf, missing)
    assert seal_validate(pdf=seal(pdf, sealed_one), brand=sealed_one).ok
    with pytest.raises(CommandError):
        call_command("generate_seal_certificate")


def test_in_development_a_new_legal_name_gets_a_new_certificate(seal_dir: Path, pdf: bytes) -> None:
    brand = BrandFactory(legal_name="Ancien Nom SAS")
    seal(pdf, brand)
    brand.legal_name = "Nouveau Nom SAS"
    brand.save()
    assert signer_subject(seal(pdf, brand))["organization_name"] == "Nouveau Nom SAS"


def test_an_encrypted_key_opens_with_its_own_password_from_the_environment(
    settings: Any, seal_dir: Path, pdf: bytes
) -> None:
    brand = BrandFactory(seal_name="acme-seal")
    seal(pdf, brand)  # the development pair, then its key encrypted
    key_file = seal_files(brand).key
    key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"s3cret"),
        )
    )
    settings.NOMAD_SEAL_KEY_PASSWORD = "the-directory-password"
    settings.NOMAD_SEAL_KEY_PASSWORDS = {"ACME_SEAL": "s3cret"}
    assert seal_validate(pdf=seal(pdf, brand), brand=brand).ok
    settings.NOMAD_SEAL_KEY_PASSWORDS = {}
    with pytest.raises(SealError, match="could not be read"):
        seal(pdf, brand)


def test_a_key_that_is_not_the_certificates_or_an_expired_certificate_is_refused(
    seal_dir: Path, pdf: bytes
) -> None:
    one, other = BrandFactory(), BrandFactory()
    seal(pdf, one)
    seal(pdf, other)
    seal_files(one).key.write_bytes(seal_files(other).key.read_bytes())
    with pytest.raises(SealError, match="not the certificate's"):
        seal(pdf, one)

    key = serialization.load_pem_private_key(seal_files(other).key.read_bytes(), password=None)
    old = x509.load_pem_x509_certificate(seal_files(other).cert.read_bytes())
    expired = (
        x509.CertificateBuilder()
        .subject_name(old.subject)
        .issuer_name(old.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
        .not_valid_after(datetime.datetime(2021, 1, 1, tzinfo=datetime.UTC))
        .sign(key, hashes.SHA256())
    )
    seal_files(other).cert.write_bytes(expired.public_bytes(serialization.Encoding.PEM))
    with pytest.raises(SealError, match="not valid today"):
        seal(pdf, other)
    with pytest.raises(CommandError, match="not valid today"):
        call_command("generate_seal_certificate", "--check")


def test_the_command_makes_a_pair_per_brand_and_per_demo_brand(seal_dir: Path) -> None:
    brand = BrandFactory(legal_name="Gamma Services SAS")
    call_command("generate_seal_certificate", stdout=io.StringIO())
    for name in [brand.slug, *(b["slug"] for b in BRANDS)]:
        assert (seal_dir / f"{name}.pem").exists() and (seal_dir / f"{name}.key").exists()
    before = (seal_dir / f"{brand.slug}.pem").read_bytes()
    call_command("generate_seal_certificate", stdout=io.StringIO())
    assert (seal_dir / f"{brand.slug}.pem").read_bytes() == before
    out = io.StringIO()
    call_command("generate_seal_certificate", "--check", stdout=out)
    assert "can be used" in out.getvalue()
    (seal_dir / f"{brand.slug}.key").unlink()
    with pytest.raises(CommandError, match="Gamma Services SAS"):
        call_command("generate_seal_certificate", "--check")
    assert not (seal_dir / f"{brand.slug}.key").exists()
    demo = x509.load_pem_x509_certificate((seal_dir / "vert-logis.pem").read_bytes())
    assert demo.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == (
        "Vert Logis SARL"
    )


# --- PDF/A, tags, and what poppler says ---


def xmp_producer(meta: str) -> str:
    found = re.search(r'pdf:Producer="([^"]*)"|<pdf:Producer>([^<]*)<', meta)
    assert found, meta
    return found.group(1) or found.group(2)


def test_documents_are_tagged_pdf_a_3b_and_stay_so_once_sealed(
    seal_dir: Path, pdf: bytes, tmp_path: Path
) -> None:
    unsigned_info = poppler("pdfinfo", pdf=pdf, tmp_path=tmp_path)
    assert re.search(r"^Tagged:\s+yes$", unsigned_info, re.M), unsigned_info
    sealed = seal(pdf, BrandFactory(legal_name="Delta Services SAS"))

    info = poppler("pdfinfo", pdf=sealed, tmp_path=tmp_path)
    meta = poppler("pdfinfo", "-meta", pdf=sealed, tmp_path=tmp_path)
    report = poppler("pdfsig", pdf=sealed, tmp_path=tmp_path)
    assert re.search(r"^Tagged:\s+yes$", info, re.M), info
    assert re.search(r"^Metadata Stream:\s+yes$", info, re.M), info
    assert re.search(r'pdfaid:part="3"|<pdfaid:part>3<', meta), meta
    assert re.search(r'pdfaid:conformance="B"|<pdfaid:conformance>B<', meta), meta
    # PDF/A: the document information says what the XMP metadata says.
    producer = re.search(r"^Producer:\s+(.*)$", info, re.M)
    assert producer and producer.group(1) == xmp_producer(meta), (info, meta)
    assert "Signature is Valid." in report, report
    assert "Total document signed" in report, report
    assert "O=Delta Services SAS" in report, report
    # The seal's widget is invisible but printable (PDF/A forbids hidden annotations).
    field = PdfFileReader(io.BytesIO(sealed)).root["/AcroForm"]["/Fields"][0].get_object()
    assert field["/F"] & 4 and not field["/F"] & 2


# --- PAdES B-T: a local timestamping authority ---


def tsa_certificate() -> tuple[asn1_x509.Certificate, keys.PrivateKeyInfo]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Horodatage de test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(key, hashes.SHA256())
    )
    der_key = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return (
        asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER)),
        keys.PrivateKeyInfo.load(der_key),
    )


@pytest.fixture
def tsa() -> Iterator[tuple[str, asn1_x509.Certificate, list[int]]]:
    """An RFC 3161 server over HTTP on loopback, answering with pyHanko's DummyTimeStamper."""
    cert, key = tsa_certificate()
    stamper = DummyTimeStamper(tsa_cert=cert, tsa_key=key)
    answered: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            assert self.headers["Content-Type"] == "application/timestamp-query"
            reply = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            answered.append(len(reply))
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/", cert, answered
    server.shutdown()
    server.server_close()


def test_with_a_timestamping_authority_the_seal_is_pades_b_t(
    settings: Any, seal_dir: Path, pdf: bytes, tsa: Any, tmp_path: Path
) -> None:
    url, tsa_cert, answered = tsa
    settings.NOMAD_TSA_URL = url
    brand = BrandFactory(legal_name="Epsilon Services SAS")
    sealed = seal(pdf, brand)
    assert answered  # pyHanko also asks once beforehand, to size the signature

    signature = PdfFileReader(io.BytesIO(sealed)).embedded_signatures[-1]
    roots = [asn1_x509.Certificate.load(signature.signer_cert.dump()), tsa_cert]
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=roots))
    assert status.bottom_line, status.pretty_print_details()
    timestamp = status.timestamp_validity
    assert timestamp is not None and timestamp.intact and timestamp.valid and timestamp.trusted
    assert dict(timestamp.signing_cert.subject.native)["common_name"] == "Horodatage de test"
    assert seal_validate(pdf=sealed, brand=brand).ok
    assert "Signature is Valid." in poppler("pdfsig", pdf=sealed, tmp_path=tmp_path)


def test_an_unreachable_timestamping_authority_fails_the_seal_instead_of_dropping_it(
    settings: Any, seal_dir: Path, pdf: bytes
) -> None:
    closed = HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    settings.NOMAD_TSA_URL = f"http://127.0.0.1:{closed.server_port}/"
    closed.server_close()
    with pytest.raises(Exception, match=r"(?i)timestamp|connect"):
        seal(pdf, BrandFactory())
