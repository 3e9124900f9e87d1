"""SSO callback hardening: tokens crafted and signed here, the provider's answers stubbed.

The end-to-end run against a real provider is in tests/browser/test_sso.py; these tests
reach the cases a well-behaved provider never produces (tampered, expired, wrong nonce).
"""

from __future__ import annotations

import base64
import json
import time
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from allauth.account.models import EmailAddress
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from organisation import oidc
from organisation.models import AccessEvent, Agency, Membership, Role, User
from organisation.oidc import claims_to_access
from tests.factories import AgencyFactory, UserFactory

ISSUER = "https://sso.example.test/realms/nomad"
CLIENT_ID = "nomad-web"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ROLE_NAMES = SimpleNamespace(
    OIDC_ROLE_ADVISOR="nomad-advisor",
    OIDC_ROLE_MANAGER="nomad-manager",
    OIDC_ROLE_STAFF="nomad-staff",
    OIDC_AGENCY_CLAIM="nomad_agencies",
)


# --- claims_to_access: a pure function -------------------------------------------------


def test_it_maps_realm_roles_and_agency_codes() -> None:
    claims = {
        "realm_access": {"roles": ["offline_access", "nomad-advisor"]},
        "nomad_agencies": ["B", "A", "A"],
    }
    assert claims_to_access(claims, ROLE_NAMES) == ("advisor", ["A", "B"])


def test_it_gives_the_widest_role_when_several_are_held() -> None:
    claims = {"realm_access": {"roles": ["nomad-advisor", "nomad-staff", "nomad-manager"]}}
    assert claims_to_access(claims, ROLE_NAMES) == ("staff", [])
    claims = {"realm_access": {"roles": ["nomad-advisor", "nomad-manager"]}}
    assert claims_to_access(claims, ROLE_NAMES)[0] == "manager"


def test_it_uses_the_configured_names() -> None:
    names = SimpleNamespace(
        **{**vars(ROLE_NAMES), "OIDC_ROLE_MANAGER": "chef", "OIDC_AGENCY_CLAIM": "agences"}
    )
    claims = {"realm_access": {"roles": ["chef", "nomad-manager"]}, "agences": "NAN"}
    assert claims_to_access(claims, names) == ("manager", ["NAN"])
    assert claims_to_access({"nomad_agencies": ["X"]}, names) == ("", [])


@pytest.mark.parametrize(
    "claims",
    [
        {},
        {"realm_access": "nomad-advisor"},
        {"realm_access": {"roles": "nomad-advisor"}},
        {"realm_access": {"roles": ["NOMAD-ADVISOR"]}},
        {"roles": ["nomad-advisor"]},
    ],
)
def test_it_gives_no_role_for_missing_or_malformed_claims(claims: dict[str, Any]) -> None:
    assert claims_to_access(claims, ROLE_NAMES)[0] == ""


def test_it_ignores_a_malformed_agency_claim() -> None:
    claims = {"realm_access": {"roles": ["nomad-advisor"]}, "nomad_agencies": {"code": "NAN"}}
    assert claims_to_access(claims, ROLE_NAMES) == ("advisor", [])


# --- the callback -------------------------------------------------------------------


@pytest.fixture
def sso(settings: Any, monkeypatch: pytest.MonkeyPatch, db: None) -> dict[str, Any]:
    """SSO pointed at a provider that exists only as the stubs below."""
    settings.OIDC_ISSUER = ISSUER
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = "s3cret"
    document = {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/protocol/openid-connect/auth",
        "token_endpoint": f"{ISSUER}/protocol/openid-connect/token",
        "userinfo_endpoint": f"{ISSUER}/protocol/openid-connect/userinfo",
        "jwks_uri": f"{ISSUER}/protocol/openid-connect/certs",
        "end_session_endpoint": f"{ISSUER}/protocol/openid-connect/logout",
    }
    monkeypatch.setattr(oidc, "_discovery_document", lambda issuer: document)
    state: dict[str, Any] = {"id_token": "", "userinfo": {}, "token_requests": []}

    def get_token(self: Any, payload: dict[str, Any]) -> dict[str, str]:
        state["token_requests"].append(payload)
        return {"id_token": state["id_token"], "access_token": "opaque-access-token"}

    public_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
    monkeypatch.setattr(OIDCAuthenticationBackend, "get_token", get_token)
    monkeypatch.setattr(
        OIDCAuthenticationBackend,
        "retrieve_matching_jwk",
        lambda self, token: jwt.PyJWK({**public_jwk, "alg": "RS256"}),
    )
    monkeypatch.setattr(
        OIDCAuthenticationBackend, "get_userinfo", lambda self, at, it, p: state["userinfo"]
    )
    return state


