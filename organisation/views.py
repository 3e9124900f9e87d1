from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from organisation.models import Brand


@require_GET
@cache_control(max_age=3600, public=True)
def brand_theme(request: HttpRequest, slug: str) -> HttpResponse:
    """The brand's colours as CSS custom properties (no inline style under our CSP)."""
    brand = get_object_or_404(Brand, slug=slug)
    css = render_to_string("organisation/theme.css", {"brand": brand})
    return HttpResponse(css, content_type="text/css; charset=utf-8")
