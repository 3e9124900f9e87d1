"""Each brand's seal: a PAdES signature (pyHanko) by its legal entity, which makes later
changes detectable.

Every legal entity (``organisation.Brand``) has its own certificate and key, in the seal
directory (``NOMAD_SEAL_DIR``) as ``NAME.pem`` and ``NAME.key``, NAME being
``Brand.seal_name`` or, when blank, the brand's slug. An encrypted key's password comes
from the environment: ``NOMAD_SEAL_KEY_PASSWORD_<NAME>`` (NAME upper-cased, ``-`` as
``_``), else ``NOMAD_SEAL_KEY_PASSWORD``. Outside production a missing pair is generated
(self-signed, the legal entity as subject); in production a missing or expired
certificate is an error, never another entity's seal.

With ``NOMAD_TSA_URL`` the seal carries an RFC 3161 timestamp (PAdES B-T), else it is B-B.
"""

from __future__ import annotations

import asyncio
import datetime
import fcntl
import io
import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings

if TYPE_CHECKING:
    from organisation.models import Brand

T = TypeVar("T")
SEAL_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
# X.509's upper bound for a common name (RFC 5280, ub-common-name).
COMMON_NAME_MAX = 64


class SealError(Exception):
    pass


def _outside_event_loop(work: Callable[[], T]) -> T:
    """pyHanko runs its own asyncio loop: from a thread that already has one (Playwright's,
    an ASGI server's), run the work in a fresh thread instead."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


# --- Where a brand's seal is ---


@dataclass(frozen=True)
class SealFiles:
    name: str
    cert: Path
    key: Path

    @property
    def present(self) -> bool:
        return self.cert.exists() and self.key.exists()


def seal_name(brand: Brand) -> str:
    name = brand.seal_name or brand.slug
    if not SEAL_NAME.match(name or ""):
        raise SealError(f"Brand {brand.pk}: {name!r} is not a valid seal name.")
    return name


def seal_files(brand: Brand) -> SealFiles:
    name = seal_name(brand)
    directory = Path(settings.NOMAD_SEAL_DIR)
    return SealFiles(name=name, cert=directory / f"{name}.pem", key=directory / f"{name}.key")


def seal_key_password(name: str) -> bytes | None:
    """The key's own password, else the directory's, else none (from the environment)."""
    own = settings.NOMAD_SEAL_KEY_PASSWORDS.get(name.upper().replace("-", "_"), "")
    password = own or settings.NOMAD_SEAL_KEY_PASSWORD
    return password.encode() if password else None


# --- Development certificates ---


def _subject(*, legal_name: str, siren: str = "") -> Any:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, legal_name),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Cachet de développement"),
        x509.NameAttribute(
            NameOID.COMMON_NAME, f"Cachet électronique de {legal_name}"[:COMMON_NAME_MAX]
        ),
    ]
    if siren:
        # ETSI EN 319 412-1: the legal person's national trade register number.
        attributes.insert(2, x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, f"NTRFR-{siren}"))
    return x509.Name(attributes)


def _write_whole(path: Path, content: bytes, mode: int = 0o644) -> None:
    """Written whole then moved, so a reader never sees half a file."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.unlink(missing_ok=True)
    # Created with its final mode: a key is never readable by others, even for a moment.
    with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), "wb") as file:
        file.write(content)
    os.replace(temporary, path)


