from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

# What a staff member without two-factor may still reach: setting it up, and leaving.
_ALLOWED_PREFIXES = ("/accounts/", "/static/", "/healthz", "/i18n/", "/media/")


class StaffTwoFactorMiddleware:
    """Staff accounts must have TOTP before they can use anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and user.is_staff
            and not request.path.startswith(_ALLOWED_PREFIXES)
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            messages.info(
                request,
                _("Head-office accounts must use two-factor authentication: set it up to go on."),
            )
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