def _claims(**extra: Any) -> dict[str, Any]:
    return {
        "sub": "f3c1-camille",
        "email": "camille@example.test",
        "email_verified": True,
        "given_name": "Camille",
        "family_name": "Martin",
        "realm_access": {"roles": ["nomad-advisor"]},
        "nomad_agencies": ["NAN"],
        **extra,
    }


def _id_token(nonce: str, key: Any = KEY, **overrides: Any) -> str:
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 300,
        "nonce": nonce,
        **_claims(),
        **overrides,
    }
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": "k1"})


def _start(client: Client) -> tuple[str, str, dict[str, list[str]]]:
    response = client.get(reverse("oidc_authentication_init"))
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    return query["state"][0], query["nonce"][0], query


def _callback(client: Client, state: str) -> Any:
    return client.get(reverse("oidc_authentication_callback"), {"code": "c0de", "state": state})


@pytest.fixture
def nantes(db: None) -> Agency:
    return AgencyFactory(code="NAN")


def test_it_sends_the_browser_to_keycloak_with_pkce_state_and_nonce(
    client: Client, sso: dict[str, Any]
) -> None:
    response = client.get(reverse("oidc_authentication_init"))
    location = urlsplit(response["Location"])
    query = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        f"{ISSUER}/protocol/openid-connect/auth"
    )
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == ["http://testserver/oidc/callback/"]


def test_it_signs_in_with_a_valid_token_and_sends_the_pkce_verifier(
    client: Client, sso: dict[str, Any], nantes: Agency
) -> None:
    state, nonce, _ = _start(client)
    sso["id_token"] = _id_token(nonce)
    sso["userinfo"] = _claims()
    response = _callback(client, state)

    assert response.status_code == 302
    user = User.objects.get(email="camille@example.test")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert user.role == Role.ADVISOR
    assert list(user.agencies.all()) == [nantes]
    # The account is bound to the provider's subject, its address verified by the provider.
    assert user.oidc_subject == "f3c1-camille"
    assert EmailAddress.objects.filter(
        user=user, email="camille@example.test", verified=True, primary=True
    ).exists()
    assert len(sso["token_requests"][0]["code_verifier"]) >= 43
    # Tokens stay on the server: only the id token, in the session, for the logout hint.
    assert client.session["oidc_id_token"] == sso["id_token"]
    assert "oidc_access_token" not in client.session
    assert sso["id_token"] not in response.cookies.output()


@pytest.mark.parametrize(
    "case",
    ["other_key", "altered_payload", "expired", "wrong_nonce", "wrong_audience", "wrong_issuer"],
)
def test_it_refuses_a_bad_id_token(
    client: Client, sso: dict[str, Any], nantes: Agency, case: str
) -> None:
    state, nonce, _ = _start(client)
    now = int(time.time())
    token = {
        "other_key": lambda: _id_token(nonce, key=OTHER_KEY),
        "altered_payload": lambda: _alter(
            _id_token(nonce), realm_access={"roles": ["nomad-staff"]}
        ),
        "expired": lambda: _id_token(nonce, iat=now - 7200, exp=now - 3600),
        "wrong_nonce": lambda: _id_token("not-the-nonce-we-sent"),
        "wrong_audience": lambda: _id_token(nonce, aud="another-client"),
        "wrong_issuer": lambda: _id_token(nonce, iss="https://evil.example.test/realms/nomad"),
    }[case]()
    sso["id_token"] = token
    sso["userinfo"] = _claims()

    response = _callback(client, state)

    assert response.status_code == 403
    assert "Votre compte n’a pas accès à NOMAD" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(email="camille@example.test").exists()
    event = AccessEvent.objects.get(kind=AccessEvent.Kind.SSO_REFUSED)
    assert event.detail == "invalid_token"


