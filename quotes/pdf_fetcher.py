"""What WeasyPrint may read while it lays out a document: the project's static files and
``data:`` URLs (the brand's logo comes as one, read through the file storage), nothing
else (no network, no other file of the server).

A document's HTML carries text typed by staff and clients; a URL slipped into it (an
``<img src>``, a CSS ``url()``) must not make the server fetch an internal address or
read a file into a PDF the client receives.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from weasyprint.urls import URLFetcher


def allowed_roots() -> list[Path]:
    """The folders a document may read from: the static files."""
    roots = [Path(p) for p in settings.STATICFILES_DIRS]
    roots.append(Path(settings.STATIC_ROOT))
    return [root.resolve() for root in roots]


def file_allowed(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return False
    path = Path(unquote(parts.path)).resolve()
    return any(path.is_relative_to(root) for root in allowed_roots())


class DocumentURLFetcher(URLFetcher):
    """Fetches ``data:`` URLs and files under ``allowed_roots()``; refuses the rest.

    WeasyPrint catches the refusal, logs it and lays the document out without the
    resource."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allowed_protocols=("data", "file"), allow_redirects=False, **kwargs)

    def fetch(self, url: str, headers: Any = None) -> Any:
        if url.lower().startswith("data:") or file_allowed(url):
            return super().fetch(url, headers)
        raise ValueError(f"A document may not read {url[:200]}")
