from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from organisation.oidc import oidc_enabled
from organisation.selectors import brand_for_user


def branding(request: HttpRequest) -> dict[str, Any]:
    # Lazy: pages that never show the brand do not pay for the query.
    return {"brand": SimpleLazyObject(lambda: brand_for_user(user=request.user))}


def sign_in(request: HttpRequest) -> dict[str, Any]:
    """Which ways to sign in the login page offers."""
    return {"sso_enabled": oidc_enabled(), "local_login_enabled": settings.NOMAD_LOCAL_LOGIN}
