"""A local stand-in for the Yousign API v3, started by the tests on 127.0.0.1.

It follows the documented contract for what NOMAD uses: bearer token (401), request
validation (422 with ``detail`` and ``invalid_params``), the life of a signature request
(draft → ongoing on activation → done once signed, or canceled), documents downloaded
as a PDF (one document) or a zip (several), an audit trail as a PDF. Failures can be
injected: ``fail(times, status)`` answers an error the next ``times`` calls, ``slow(...)``
answers after a delay. ``webhook(...)`` builds a signed webhook delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
import threading
import time
import uuid
import zipfile
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SIGNED_MARKER = b"\n% Signed by the test Yousign server\n"
LEVELS = {"electronic_signature", "advanced_electronic_signature", "qualified_electronic_signature"}
AUTH_MODES = {"otp_email", "otp_sms", "no_otp"}
CANCEL_REASONS = {"contractualization_aborted", "errors_in_document", "other"}


def tiny_pdf(text: str) -> bytes:
    """A valid one-page PDF showing ``text`` (ASCII), with a correct cross-reference table."""
    stream = f"BT /F1 12 Tf 50 780 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


class _Answer(Exception):
    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None):
        self.status, self.body, self.headers = status, body, headers or {}


def _invalid(detail: str, *params: tuple[str, str]) -> _Answer:
    return _Answer(
        422,
        {
            "type": "validation_error",
            "detail": detail,
            "invalid_params": [{"name": n, "reason": r} for n, r in params],
        },
    )


class FakeYousign:
    def __init__(self, api_key: str = "test-api-key") -> None:
        self.api_key = api_key
        self.requests: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, str]] = []
        self.reminders: list[tuple[str, str]] = []
        self._failures: list[int] = []
        self._delay, self._slow_times = 0.0, 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- control ------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v3"

    def start(self) -> FakeYousign:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail(self, times: int, status: int = 503) -> None:
        """Answer ``status`` to the next ``times`` calls, whatever they are."""
        with self._lock:
            self._failures.extend([status] * times)

    def slow(self, seconds: float, times: int = 1) -> None:
        with self._lock:
            self._delay, self._slow_times = seconds, times

    def sign(self, request_id: str) -> None:
        """The client signs: the request is done (Yousign would then send webhooks)."""
        with self._lock:
            request = self.requests[request_id]
            assert request["status"] == "ongoing", request["status"]
            request["status"] = "done"

    def webhook(
        self,
        event_name: str,
        request_id: str,
        *,
        secret: str,
        event_id: str = "",
        data: dict[str, Any] | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers of a webhook delivery, signed as Yousign signs them."""
        request = self.requests.get(request_id, {"status": "ongoing", "signers": []})
        payload = {
            "event_id": event_id or str(uuid.uuid4()),
            "event_name": event_name,
            "event_time": str(int(time.time())),
            "subscription_id": "sub-test",
            "subscription_description": "NOMAD tests",
            "sandbox": True,
            "data": data
            or {
                "signature_request": {
                    "id": request_id,
                    "status": request["status"],
                    "signers": [{"id": s["id"]} for s in request["signers"]],
                }
            },
        }
        body = json.dumps(payload).encode()
        digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return body, {"X-Yousign-Signature-256": f"sha256={digest}"}

    # -- HTTP ---------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return None

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                try:
                    fake._before(self.command, self.path, self.headers.get("Authorization"))
                    status, answer, headers = fake._route(
                        self.command, self.path, body, self.headers.get("Content-Type", "")
                    )
                except _Answer as exc:
                    status, answer, headers = exc.status, exc.body, exc.headers
                if isinstance(answer, bytes):
                    content = answer
                elif answer is None:
                    content = b""
                else:
                    content = json.dumps(answer).encode()
                    headers = {"Content-Type": "application/json", **headers}
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_DELETE = _handle

        return Handler

    def _before(self, method: str, path: str, authorization: str | None) -> None:
        with self._lock:
            self.calls.append((method, path))
            delay = 0.0
            if self._slow_times:
                self._slow_times -= 1
                delay = self._delay
            failure = self._failures.pop(0) if self._failures else 0
        if delay:
            time.sleep(delay)
        if failure:
            raise _Answer(failure, {"detail": "Injected failure"})
        if authorization != f"Bearer {self.api_key}":
            raise _Answer(401, {"detail": "Unauthorized: invalid API key"})

    def _route(
        self, method: str, path: str, body: bytes, content_type: str
    ) -> tuple[int, Any, dict[str, str]]:
        path = path.split("?")[0].removeprefix("/v3")
        routes = [
            ("POST", r"/signature_requests", self._create),
            ("GET", r"/signature_requests/(?P<rid>[\w-]+)", self._get),
            ("DELETE", r"/signature_requests/(?P<rid>[\w-]+)", self._delete),
            ("POST", r"/signature_requests/(?P<rid>[\w-]+)/documents", self._upload),
            ("POST", r"/signature_requests/(?P<rid>[\w-]+)/signers", self._add_signer),
            ("POST", r"/signature_requests/(?P<rid>[\w-]+)/activate", self._activate),
            ("POST", r"/signature_requests/(?P<rid>[\w-]+)/cancel", self._cancel),
            ("GET", r"/signature_requests/(?P<rid>[\w-]+)/documents/download", self._download),
            (
                "GET",
                r"/signature_requests/(?P<rid>[\w-]+)/documents/(?P<did>[\w-]+)/download",
                self._download_one,
            ),
            ("GET", r"/signature_requests/(?P<rid>[\w-]+)/audit_trails/download", self._audit),
            (
                "POST",
                r"/signature_requests/(?P<rid>[\w-]+)/signers/(?P<sid>[\w-]+)/send_reminder",
                self._remind,
            ),
        ]
        for verb, pattern, action in routes:
            match = re.fullmatch(pattern, path)
            if verb == method and match:
                with self._lock:
                    kwargs = match.groupdict()
                    if "rid" in kwargs:
                        kwargs["request"] = self._request(kwargs.pop("rid"))
                    return action(body=body, content_type=content_type, **kwargs)
        raise _Answer(404, {"detail": f"No route {method} {path}"})

    def _request(self, request_id: str) -> dict[str, Any]:
        if request_id not in self.requests:
            raise _Answer(404, {"detail": "Signature request not found"})
        return self.requests[request_id]

    @staticmethod
    def _json(body: bytes) -> dict[str, Any]:
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            raise _Answer(400, {"detail": "Body is not JSON"}) from None
        if not isinstance(data, dict):
            raise _Answer(400, {"detail": "Body must be an object"})
        return data

    @staticmethod
    def _public(request: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": request["id"],
            "status": request["status"],
            "name": request["name"],
            "delivery_mode": request["delivery_mode"],
            "documents": [
                {"id": d["id"], "filename": d["filename"], "nature": d["nature"]}
                for d in request["documents"]
            ],
            "signers": [
                {"id": s["id"], "status": s["status"], "signature_link": s["signature_link"]}
                for s in request["signers"]
            ],
        }

    def _create(self, *, body: bytes, **_: Any) -> tuple[int, Any, dict[str, str]]:
        data = self._json(body)
        if not data.get("name"):
            raise _invalid("name: This value should not be blank.", ("name", "required"))
        if data.get("delivery_mode") not in ("email", "none"):
            raise _invalid("delivery_mode: invalid choice.", ("delivery_mode", "choice"))
        request_id = str(uuid.uuid4())
        self.requests[request_id] = {
            "id": request_id,
            "status": "draft",
            "name": data["name"],
            "delivery_mode": data["delivery_mode"],
            "expiration_date": data.get("expiration_date"),
            "external_id": data.get("external_id"),
            "documents": [],
            "signers": [],
        }
        return 201, self._public(self.requests[request_id]), {}

    def _get(self, *, request: dict[str, Any], **_: Any) -> tuple[int, Any, dict[str, str]]:
        return 200, self._public(request), {}

    def _delete(self, *, request: dict[str, Any], **_: Any) -> tuple[int, Any, dict[str, str]]:
        if request["status"] != "draft":
            raise _Answer(400, {"detail": "Only a draft can be deleted."})
        request["status"] = "deleted"
        return 204, None, {}

    def _upload(
        self, *, request: dict[str, Any], body: bytes, content_type: str, **_: Any
    ) -> tuple[int, Any, dict[str, str]]:
        if request["status"] != "draft":
            raise _Answer(400, {"detail": "Documents can only be added to a draft."})
        if not content_type.startswith("multipart/form-data"):
            raise _Answer(415, {"detail": "multipart/form-data expected"})
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        fields: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            fields[str(name)] = (part.get_filename(), part.get_payload(decode=True))
        if "file" not in fields:
            raise _invalid("file: This value should not be blank.", ("file", "required"))
        nature = (fields.get("nature") or (None, b""))[1].decode()
        if nature not in ("signable_document", "attachment"):
            raise _invalid("nature: invalid choice.", ("nature", "choice"))
        filename, content = fields["file"]
        if not content.startswith(b"%PDF"):
            raise _invalid("file: not a PDF.", ("file", "pdf"))
        document = {
            "id": str(uuid.uuid4()),
            "filename": filename,
            "nature": nature,
            "content": content,
        }
        request["documents"].append(document)
        return 201, {"id": document["id"], "filename": filename, "nature": nature}, {}

    def _add_signer(
        self, *, request: dict[str, Any], body: bytes, **_: Any
    ) -> tuple[int, Any, dict[str, str]]:
        if request["status"] != "draft":
            raise _Answer(400, {"detail": "Signers can only be added to a draft."})
        data = self._json(body)
        info = data.get("info") or {}
        missing = [k for k in ("first_name", "last_name", "email", "locale") if not info.get(k)]
        if missing:
            raise _invalid(
                f"info.{missing[0]}: This value should not be blank.",
                *[(f"info.{k}", "required") for k in missing],
            )
        if data.get("signature_level") not in LEVELS:
            raise _invalid("signature_level: invalid choice.", ("signature_level", "choice"))
        mode = data.get("signature_authentication_mode")
        if mode not in AUTH_MODES:
            raise _invalid(
                "signature_authentication_mode: invalid choice.",
                ("signature_authentication_mode", "choice"),
            )
        if mode == "otp_sms" and not info.get("phone_number"):
            raise _invalid("info.phone_number: required with otp_sms.", ("info.phone_number", "x"))
        documents = {d["id"] for d in request["documents"]}
        for field in data.get("fields") or []:
            if field.get("document_id") not in documents:
                raise _invalid("fields.document_id: unknown document.", ("fields", "document"))
            if field.get("type") != "signature" or int(field.get("page", 0)) < 1:
                raise _invalid("fields: invalid signature field.", ("fields", "field"))
            if not (0 <= int(field["x"]) <= 595 and 0 <= int(field["y"]) <= 842):
                raise _invalid("fields: outside the page.", ("fields", "position"))
        signer = {
            "id": str(uuid.uuid4()),
            "status": "initiated",
            "info": info,
            "fields": data.get("fields") or [],
            "signature_link": None,
        }
        request["signers"].append(signer)
        return 201, {"id": signer["id"], "status": "initiated", "info": info}, {}

    def _activate(self, *, request: dict[str, Any], **_: Any) -> tuple[int, Any, dict[str, str]]:
        if request["status"] != "draft":
            raise _Answer(400, {"detail": "Only a draft can be activated."})
        if not request["documents"] or not request["signers"]:
            raise _invalid("A signature request needs a document and a signer.")
        signed_documents = {f["document_id"] for s in request["signers"] for f in s["fields"]}
        if any(d["id"] not in signed_documents for d in request["documents"]):
            raise _invalid("Every signable document needs a signature field.")
        request["status"] = "ongoing"
        for signer in request["signers"]:
            signer["status"] = "notified"
            if request["delivery_mode"] == "none":
                signer["signature_link"] = (
                    f"https://app.yousign.app/signature/{request['id']}/{signer['id']}"
                )
        return 201, self._public(request), {}

    def _cancel(
        self, *, request: dict[str, Any], body: bytes, **_: Any
    ) -> tuple[int, Any, dict[str, str]]:
        data = self._json(body)
        if data.get("reason") not in CANCEL_REASONS:
            raise _invalid("reason: invalid choice.", ("reason", "choice"))
        if request["status"] != "ongoing":
            raise _Answer(400, {"detail": "Only an ongoing request can be canceled."})
        request["status"] = "canceled"
        return 201, self._public(request), {}

    def _signed(self, request: dict[str, Any]) -> list[tuple[str, bytes]]:
        if request["status"] != "done":
            raise _Answer(400, {"detail": "The signature request is not done."})
        return [(d["filename"], d["content"] + SIGNED_MARKER) for d in request["documents"]]

    def _download(self, *, request: dict[str, Any], **_: Any) -> tuple[int, Any, dict[str, str]]:
        files = self._signed(request)
        if len(files) == 1:
            name, content = files[0]
            return (
                200,
                content,
                {
                    "Content-Type": "application/pdf",
                    "Content-Disposition": f'attachment; filename="{name}"',
                },
            )
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, content in files:
                archive.writestr(name, content)
        return 200, buffer.getvalue(), {"Content-Type": "application/zip"}

    def _download_one(
        self, *, request: dict[str, Any], did: str, **_: Any
    ) -> tuple[int, Any, dict[str, str]]:
        for document, (_name, content) in zip(
            request["documents"], self._signed(request), strict=True
        ):
            if document["id"] == did:
                return 200, content, {"Content-Type": "application/pdf"}
        raise _Answer(404, {"detail": "Document not found"})

    def _audit(self, *, request: dict[str, Any], **_: Any) -> tuple[int, Any, dict[str, str]]:
        self._signed(request)
        return 200, tiny_pdf(f"Audit trail {request['id']}"), {"Content-Type": "application/pdf"}

    def _remind(
        self, *, request: dict[str, Any], sid: str, **_: Any
    ) -> tuple[int, Any, dict[str, str]]:
        if request["status"] != "ongoing" or request["delivery_mode"] != "email":
            raise _Answer(400, {"detail": "No reminder for this signature request."})
        if sid not in {s["id"] for s in request["signers"]}:
            raise _Answer(404, {"detail": "Signer not found"})
        self.reminders.append((request["id"], sid))
        return 201, {}, {}
