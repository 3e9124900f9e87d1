from __future__ import annotations

import mimetypes

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from organisation.icons import SIZES, icon_png
from organisation.models import Brand


def _icon(brand: Brand | None, size: int) -> HttpResponse:
    if size not in SIZES:
        raise Http404
    response = HttpResponse(icon_png(brand=brand, size=size), content_type="image/png")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_GET
def brand_icon(request: HttpRequest, slug: str, size: int) -> HttpResponse:
    return _icon(get_object_or_404(Brand, slug=slug), size)


@require_GET
def default_icon(request: HttpRequest, size: int) -> HttpResponse:
    return _icon(None, size)


@require_GET
@cache_control(max_age=3600, public=True)
def brand_theme(request: HttpRequest, slug: str) -> HttpResponse:
    """The brand's colours as CSS custom properties (no inline style under our CSP)."""
    brand = get_object_or_404(Brand, slug=slug)
    css = render_to_string("organisation/theme.css", {"brand": brand})
    return HttpResponse(css, content_type="text/css; charset=utf-8")


@require_GET
def brand_logo(request: HttpRequest, slug: str) -> FileResponse:
    """The brand's logo, read from the file storage (local disk or object storage), so that
    every web node serves it and the page's CSP stays same-origin."""
    brand = get_object_or_404(Brand, slug=slug)
    if not brand.logo:
        raise Http404
    content_type = mimetypes.guess_type(brand.logo.name)[0] or "application/octet-stream"
    if not content_type.startswith("image/") or content_type == "image/svg+xml":
        raise Http404  # only raster images: an SVG may carry script
    response = FileResponse(brand.logo.open("rb"), content_type=content_type)
    # The page links the logo with its file name in the query, so a new logo is a new URL.
    response["Cache-Control"] = "public, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response