def _alter(token: str, **claims: Any) -> str:
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data.update(claims)
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_it_refuses_an_unknown_state(client: Client, sso: dict[str, Any], nantes: Agency) -> None:
    _, nonce, _ = _start(client)
    sso["id_token"] = _id_token(nonce)
    sso["userinfo"] = _claims()
    response = _callback(client, "forged-state")
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    assert sso["token_requests"] == []  # the code was never even exchanged
    assert AccessEvent.objects.get(kind="sso_refused").detail == "state"


def test_it_refuses_a_state_replayed_twice(
    client: Client, sso: dict[str, Any], nantes: Agency
) -> None:
    state, nonce, _ = _start(client)
    sso["id_token"] = _id_token(nonce)
    sso["userinfo"] = _claims()
    assert _callback(client, state).status_code == 302
    client.logout()
    assert _callback(client, state).status_code == 403


def test_it_refuses_userinfo_about_someone_else(
    client: Client, sso: dict[str, Any], nantes: Agency
) -> None:
    state, nonce, _ = _start(client)
    sso["id_token"] = _id_token(nonce)
    sso["userinfo"] = _claims(sub="someone-else")
    assert _callback(client, state).status_code == 403
    assert "_auth_user_id" not in client.session


def test_it_refuses_a_person_without_nomad_role_and_removes_their_access(
    client: Client, sso: dict[str, Any], nantes: Agency
) -> None:
    person = _verified(
        UserFactory(email="camille@example.test", role=Role.MANAGER, agencies=[nantes])
    )
    state, nonce, _ = _start(client)
    sso["id_token"] = _id_token(nonce, realm_access={"roles": ["offline_access"]})
    sso["userinfo"] = _claims()

    response = _callback(client, state)

    assert response.status_code == 403
    assert "aucun rôle NOMAD" in response.content.decode()
    person.refresh_from_db()
    assert person.role == ""
    assert not Membership.objects.filter(user=person).exists()


def test_it_refuses_staff_unless_the_providers_mfa_is_trusted(
    client: Client, sso: dict[str, Any], settings: Any
) -> None:
    staff_claims = {"realm_access": {"roles": ["nomad-staff"]}, "nomad_agencies": []}
    state, nonce, _ = _start(client)
    sso["id_token"] = _id_token(nonce, **staff_claims)
    sso["userinfo"] = _claims()
    response = _callback(client, state)
    assert response.status_code == 403
    assert "double authentification" in response.content.decode()

    settings.OIDC_STAFF_MFA_FROM_PROVIDER = True
    state, nonce, _ = _start(client)
    sso["id_token"] = _id_token(nonce, **staff_claims)
    assert _callback(client, state).status_code == 302
    # Keycloak's MFA stands for ours: the admin opens without the TOTP set-up detour.
    assert client.get(reverse("admin:index")).status_code == 200


