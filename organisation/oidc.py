"""Single sign-on with Keycloak over OpenID Connect (mozilla-django-oidc).

SSO is on when a client id, a secret and either the issuer or the four endpoints are
set. With only the issuer, the endpoints are discovered from
``<issuer>/.well-known/openid-configuration`` the first time they are needed, never at
import time, and kept for the life of the process.

mozilla-django-oidc reads its endpoints from settings in ``__init__`` (the middleware
once at start-up); the classes here read them at request time instead, so SSO can be
switched on by configuration alone and the tests can point it at their own provider.

On every login the roles and agencies come from the token (``claims_to_access``) and
replace what the person had (``organisation.services.user_access_sync``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import jwt
import requests
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.deprecation import MiddlewareMixin
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.middleware import SessionRefresh as BaseSessionRefresh
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from nomad_web.http import SYNC_HEADER
from organisation.models import AccessEvent, Role

if TYPE_CHECKING:
    from organisation.models import User

logger = logging.getLogger(__name__)

BACKEND_PATH = "organisation.oidc.OIDCBackend"


class Refusal:
    """Why an SSO login was refused; shown on the refusal page and kept in the audit log."""

    NO_ROLE = "no_role"
    STAFF_MFA = "staff_mfa"
    INVALID_TOKEN = "invalid_token"  # noqa: S105 (a reason, not a secret)
    STATE = "state"
    PROVIDER_ERROR = "provider_error"
    INACTIVE = "inactive"
    LOCAL_LOGIN = "local_login"
    # The provider has not verified the token's address: it cannot find nor create an account.
    EMAIL_UNVERIFIED = "email_unverified"
    # A NOMAD account has the address but NOMAD never verified it: not handed to the SSO.
    LOCAL_EMAIL_UNVERIFIED = "local_email_unverified"
    # The account with this address is already bound to another company account.
    SUBJECT_MISMATCH = "subject_mismatch"


@dataclass(frozen=True)
class ProviderEndpoints:
    issuer: str
    authorization: str
    token: str
    userinfo: str
    jwks: str
    end_session: str


def oidc_enabled() -> bool:
    explicit = all(
        getattr(settings, name, "")
        for name in (
            "OIDC_OP_AUTHORIZATION_ENDPOINT",
            "OIDC_OP_TOKEN_ENDPOINT",
            "OIDC_OP_USER_ENDPOINT",
            "OIDC_OP_JWKS_ENDPOINT",
        )
    )
    return bool(
        getattr(settings, "OIDC_RP_CLIENT_ID", "")
        and getattr(settings, "OIDC_RP_CLIENT_SECRET", "")
        and (getattr(settings, "OIDC_ISSUER", "") or explicit)
    )


@functools.lru_cache(maxsize=8)
def _discovery_document(issuer: str) -> dict[str, Any]:
    # Cached per issuer; a failure is not cached, so the next login tries again.
    response = requests.get(
        f"{issuer}/.well-known/openid-configuration", timeout=settings.OIDC_TIMEOUT
    )
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    if document.get("issuer", "").rstrip("/") != issuer:
        raise ImproperlyConfigured(f"The provider at {issuer} announces another issuer.")
    return document


def provider_endpoints() -> ProviderEndpoints:
    """The provider's endpoints: those set explicitly, the others discovered from the issuer."""
    issuer = settings.OIDC_ISSUER.rstrip("/")
    document = _discovery_document(issuer) if issuer else {}

    def pick(setting: str, key: str) -> str:
        return str(getattr(settings, setting, "") or document.get(key, ""))

    return ProviderEndpoints(
        issuer=issuer,
        authorization=pick("OIDC_OP_AUTHORIZATION_ENDPOINT", "authorization_endpoint"),
        token=pick("OIDC_OP_TOKEN_ENDPOINT", "token_endpoint"),
        userinfo=pick("OIDC_OP_USER_ENDPOINT", "userinfo_endpoint"),
        jwks=pick("OIDC_OP_JWKS_ENDPOINT", "jwks_uri"),
        end_session=pick("OIDC_OP_LOGOUT_ENDPOINT", "end_session_endpoint"),
    )


