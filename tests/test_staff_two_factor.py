"""Staff must use TOTP two-factor authentication; the admin is theirs alone."""

from __future__ import annotations

import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.test import Client
from django.urls import reverse

from organisation.models import User
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _code() -> str:
    return format_hotp_value(hotp_value(SECRET, int(time.time()) // 30))


def test_it_sends_staff_without_two_factor_to_set_it_up(client: Client, staff: User) -> None:
    client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    for url in ("/", reverse("admin:index"), reverse("announcements:list")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_activate_totp")
    # Setting up two-factor asks for the password once more (allauth's reauthentication).
    setup = client.get(reverse("mfa_activate_totp"))
    assert setup["Location"].startswith(reverse("account_reauthenticate"))
    client.post(setup["Location"], {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    assert "Activer" in page.content.decode()
    assert "Les comptes du siège doivent utiliser la double authentification" in (
        page.content.decode()
    )


def test_it_asks_staff_for_the_code_at_login_then_opens_the_admin(
    client: Client, staff: User
) -> None:
    TOTP.activate(staff, SECRET)
    response = client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session

    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    assert "Code incorrect" in wrong.content.decode()

    client.post(reverse("mfa_authenticate"), {"code": _code()})
    assert client.session["_auth_user_id"] == str(staff.pk)
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.parametrize("who", ["advisor", "manager"])
def test_it_keeps_the_admin_for_staff(
    client: Client, who: str, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    # The admin's own login form is replaced by ours (with two-factor).
    assert client.get(response["Location"])["Location"].startswith(reverse("account_login"))


def _enrol(client: Client, staff: User) -> None:
    """Sets up TOTP from the page the gate sends staff to, as a person would."""
    setup = client.get(reverse("mfa_activate_totp"))
    assert setup["Location"].startswith(reverse("account_reauthenticate"))
    client.post(setup["Location"], {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200, page.get("Location")
    secret = client.session["mfa.totp.secret"]
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    client.post(reverse("mfa_activate_totp"), {"code": code})
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()
    assert client.get(reverse("admin:index")).status_code == 200


def test_it_lets_staff_who_opened_the_email_page_first_set_up_two_factor(
    client: Client, staff: User
) -> None:
    client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    # allauth's email page used to record the address as unverified, and allauth then
    # refused to activate TOTP: the gate and allauth sent the person to and fro for ever.
    client.get(reverse("account_email"))
    assert client.get("/")["Location"] == reverse("mfa_activate_totp")
    _enrol(client, staff)


def test_it_lets_staff_with_an_unverified_address_left_over_set_up_two_factor(
    client: Client, staff: User
) -> None:
    EmailAddress.objects.create(user=staff, email=staff.email, verified=False, primary=True)
    client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    _enrol(client, staff)
