"""The company seal: a PAdES signature (pyHanko) that makes later changes detectable.

The certificate and key come from files named by the environment (``NOMAD_SEAL_CERT_FILE``,
``NOMAD_SEAL_KEY_FILE``, optional ``NOMAD_SEAL_KEY_PASSWORD``); ``make run`` and
``make test`` generate a self-signed development pair when none exists. With
``NOMAD_TSA_URL`` the seal carries an RFC 3161 timestamp (PAdES B-T), else it is B-B.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings


class SealError(Exception):
    pass


def seal_certificate_generate(
    *, cert_path: Path, key_path: Path, organisation: str = "NOMAD web"
) -> None:
    """A self-signed certificate and key for development and tests (never for production)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} — cachet de développement"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
        ]
    )
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
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)


def _signer():  # type: ignore[no-untyped-def]
    from pyhanko.sign import signers

    cert, key = Path(settings.NOMAD_SEAL_CERT_FILE), Path(settings.NOMAD_SEAL_KEY_FILE)
    if not cert.exists() or not key.exists():
        raise SealError(
            "No seal certificate: set NOMAD_SEAL_CERT_FILE and NOMAD_SEAL_KEY_FILE "
            "(or run `python manage.py generate_seal_certificate` in development)."
        )
    password = settings.NOMAD_SEAL_KEY_PASSWORD.encode() or None
    signer = signers.SimpleSigner.load(str(key), str(cert), key_passphrase=password)
    if signer is None:
        raise SealError("The seal certificate or key could not be read.")
    return signer


def seal_pdf(*, pdf: bytes, reason: str, location: str) -> bytes:
    """The PDF with the company's PAdES seal over the whole file."""
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
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    out = signers.sign_pdf(writer, metadata, signer=_signer(), timestamper=timestamper)
    return out.getvalue()


@dataclass(frozen=True)
class SealCheck:
    intact: bool
    valid: bool
    trusted: bool
    covers_whole_file: bool

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.covers_whole_file


def seal_validate(*, pdf: bytes, trust_cert_file: str | None = None) -> SealCheck:
    """Check the seal with pyHanko's validator, trusting our seal certificate."""
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    root = load_cert_from_pemder(trust_cert_file or settings.NOMAD_SEAL_CERT_FILE)
    reader = PdfFileReader(io.BytesIO(pdf))
    if not reader.embedded_signatures:
        return SealCheck(False, False, False, False)
    status = validate_pdf_signature(
        reader.embedded_signatures[-1], ValidationContext(trust_roots=[root])
    )
    return SealCheck(
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
    )
