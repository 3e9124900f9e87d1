"""Sign-ins, failures and sign-outs go to the access audit log."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from organisation.models import AccessEvent, User
from organisation.oidc import BACKEND_PATH
from organisation.services import access_event_record

#: When the session began; the middleware ends it NOMAD_SESSION_MAX_HOURS later.
SESSION_LOGIN_AT = "nomad_login_at"
SESSION_LAST_SEEN = "nomad_last_seen"


@receiver(user_logged_in)
def _on_login(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    method = "sso" if getattr(user, "backend", "") == BACKEND_PATH else "local"
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[SESSION_LOGIN_AT] = now
        request.session[SESSION_LAST_SEEN] = now
    access_event_record(
        kind=AccessEvent.Kind.LOGIN_SUCCESS, request=request, user=user, detail=method
    )


@receiver(user_login_failed)
def _on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    if "nonce" in credentials:
        return  # an SSO callback: recorded with its reason as "sso_refused"
    email = credentials.get("email") or credentials.get("username") or credentials.get("login")
    access_event_record(
        kind=AccessEvent.Kind.LOGIN_FAILURE, request=request, email=str(email or "")
    )


@receiver(user_logged_out)
def _on_logout(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    access_event_record(kind=AccessEvent.Kind.LOGOUT, request=request, user=user)