def test_it_ends_the_nomad_session_when_the_provider_answers_with_an_error(
    client: Client, sso: dict[str, Any], nantes: Agency
) -> None:
    state, nonce, _ = _start(client)
    sso["id_token"] = _id_token(nonce)
    sso["userinfo"] = _claims()
    _callback(client, state)
    assert "_auth_user_id" in client.session

    # The silent re-check (prompt=none) of someone disabled in Keycloak comes back so.
    response = client.get(
        reverse("oidc_authentication_callback"), {"error": "login_required", "state": "x"}
    )
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_it_rechecks_the_session_with_the_provider_after_the_interval(
    client: Client, sso: dict[str, Any], nantes: Agency, settings: Any
) -> None:
    settings.OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS = 60
    state, nonce, _ = _start(client)
    sso["id_token"] = _id_token(nonce)
    sso["userinfo"] = _claims()
    _callback(client, state)
    assert client.get(reverse("visits:agenda")).status_code == 200

    session = client.session
    session["oidc_id_token_expiration"] = time.time() - 1
    session.save()
    response = client.get(reverse("visits:agenda"))
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["prompt"] == ["none"]
    assert query["code_challenge_method"] == ["S256"]

    sync = client.get(reverse("visits:agenda"), headers={"X-Nomad-Sync": "1"})
    assert sync.status_code == 401
    assert sync.json()["error"] == "reauthenticate"
    htmx = client.get(reverse("visits:agenda"), headers={"HX-Request": "true"})
    assert htmx["HX-Redirect"].startswith(f"{ISSUER}/protocol/openid-connect/auth?")