def claims_to_access(claims: dict[str, Any], settings: Any) -> tuple[str, list[str]]:
    """NOMAD role and agency codes carried by the token's claims.

    The role comes from Keycloak's realm roles (``realm_access.roles``); when a person
    holds several NOMAD roles the widest wins (staff, then manager, then advisor). An
    empty role means "no access to NOMAD". Agency codes come from a list claim (a single
    string is accepted, as Keycloak sends one value when the attribute has one).
    """
    realm_access = claims.get("realm_access")
    roles = realm_access.get("roles", []) if isinstance(realm_access, dict) else []
    held = {str(name) for name in roles} if isinstance(roles, list) else set()
    role = ""
    for name, nomad_role in (
        (settings.OIDC_ROLE_STAFF, Role.STAFF),
        (settings.OIDC_ROLE_MANAGER, Role.MANAGER),
        (settings.OIDC_ROLE_ADVISOR, Role.ADVISOR),
    ):
        if name in held:
            role = nomad_role.value
            break

    raw = claims.get(settings.OIDC_AGENCY_CLAIM, [])
    values: Iterable[Any] = [raw] if isinstance(raw, str) else raw
    if not isinstance(values, list | tuple):
        values = []
    codes = sorted({str(code).strip() for code in values if str(code).strip()})
    return role, codes


def _refuse(request: HttpRequest, reason: str) -> None:
    # The callback view reads it to explain the refusal and write it to the audit log.
    request.nomad_sso_refusal = reason  # type: ignore[attr-defined]


