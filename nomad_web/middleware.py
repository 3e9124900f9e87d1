"""Responses are not kept by browsers or proxies unless their view says otherwise.

Pages, PDFs, evidence files, CSV exports and JSON answers hold personal data: each
gets ``Cache-Control: no-store`` unless its view set a ``Cache-Control`` of its own
(the brand's stylesheet and icons, which are public; the service worker's script).
The offline copies are not affected: the service worker keeps them in its own cache
(Cache Storage ignores HTTP caching headers), never in the browser's HTTP cache.
Static files are answered by WhiteNoise before this middleware and keep their long
cache lifetimes.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class NoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        return response
