"""Single sign-on end to end: Chromium, NOMAD and a real OpenID Connect provider on loopback."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from organisation.models import AccessEvent, Role, User
from tests.factories import AgencyFactory
from tests.oidc.server import TestProvider, keycloak_claims

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "camille.sso@example.test"


def _sign_in_through_the_provider(page: Page, base_url: str, login: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_role("link", name="Se connecter avec le compte entreprise").click()
    # oidc-provider's own login form, on the provider's origin.
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password")
    page.get_by_role("button", name="Sign-in").click()


def _agency_codes(user: User) -> set[str]:
    return set(user.memberships.values_list("agency__code", flat=True))


def test_it_signs_in_through_keycloak_and_follows_changed_claims(
    page: Page, live_server: Any, oidc_provider: TestProvider
) -> None:
    for code in ("NAN", "REN", "ANG"):
        AgencyFactory(code=code)
    oidc_provider.set_accounts(
        {
            "camille": keycloak_claims(
                email=EMAIL, roles=["nomad-advisor"], agencies=["NAN", "REN", "NOWHERE"]
            )
        }
    )

    _sign_in_through_the_provider(page, live_server.url, "camille")

    expect(page).to_have_url(f"{live_server.url}/agenda/")
    expect(page.get_by_role("heading", name="Mon agenda")).to_be_visible()
    expect(page.get_by_text("Camille · Conseiller")).to_be_visible()
    user = User.objects.get(email=EMAIL)
    assert user.role == Role.ADVISOR
    assert (user.first_name, user.last_name) == ("Camille", "Martin")
    assert _agency_codes(user) == {"NAN", "REN"}  # the unknown code is ignored
    assert not user.has_usable_password()

    # Keycloak now makes Camille the manager of Angers only.
    oidc_provider.set_accounts(
        {"camille": keycloak_claims(email=EMAIL, roles=["nomad-manager"], agencies=["ANG"])}
    )
    # Signing out ends the provider's session too (its end-session page asks to confirm).
    page.get_by_role("button", name="Se déconnecter").click()
    page.get_by_role("button", name="Yes, sign me out").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")

    _sign_in_through_the_provider(page, live_server.url, "camille")

    expect(page.get_by_text("Camille · Responsable d’agence")).to_be_visible()
    user.refresh_from_db()
    assert user.role == Role.MANAGER
    assert _agency_codes(user) == {"ANG"}  # Nantes and Rennes removed
    kinds = list(AccessEvent.objects.filter(user=user).values_list("kind", "detail"))
    assert kinds.count(("login_success", "sso")) == 2
    assert ("logout", "") in kinds


def test_it_refuses_a_keycloak_user_without_a_nomad_role(
    page: Page, live_server: Any, oidc_provider: TestProvider
) -> None:
    agency = AgencyFactory(code="NAN")
    oidc_provider.set_accounts(
        {"dominique": keycloak_claims(email=EMAIL, roles=["other-app-user"], agencies=["NAN"])}
    )

    _sign_in_through_the_provider(page, live_server.url, "dominique")

    expect(page.get_by_role("heading", name="Votre compte n’a pas accès à NOMAD")).to_be_visible()
    expect(page.get_by_text("aucun rôle NOMAD")).to_be_visible()
    page.goto(f"{live_server.url}/agenda/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/agenda/")
    assert not User.objects.filter(email=EMAIL).exists()
    assert AccessEvent.objects.filter(kind="sso_refused", detail="no_role").count() == 1
    assert agency.memberships.count() == 0