class OIDCBackend(OIDCAuthenticationBackend):
    """Authorization-code flow with PKCE and nonce; roles and agencies from the token."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Not the parent's: it reads the endpoints from settings, ours may need discovery.
        from django.contrib.auth import get_user_model

        self.UserModel = get_user_model()

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:
        return provider_endpoints().token

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str:
        return provider_endpoints().userinfo

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:
        return provider_endpoints().jwks

    @property
    def OIDC_RP_CLIENT_ID(self) -> str:
        return str(settings.OIDC_RP_CLIENT_ID)

    @property
    def OIDC_RP_CLIENT_SECRET(self) -> str:
        return str(settings.OIDC_RP_CLIENT_SECRET)

    @property
    def OIDC_RP_SIGN_ALGO(self) -> str:
        return str(settings.OIDC_RP_SIGN_ALGO)

    OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        # Only the callback passes a nonce; a password login never reaches the provider.
        if request is None or "nonce" not in kwargs or not oidc_enabled():
            return None
        try:
            user: User | None = super().authenticate(request, **kwargs)
        except (SuspiciousOperation, jwt.InvalidTokenError, requests.RequestException) as exc:
            # The parent lets an expired token or a provider error escape as a 500.
            logger.warning("SSO login refused: %s", exc)
            _refuse(request, Refusal.INVALID_TOKEN)
            return None
        return user

    def get_payload_data(self, token: str, key: Any) -> dict[str, Any]:
        """The ID token's claims, once its signature, issuer, audience and dates are checked.

        The parent checks neither the audience nor the issuer.
        """
        header = jwt.get_unverified_header(token)
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation("Unexpected signing algorithm.")
        issuer = provider_endpoints().issuer
        payload: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[self.OIDC_RP_SIGN_ALGO],
            audience=self.OIDC_RP_CLIENT_ID,
            issuer=issuer or None,
            leeway=30,
            options={"require": ["exp", "iat", "sub"]},
        )
        return payload

    def get_userinfo(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        userinfo: dict[str, Any] = super().get_userinfo(access_token, id_token, payload)
        if userinfo.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("The userinfo answer is about someone else.")
        # The signed ID token has the last word on roles and agencies.
        return {**userinfo, **payload}

    def get_or_create_user(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> User | None:
        """The account this token opens, bound to the provider's subject (``sub``).

        The subject finds the account. Failing that, the address does, at the first SSO
        login only: the provider must have verified it (``email_verified``) and so must
        NOMAD (a verified EmailAddress), otherwise anyone who set that address on a local
        account, or on their company account, would take the other's place. The account
        is then bound to the subject and no other subject opens it.
        """
        from organisation.services import user_access_sync

        claims = self.get_userinfo(access_token, id_token, payload)
        subject = str(claims.get("sub", "")).strip()
        email = str(claims.get("email", "")).strip().lower()
        if not subject or not email:
            raise SuspiciousOperation("The token carries no subject or no email address.")
        email_verified = claims.get("email_verified") in (True, "true")
        role, codes = claims_to_access(claims, settings)

        user = self.UserModel.objects.filter(oidc_subject=subject).first()
        identity_refusal = None
        if user is None:
            user = self.UserModel.objects.filter(email__iexact=email).first()
            if user is not None:
                identity_refusal = self._email_match_refusal(user, email, email_verified)
            elif not email_verified:
                identity_refusal = Refusal.EMAIL_UNVERIFIED
            if identity_refusal is not None:
                # The account found by address is not this person's to open, nor to change.
                user = None

        if not role:
            if user is not None:
                # The provider is the source of truth: no NOMAD role, no access at all.
                user_access_sync(user=user, role="", agency_codes=[])
            _refuse(self.request, Refusal.NO_ROLE)
            return None
        if role == Role.STAFF and not settings.OIDC_STAFF_MFA_FROM_PROVIDER:
            _refuse(self.request, Refusal.STAFF_MFA)
            return None
        if identity_refusal is not None:
            logger.warning("SSO login refused for %s: %s", email, identity_refusal)
            _refuse(self.request, identity_refusal)
            return None

        if user is None:
            user = self.UserModel.objects.create_user(email, password=None, oidc_subject=subject)
        elif not user.oidc_subject:
            user.oidc_subject = subject
        elif email_verified and email != user.email.lower():
            self._email_follow(user, email)
        user.first_name = str(claims.get("given_name", user.first_name))[:100]
        user.last_name = str(claims.get("family_name", user.last_name))[:100]
        user_access_sync(user=user, role=role, agency_codes=codes)
        return user

    @staticmethod
    def _email_match_refusal(user: User, email: str, email_verified: bool) -> str | None:
        """Why the account found by address cannot be bound to a new subject, if it cannot."""
        from allauth.account.models import EmailAddress

        if user.oidc_subject:
            return Refusal.SUBJECT_MISMATCH
        if not email_verified:
            return Refusal.EMAIL_UNVERIFIED
        if not EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists():
            return Refusal.LOCAL_EMAIL_UNVERIFIED
        return None

    def _email_follow(self, user: User, email: str) -> None:
        # The provider verified a new address for the bound account: it becomes the login one,
        # unless another account has it (left as is, for staff to sort out).
        if self.UserModel.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
            logger.warning("SSO: %s keeps its address, %s belongs to another account", user, email)
            return
        user.email = email
        user.save(update_fields=["email"])
        user.email_address_verified_set()


class AuthenticateView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider with state, nonce and a PKCE challenge."""

    def __init__(self, **kwargs: Any) -> None:
        View.__init__(self, **kwargs)

    @property
    def OIDC_OP_AUTH_ENDPOINT(self) -> str:
        return provider_endpoints().authorization

    @property
    def OIDC_RP_CLIENT_ID(self) -> str:
        return str(settings.OIDC_RP_CLIENT_ID)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not oidc_enabled():
            raise Http404
        try:
            response: HttpResponse = super().get(request)
        except (requests.RequestException, ImproperlyConfigured) as exc:
            # Keycloak unreachable: say so instead of a 500; local login still works.
            logger.error("SSO provider unavailable: %s", exc)
            return refusal_page(request, reason=Refusal.PROVIDER_ERROR)
        return response


