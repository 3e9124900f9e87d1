from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from organisation.selectors import brand_for_user


def branding(request: HttpRequest) -> dict[str, Any]:
    # Lazy: pages that never show the brand do not pay for the query.
    return {"brand": SimpleLazyObject(lambda: brand_for_user(user=request.user))}
