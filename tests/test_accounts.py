"""Local accounts: French login page, clear errors, password reset by email, logout."""

from __future__ import annotations

import re
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse

from organisation.models import Role, User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_it_shows_the_login_page_in_french(client: Client) -> None:
    response = client.get("/", follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))
    assert '<html lang="fr">' in page
    assert "Se connecter" in page
    assert "Mot de passe" in page


def test_it_signs_an_advisor_in_and_lands_on_the_agenda(csrf_client: Client, advisor: User) -> None:
    csrf_client.get(reverse("account_login"))
    response = csrf_client.post(
        reverse("account_login"),
        {
            "login": advisor.email,
            "password": PASSWORD,
            "csrfmiddlewaretoken": csrf_client.cookies["csrftoken"].value,
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("visits:agenda")
    assert response.wsgi_request.user == advisor


def test_it_refuses_a_login_post_without_csrf(csrf_client: Client, advisor: User) -> None:
    response = csrf_client.post(
        reverse("account_login"), {"login": advisor.email, "password": PASSWORD}
    )
    assert response.status_code == 403


def test_it_says_clearly_in_french_when_the_password_is_wrong(
    client: Client, advisor: User
) -> None:
    response = client.post(reverse("account_login"), {"login": advisor.email, "password": "wrong"})
    assert response.status_code == 200
    assert "L’adresse e-mail ou le mot de passe sont incorrects." in (
        response.content.decode().replace("'", "’")
    )
    assert "_auth_user_id" not in client.session


def test_it_answers_a_malformed_login_form_with_field_errors(client: Client) -> None:
    response = client.post(reverse("account_login"), {"login": "", "password": ""})
    page = response.content.decode()
    assert response.status_code == 200
    main = page[page.index("<main") :]
    assert main.count("Ce champ est obligatoire.") == 2


def test_it_throttles_repeated_failures_with_a_french_message(
    client: Client, advisor: User
) -> None:
    for _ in range(5):
        client.post(reverse("account_login"), {"login": advisor.email, "password": "wrong"})
    response = client.post(reverse("account_login"), {"login": advisor.email, "password": PASSWORD})
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session
    assert "Trop de tentatives" in response.content.decode()


def test_it_resets_a_password_by_email(
    client: Client, advisor: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_reset_password"), {"email": advisor.email}, follow=True
        )
    assert "Si un compte correspond à cette adresse" in response.content.decode()
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+", mail.outbox[0].body)
    assert link, mail.outbox[0].body

    form_page = client.get(link.group(0), follow=True)
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(0)
    done = client.post(
        action,
        {"password1": "a-brand-new-pass-2026", "password2": "a-brand-new-pass-2026"},
        follow=True,
    )
    assert done.status_code == 200
    advisor.refresh_from_db()
    assert advisor.check_password("a-brand-new-pass-2026")


def test_it_does_not_reveal_whether_an_email_is_unknown(
    client: Client, advisor: User, django_capture_on_commit_callbacks: Any
) -> None:
    pages = []
    for email in (advisor.email, "nobody@example.test"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("account_reset_password"), {"email": email}, follow=True)
        assert response.status_code == 200
        pages.append((response.redirect_chain, _main(response.content.decode())))
    # The same answer for both, so the page tells nothing about who has an account...
    assert pages[0] == pages[1]
    assert "Si un compte correspond à cette adresse" in pages[1][1]
    # ...and the unknown address gets nothing at all: sign-up is closed, no invitation.
    assert [message.to for message in mail.outbox] == [[advisor.email]]


def _main(page: str) -> str:
    return page[page.index("<main") : page.index("</main>")]


def test_it_rejects_a_malformed_reset_email(client: Client, db: None) -> None:
    response = client.post(reverse("account_reset_password"), {"email": "@@"})
    assert response.status_code == 200
    assert "Saisissez une adresse de courriel valide." in response.content.decode()
    assert mail.outbox == []


def test_it_signs_out_on_post(client: Client, advisor: User) -> None:
    client.force_login(advisor)
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_it_has_no_public_signup(client: Client, db: None) -> None:
    response = client.get(reverse("account_signup"))
    assert "Inscriptions fermées" in response.content.decode() or response.status_code == 404


# --- the login address: set by head office or the company account, never by its holder ----


def test_it_does_not_let_anyone_change_their_login_address(client: Client, advisor: User) -> None:
    # A second address left over from before (allauth's email page, unverified).
    EmailAddress.objects.create(user=advisor, email="someone.else@example.test", verified=False)
    client.force_login(advisor)
    email_page = reverse("account_email")

    assert client.get(email_page).status_code == 404
    added = client.post(email_page, {"action_add": "", "email": "victim@example.test"})
    primary = client.post(email_page, {"action_primary": "", "email": "someone.else@example.test"})
    assert added.status_code == primary.status_code == 404

    advisor.refresh_from_db()
    assert advisor.email.startswith("person")
    assert not EmailAddress.objects.filter(email="victim@example.test").exists()
    assert not EmailAddress.objects.filter(user=advisor, primary=True).exists()


def test_accounts_created_by_staff_or_the_seed_have_a_verified_address(db: None) -> None:
    # nomad_web/demo.py and createsuperuser go through create_user.
    user = User.objects.create_user("Camille@Example.test", PASSWORD, role=Role.ADVISOR)
    assert list(EmailAddress.objects.filter(user=user).values_list("email", "verified")) == [
        ("camille@example.test", True)
    ]


def test_the_admin_records_the_address_it_sets_as_verified(client: Client, db: None) -> None:
    from allauth.mfa.totp.internal.auth import TOTP

    head_office = UserFactory(role=Role.STAFF)
    TOTP.activate(head_office, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    client.force_login(head_office)
    response = client.post(
        reverse("admin:organisation_user_add"),
        {
            "email": "new.person@example.test",
            "first_name": "New",
            "last_name": "Person",
            "role": Role.ADVISOR,
            "is_active": "on",
            "password": "",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    person = User.objects.get(email="new.person@example.test")
    assert EmailAddress.objects.filter(user=person, verified=True, primary=True).count() == 1

    # A change of address by head office replaces the old one, verified.
    EmailAddress.objects.create(user=person, email="stale@example.test", verified=False)
    response = client.post(
        reverse("admin:organisation_user_change", args=[person.pk]),
        {
            "email": "renamed.person@example.test",
            "first_name": "New",
            "last_name": "Person",
            "role": Role.ADVISOR,
            "is_active": "on",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(EmailAddress.objects.filter(user=person).values_list("email", "verified")) == [
        ("renamed.person@example.test", True)
    ]

    # A company account recreated at the provider: head office unlinks the old one.
    User.objects.filter(pk=person.pk).update(oidc_subject="old-subject")
    change_page = client.get(reverse("admin:organisation_user_change", args=[person.pk]))
    assert "old-subject" in change_page.content.decode()  # shown, read-only
    assert 'name="oidc_subject"' not in change_page.content.decode()
    response = client.post(
        reverse("admin:organisation_user_changelist"),
        {"action": "oidc_subject_forget", "_selected_action": [person.pk]},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.oidc_subject == ""


def test_the_migration_trusts_only_addresses_never_touched_on_the_email_page(db: None) -> None:
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("organisation.migrations.0005_user_oidc_subject")
    untouched = UserFactory()
    squatter = UserFactory(email="victim@example.test")
    EmailAddress.objects.create(user=squatter, email=squatter.email, verified=False, primary=True)

    migration.trust_untouched_addresses(apps, SimpleNamespace(connection=connection))

    assert EmailAddress.objects.filter(
        user=untouched, email=untouched.email, verified=True
    ).exists()
    assert not EmailAddress.objects.filter(user=squatter, verified=True).exists()