def seal_certificate_generate(
    *, cert_path: Path, key_path: Path, legal_name: str, siren: str = ""
) -> None:
    """A self-signed certificate and key naming the legal entity, for development and
    tests (never for production)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = _subject(legal_name=legal_name, siren=siren)
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.parent.mkdir(parents=True, exist_ok=True)
    pkcs8 = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write_whole(key_path, pkcs8, 0o600)
    _write_whole(cert_path, certificate.public_bytes(serialization.Encoding.PEM))


@contextmanager
def _locked(directory: Path, name: str) -> Iterator[None]:
    """One process at a time makes a pair, so a certificate never meets another's key."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def certificate_organisation(cert_file: Path) -> str:
    """The O of a PEM certificate's subject: the legal entity it is the seal of."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    names = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return str(names[0].value) if names else ""


def same_entity(one: str, other: str) -> bool:
    return " ".join(one.split()).casefold() == " ".join(other.split()).casefold()


def seal_development_pair(brand: Brand) -> bool:
    """Generate the brand's self-signed pair unless it exists for its current legal name;
    True when generated."""
    if settings.PRODUCTION:
        raise SealError("Development seal certificates are never made in production.")
    files = seal_files(brand)
    with _locked(files.cert.parent, files.name):
        if files.present and same_entity(certificate_organisation(files.cert), brand.legal_name):
            return False
        seal_certificate_generate(
            cert_path=files.cert, key_path=files.key, legal_name=brand.legal_name, siren=brand.siren
        )
    return True


# --- Sealing ---


def _check_pair(files: SealFiles, legal_name: str) -> None:
    """The certificate is the legal entity's and valid today, and the key opens and is
    the certificate's: a seal in another's name, or that no one could verify, is refused
    before it is made."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
        key = serialization.load_pem_private_key(
            files.key.read_bytes(), password=seal_key_password(files.name)
        )
    except (ValueError, TypeError) as error:
        raise SealError(f"The seal certificate or key {files.name} could not be read.") from error
    organisation = certificate_organisation(files.cert)
    if not same_entity(organisation, legal_name):
        raise SealError(
            f"The seal certificate {files.name}.pem is {organisation!r}'s, not {legal_name!r}'s."
        )
    public = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if cert.public_key().public_bytes(*public) != key.public_key().public_bytes(*public):
        raise SealError(f"The seal key {files.name}.key is not the certificate's.")
    now = datetime.datetime.now(datetime.UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise SealError(f"The seal certificate {files.name}.pem is not valid today.")


def seal_signer(brand: Brand, *, generate: bool | None = None) -> Any:
    """The brand's pyHanko signer; its development pair is made first if missing and
    ``generate`` (by default: outside production)."""
    from pyhanko.sign import signers

    files = seal_files(brand)
    if generate is None:
        generate = settings.NOMAD_SEAL_GENERATE
    if generate:
        seal_development_pair(brand)
    if not files.present:
        raise SealError(
            f"No seal certificate for {brand.legal_name}: {files.cert} and {files.key} "
            "are needed in NOMAD_SEAL_DIR (`python manage.py generate_seal_certificate` "
            "makes a development pair outside production)."
        )
    _check_pair(files, brand.legal_name)
    signer = signers.SimpleSigner.load(
        str(files.key), str(files.cert), key_passphrase=seal_key_password(files.name)
    )
    if signer is None:
        raise SealError(f"The seal certificate or key {files.name} could not be read.")
    return signer


def _consistent_producer(writer: Any) -> None:
    """pyHanko writes its own name as the XMP producer, and adds it to the document
    information's: PDF/A wants both the same, so the latter says only pyHanko's too."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.metadata.model import VENDOR

    try:
        info = generic.DictionaryObject(dict(writer.trailer["/Info"].items()))
    except KeyError:
        return
    info["/Producer"] = generic.TextStringObject(VENDOR)
    writer.set_info(info)


def seal_pdf(*, pdf: bytes, brand: Brand, reason: str, location: str) -> bytes:
    """The PDF with the brand's PAdES seal over the whole file (an incremental update, so
    a PDF/A document stays one)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers, timestamps
    from pyhanko.sign.fields import SigSeedSubFilter
    from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata

    timestamper = None
    if settings.NOMAD_TSA_URL:
        timestamper = timestamps.HTTPTimeStamper(settings.NOMAD_TSA_URL)
    metadata = PdfSignatureMetadata(
        field_name="CachetEntreprise",
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location,
        name=brand.legal_name,
    )
    signer = seal_signer(brand)

    def sign() -> bytes:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        _consistent_producer(writer)
        return signers.sign_pdf(writer, metadata, signer=signer, timestamper=timestamper).getvalue()

    return _outside_event_loop(sign)


# --- Checking ---


@dataclass(frozen=True)
class SealCheck:
    intact: bool
    valid: bool
    trusted: bool
    covers_whole_file: bool

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.covers_whole_file


def _trusted_certificates(brand: Brand | None, trust_cert_file: str | None) -> list[Any]:
    from pyhanko.keys import load_cert_from_pemder

    from organisation.models import Brand

    if trust_cert_file:
        paths = [Path(trust_cert_file)]
    else:
        brands = [brand] if brand is not None else list(Brand.objects.all())
        paths = [seal_files(b).cert for b in brands]
    return [load_cert_from_pemder(str(path)) for path in paths if path.exists()]


def seal_validate(
    *, pdf: bytes, brand: Brand | None = None, trust_cert_file: str | None = None
) -> SealCheck:
    """Check the last seal with pyHanko's validator, trusting the brand's seal certificate
    (without a brand: any of our brands' certificates)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    roots = _trusted_certificates(brand, trust_cert_file)
    reader = PdfFileReader(io.BytesIO(pdf))
    if not reader.embedded_signatures or not roots:
        return SealCheck(False, False, False, False)
    status = _outside_event_loop(
        lambda: validate_pdf_signature(
            reader.embedded_signatures[-1], ValidationContext(trust_roots=roots)
        )
    )
    return SealCheck(
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
    )
