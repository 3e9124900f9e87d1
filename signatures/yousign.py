"""A small client for the Yousign API v3, over httpx.

Only what the remote signature needs: create a signature request, upload its documents,
add the signer, activate, download the signed documents and the audit trail, cancel,
remind. Errors are typed so the caller can tell the advisor what happened:

- 401/403 → ``YousignAuthError`` (the API key is wrong: nothing to retry);
- 400/422 → ``YousignValidationError`` with the API's detail (our data is refused);
- other 4xx → ``YousignError``, never retried (a retry would get the same answer);
- 5xx, timeouts, connection errors → retried with exponential backoff, then
  ``YousignUnavailable``.

Retrying a POST after a timeout may repeat it at Yousign (e.g. a second draft request):
a draft that is never activated sends nothing to anybody and Yousign deletes it later.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx


class YousignError(Exception):
    """Yousign refused or could not answer; ``status`` is the HTTP status (0: no answer)."""

    def __init__(self, message: str, *, status: int = 0, detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


class YousignAuthError(YousignError):
    pass


class YousignValidationError(YousignError):
    def __init__(
        self,
        message: str,
        *,
        status: int,
        detail: str,
        invalid_params: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message, status=status, detail=detail)
        self.invalid_params = invalid_params or []


class YousignUnavailable(YousignError):
    pass


@dataclass(frozen=True)
class SignerInfo:
    first_name: str
    last_name: str
    email: str
    phone_number: str = ""
    locale: str = "fr"

    def as_json(self) -> dict[str, str]:
        info = {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
            "locale": self.locale,
        }
        if self.phone_number:
            info["phone_number"] = self.phone_number
        return info


@dataclass(frozen=True)
class SignatureField:
    """A signature field: page from 1, x and y in PDF points from the top-left corner."""

    document_id: str
    page: int
    x: int
    y: int
    width: int = 180
    height: int = 60

    def as_json(self) -> dict[str, Any]:
        return {
            "document_id": self.document_id,
            "type": "signature",
            "page": self.page,
            "x": self.x,
            "y": self.y,
            "width": self.width,
            "height": self.height,
        }


@dataclass
class YousignClient:
    base_url: str
    api_key: str
    timeout: float = 10.0
    max_retries: int = 3
    #: First delay between two attempts, doubled at each retry.
    backoff: float = 0.5
    sleep: Callable[[float], None] = time.sleep
    transport: httpx.BaseTransport | None = None
    _http: httpx.Client | None = field(default=None, init=False, repr=False)

    # -- the API ----------------------------------------------------------------------

    def create_signature_request(
        self,
        *,
        name: str,
        delivery_mode: str = "email",
        timezone: str = "Europe/Paris",
        external_id: str = "",
        expiration_date: str = "",
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": name,
            "delivery_mode": delivery_mode,
            "timezone": timezone,
        }
        if external_id:
            body["external_id"] = external_id
        if expiration_date:
            body["expiration_date"] = expiration_date
        return self._json("POST", "/signature_requests", json=body)

    def upload_document(
        self, *, request_id: str, pdf: bytes, filename: str, parse_anchors: bool = False
    ) -> dict[str, Any]:
        data = {"nature": "signable_document", "parse_anchors": str(parse_anchors).lower()}
        files = {"file": (filename, pdf, "application/pdf")}
        return self._json(
            "POST", f"/signature_requests/{request_id}/documents", data=data, files=files
        )

    def add_signer(
        self,
        *,
        request_id: str,
        info: SignerInfo,
        fields: list[SignatureField],
        signature_level: str = "electronic_signature",
        signature_authentication_mode: str = "otp_email",
    ) -> dict[str, Any]:
        body = {
            "info": info.as_json(),
            "signature_level": signature_level,
            "signature_authentication_mode": signature_authentication_mode,
            "fields": [f.as_json() for f in fields],
        }
        return self._json("POST", f"/signature_requests/{request_id}/signers", json=body)

    def activate(self, *, request_id: str) -> dict[str, Any]:
        return self._json("POST", f"/signature_requests/{request_id}/activate")

    def get(self, *, request_id: str) -> dict[str, Any]:
        return self._json("GET", f"/signature_requests/{request_id}")

    def download_documents(self, *, request_id: str) -> dict[str, bytes]:
        """The signed documents by file name (Yousign zips them when there are several)."""
        response = self._send("GET", f"/signature_requests/{request_id}/documents/download")
        content = response.content
        if content.startswith(b"PK"):
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                return {name: archive.read(name) for name in archive.namelist()}
        disposition = response.headers.get("content-disposition", "")
        name = disposition.partition("filename=")[2].strip('"; ') or "document.pdf"
        return {name: content}

    def download_audit_trail(self, *, request_id: str) -> bytes:
        return self._send("GET", f"/signature_requests/{request_id}/audit_trails/download").content

    def cancel(self, *, request_id: str, reason: str, custom_note: str = "") -> dict[str, Any]:
        body = {"reason": reason}
        if custom_note:
            body["custom_note"] = custom_note
        return self._json("POST", f"/signature_requests/{request_id}/cancel", json=body)

    def delete(self, *, request_id: str) -> None:
        """Delete a draft (a request that was never activated cannot be cancelled)."""
        self._send("DELETE", f"/signature_requests/{request_id}")

    def remind(self, *, request_id: str, signer_id: str) -> None:
        self._send("POST", f"/signature_requests/{request_id}/signers/{signer_id}/send_reminder")

    # -- transport --------------------------------------------------------------------

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def __enter__(self) -> YousignClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _client(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(
                base_url=self.base_url.rstrip("/"),
                headers={
                    "Authorization": f"Bearer {self.api_key}",
                    "Accept": "application/json, application/pdf, application/zip",
                },
                timeout=self.timeout,
                transport=self.transport,
            )
        return self._http

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self._send(method, path, **kwargs)
        if not response.content:
            return {}
        try:
            payload = response.json()
        except ValueError:
            raise YousignError(
                f"Yousign answered {method} {path} with something that is not JSON.",
                status=response.status_code,
            ) from None
        return payload if isinstance(payload, dict) else {"data": payload}

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = self._client().request(method, path, **kwargs)
            except httpx.TransportError as exc:  # timeouts and connection errors
                failure: YousignError = YousignUnavailable(
                    f"Yousign did not answer {method} {path}: {type(exc).__name__}."
                )
            else:
                if response.status_code < 400:
                    return response
                failure = _error(method, path, response)
                if not isinstance(failure, YousignUnavailable):
                    raise failure  # a 4xx: the same request would be refused again
            if attempt >= self.max_retries:
                raise failure
            self.sleep(self.backoff * 2**attempt)
            attempt += 1


def _error(method: str, path: str, response: httpx.Response) -> YousignError:
    status = response.status_code
    detail, invalid = "", []
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        detail = str(body.get("detail") or body.get("title") or body.get("message") or "")
        invalid = [p for p in body.get("invalid_params") or [] if isinstance(p, dict)]
    where = f"Yousign answered {status} to {method} {path}"
    if status >= 500:
        return YousignUnavailable(f"{where}.", status=status, detail=detail)
    if status in (401, 403):
        return YousignAuthError(f"{where}: check the API key.", status=status, detail=detail)
    if status in (400, 422):
        return YousignValidationError(
            f"{where}: {detail}", status=status, detail=detail, invalid_params=invalid
        )
    return YousignError(f"{where}: {detail}", status=status, detail=detail)