def test_it_never_sends_a_local_account_to_the_provider(
    client: Client, sso: dict[str, Any], advisor: User
) -> None:
    client.force_login(advisor, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(reverse("visits:agenda")).status_code == 200


def test_it_ends_the_provider_session_at_logout(
    client: Client, sso: dict[str, Any], nantes: Agency
) -> None:
    state, nonce, _ = _start(client)
    sso["id_token"] = _id_token(nonce)
    sso["userinfo"] = _claims()
    _callback(client, state)
    page = client.get(reverse("visits:agenda"))
    # The sign-out form may lead to the provider's origin (CSP form-action).
    assert "form-action 'self' https://sso.example.test" in page["Content-Security-Policy"]

    response = client.post(reverse("account_logout"))
    location = urlsplit(response["Location"])
    query = parse_qs(location.query)
    assert location.path == "/realms/nomad/protocol/openid-connect/logout"
    assert query["id_token_hint"] == [sso["id_token"]]
    assert query["post_logout_redirect_uri"] == ["http://testserver/accounts/login/"]
    assert "_auth_user_id" not in client.session


def test_it_offers_the_company_account_on_the_login_page(
    client: Client, sso: dict[str, Any]
) -> None:
    page = client.get(reverse("account_login")).content.decode()
    assert "Se connecter avec le compte entreprise" in page
    assert 'name="password"' in page


def test_it_hides_the_sso_button_when_sso_is_not_configured(client: Client, db: None) -> None:
    page = client.get(reverse("account_login")).content.decode()
    assert "compte entreprise" not in page
    assert client.get(reverse("oidc_authentication_init")).status_code == 404
    assert client.get(reverse("oidc_authentication_callback")).status_code == 404


def test_it_keeps_local_login_for_staff_only_when_turned_off(
    client: Client, sso: dict[str, Any], settings: Any, advisor: User, staff: User
) -> None:
    settings.NOMAD_LOCAL_LOGIN = False
    page = client.get(reverse("account_login")).content.decode()
    assert 'name="password"' not in page
    assert "Équipes du siège : se connecter avec un compte local" in page
    assert 'name="password"' in client.get(reverse("account_login") + "?local=1").content.decode()

    refused = client.post(
        reverse("account_login") + "?local=1",
        {"login": advisor.email, "password": "correct-horse-battery"},
    )
    assert refused.status_code == 403
    assert "_auth_user_id" not in client.session
    assert AccessEvent.objects.filter(kind="login_failure", detail="local_login").exists()

    client.post(
        reverse("account_login") + "?local=1",
        {"login": staff.email, "password": "correct-horse-battery"},
    )
    assert client.session["_auth_user_id"] == str(staff.pk)


def test_it_says_so_when_keycloak_is_unreachable(client: Client, settings: Any, db: None) -> None:
    settings.OIDC_ISSUER = "http://127.0.0.1:9/realms/nomad"  # nothing listens there
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = "s3cret"
    response = client.get(reverse("oidc_authentication_init"))
    assert response.status_code == 403
    assert "Retour à la page de connexion" in response.content.decode()


# --- whose account a token opens: the provider's subject, or a verified address -----------


def _verified(user: User) -> User:
    """The address as NOMAD records one it trusts: set by staff, the seed or the SSO."""
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def _sso_login(client: Client, sso: dict[str, Any], **claims: Any) -> Any:
    state, nonce, _ = _start(client)
    sso["id_token"] = _id_token(nonce, **claims)
    sso["userinfo"] = _claims(**claims)
    return _callback(client, state)


def _refusal(response: Any, client: Client) -> str:
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    return str(AccessEvent.objects.filter(kind="sso_refused").latest("pk").detail)


def test_it_does_not_hand_over_a_local_account_whose_address_is_not_verified(
    client: Client, sso: dict[str, Any], nantes: Agency
) -> None:
    # Someone made the SSO person's address the primary one of their own local account
    # (allauth's email page left it unverified): the SSO login must not open it.
    squatter = UserFactory(email="camille@example.test", role=Role.STAFF)
    EmailAddress.objects.create(user=squatter, email=squatter.email, verified=False, primary=True)

    response = _sso_login(client, sso)

    assert _refusal(response, client) == "local_email_unverified"
    squatter.refresh_from_db()
    assert squatter.oidc_subject == ""
    assert squatter.role == Role.STAFF  # nor is the local account changed by the token
    assert User.objects.filter(email="camille@example.test").count() == 1


def test_it_does_not_hand_over_a_local_account_without_any_recorded_address(
    client: Client, sso: dict[str, Any], nantes: Agency
) -> None:
    UserFactory(email="camille@example.test")
    assert _refusal(_sso_login(client, sso), client) == "local_email_unverified"


def test_it_refuses_an_email_match_the_provider_has_not_verified(
    client: Client, sso: dict[str, Any], nantes: Agency
) -> None:
    person = _verified(UserFactory(email="camille@example.test"))

    response = _sso_login(client, sso, email_verified=False)

    assert _refusal(response, client) == "email_unverified"
    person.refresh_from_db()
    assert person.oidc_subject == ""


def test_it_creates_no_account_for_an_address_the_provider_has_not_verified(
    client: Client, sso: dict[str, Any], nantes: Agency
) -> None:
    response = _sso_login(client, sso, email_verified=False)
    assert _refusal(response, client) == "email_unverified"
    assert not User.objects.filter(email="camille@example.test").exists()


def test_it_binds_the_subject_and_follows_an_email_change_at_the_provider(
    client: Client, sso: dict[str, Any], nantes: Agency
) -> None:
    person = _verified(UserFactory(email="camille@example.test"))
    assert _sso_login(client, sso).status_code == 302
    person.refresh_from_db()
    assert person.oidc_subject == "f3c1-camille"
    client.logout()

    # Married name at the provider, same subject: the same account, its address follows.
    response = _sso_login(client, sso, email="camille.durand@example.test")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(person.pk)
    person.refresh_from_db()
    assert person.email == "camille.durand@example.test"
    assert list(EmailAddress.objects.filter(user=person).values_list("email", "verified")) == [
        ("camille.durand@example.test", True)
    ]
    assert User.objects.count() == 1
    client.logout()

    # An address the provider has not verified still opens the bound account, unchanged.
    response = _sso_login(client, sso, email="camille@elsewhere.test", email_verified=False)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(person.pk)
    person.refresh_from_db()
    assert person.email == "camille.durand@example.test"


def test_it_refuses_another_subject_with_the_same_email(
    client: Client, sso: dict[str, Any], nantes: Agency
) -> None:
    person = _verified(UserFactory(email="camille@example.test"))
    assert _sso_login(client, sso).status_code == 302
    client.logout()

    response = _sso_login(client, sso, sub="another-subject")

    assert _refusal(response, client) == "subject_mismatch"
    person.refresh_from_db()
    assert person.oidc_subject == "f3c1-camille"  # not re-bound