class CallbackView(OIDCAuthenticationCallbackView):
    """The provider's answer; any failure ends on a clear page, never on a 400 or a 500."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not oidc_enabled():
            raise Http404
        if request.GET.get("error"):
            _refuse(request, Refusal.PROVIDER_ERROR)
        elif "code" in request.GET and request.GET.get("state") not in request.session.get(
            "oidc_states", {}
        ):
            _refuse(request, Refusal.STATE)
        try:
            response: HttpResponse = super().get(request)
        except SuspiciousOperation:
            return self.login_failure()
        return response

    def login_failure(self) -> HttpResponse:
        from organisation.services import access_event_record

        request = self.request
        reason = getattr(request, "nomad_sso_refusal", None)
        user = getattr(self, "user", None)
        if reason is None:
            reason = Refusal.INACTIVE if user is not None else Refusal.INVALID_TOKEN
        if request.user.is_authenticated:
            # A failed re-check with the provider ends the NOMAD session too.
            auth.logout(request)
        access_event_record(
            kind=AccessEvent.Kind.SSO_REFUSED,
            request=request,
            user=user,
            email=user.email if user is not None else "",
            detail=reason,
        )
        return refusal_page(request, reason=reason)


def refusal_page(request: HttpRequest, *, reason: str) -> HttpResponse:
    response = render(request, "organisation/sso_refused.html", {"reason": reason}, status=403)
    response.nomad_audited = True  # type: ignore[attr-defined]
    return response


class SessionRefresh(BaseSessionRefresh):
    """Re-checks an SSO session with the provider every OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS.

    A silent ``prompt=none`` login: the provider answers at once while the person is
    still allowed in, and with an error (which logs them out) once they are not.
    """

    def __init__(self, get_response: Any) -> None:
        # Not the parent's: it reads the endpoints once, at start-up.
        MiddlewareMixin.__init__(self, get_response)

    @property
    def OIDC_OP_AUTHORIZATION_ENDPOINT(self) -> str:
        return provider_endpoints().authorization

    @property
    def OIDC_RP_CLIENT_ID(self) -> str:
        return str(settings.OIDC_RP_CLIENT_ID)

    OIDC_EXEMPT_URLS: list[str] = []
    OIDC_STATE_SIZE = 32
    OIDC_NONCE_SIZE = 32
    OIDC_USE_NONCE = True
    OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"

    @property
    def OIDC_RP_SCOPES(self) -> str:
        return str(settings.OIDC_RP_SCOPES)

    def is_refreshable_url(self, request: HttpRequest) -> bool:
        # Local accounts are never sent to the provider.
        if request.session.get(BACKEND_SESSION_KEY) != BACKEND_PATH:
            return False
        return bool(oidc_enabled() and super().is_refreshable_url(request))

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        response: HttpResponse | None = super().process_request(request)
        if response is None or response.status_code != 302:
            return response
        if request.headers.get(SYNC_HEADER) == "1":
            # The offline replay keeps its queue and asks the person to sign in again.
            return JsonResponse(
                {"error": "reauthenticate", "login_url": reverse("home")}, status=401
            )
        if request.headers.get("HX-Request"):
            # An htmx request cannot follow a redirect to another site: reload the page.
            hx = HttpResponse(status=204)
            hx["HX-Redirect"] = response["Location"]
            return hx
        return response

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        # The sign-out form ends on the provider's end-session page; CSP's form-action
        # also governs where a form's redirects may go, so allow that one origin.
        if getattr(request, "session", None) is None:
            return response
        if request.session.get(BACKEND_SESSION_KEY) != BACKEND_PATH or not oidc_enabled():
            return response
        try:
            end_session = provider_endpoints().end_session
        except (requests.RequestException, ImproperlyConfigured):
            return response
        if end_session:
            parts = urlsplit(end_session)
            update = dict(getattr(response, "_csp_update", None) or {})
            update["form-action"] = [
                *update.get("form-action", []),
                f"{parts.scheme}://{parts.netloc}",
            ]
            response._csp_update = update  # type: ignore[attr-defined]
        return response


def provider_logout_url(request: HttpRequest) -> str | None:
    """The provider's end-session URL for this SSO session, when the provider has one."""
    if request.session.get(BACKEND_SESSION_KEY) != BACKEND_PATH or not oidc_enabled():
        return None
    try:
        end_session = provider_endpoints().end_session
    except (requests.RequestException, ImproperlyConfigured):
        logger.warning("Provider unreachable at logout; ending the NOMAD session only.")
        return None
    if not end_session:
        return None
    params = {
        "client_id": settings.OIDC_RP_CLIENT_ID,
        "post_logout_redirect_uri": request.build_absolute_uri(reverse("account_login")),
    }
    id_token = request.session.get("oidc_id_token")
    if id_token:
        params["id_token_hint"] = id_token
    separator = "&" if "?" in end_session else "?"
    return f"{end_session}{separator}{urlencode(params)}"
