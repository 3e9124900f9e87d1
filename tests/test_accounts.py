"""Local accounts: French login page, clear errors, password reset by email, logout."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from organisation.models import User
from tests.factories import PASSWORD

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
    client: Client, db: None, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_reset_password"), {"email": "nobody@example.test"}, follow=True
        )
    assert response.status_code == 200
    assert "Si un compte correspond à cette adresse" in response.content.decode()
    # The unknown address is told, in French, that it has no account here.
    assert len(mail.outbox) == 1
    assert "nobody@example.test" in mail.outbox[0].to


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
