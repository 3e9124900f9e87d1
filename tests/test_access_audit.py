"""Session lifetime, offline replay without data loss, and the access audit log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import TOTP
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from organisation.models import AccessEvent, Agency, User
from tests.factories import PASSWORD, VisitFactory

pytestmark = pytest.mark.django_db


def _sign_in(client: Client, user: User) -> None:
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302


def test_it_ends_an_idle_session_after_thirty_minutes(client: Client, advisor: User) -> None:
    with time_machine.travel(timezone.now(), tick=False) as clock:
        _sign_in(client, advisor)
        clock.shift(timedelta(minutes=29))
        assert client.get(reverse("visits:agenda")).status_code == 200
        clock.shift(timedelta(minutes=29))  # active 29 minutes ago: still in
        assert client.get(reverse("visits:agenda")).status_code == 200
        clock.shift(timedelta(minutes=31))
        response = client.get(reverse("visits:agenda"), follow=True)

    assert response.redirect_chain[0][0] == f"{reverse('account_login')}?next=/agenda/"
    assert "Votre session a expiré. Veuillez vous reconnecter." in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AccessEvent.objects.filter(kind="session_expired", detail="idle", user=advisor).exists()


def test_it_ends_any_session_after_twelve_hours(client: Client, advisor: User) -> None:
    with time_machine.travel(timezone.now(), tick=False) as clock:
        _sign_in(client, advisor)
        for _ in range(12 * 3):  # busy all day, a click every 20 minutes
            clock.shift(timedelta(minutes=20))
            assert client.get(reverse("visits:agenda")).status_code == 200
        clock.shift(timedelta(minutes=1))
        response = client.get(reverse("visits:agenda"))
    assert response.status_code == 302
    assert AccessEvent.objects.filter(kind="session_expired", detail="max_lifetime").exists()


def test_it_follows_the_configured_lifetimes(client: Client, advisor: User, settings: Any) -> None:
    settings.NOMAD_SESSION_IDLE_MINUTES = 5
    with time_machine.travel(timezone.now(), tick=False) as clock:
        _sign_in(client, advisor)
        clock.shift(timedelta(minutes=6))
        assert client.get(reverse("visits:agenda")).status_code == 302


def test_it_answers_the_offline_replay_with_401_never_a_redirect(
    client: Client, advisor: User
) -> None:
    headers = {"X-Nomad-Sync": "1"}
    # No session at all.
    response = client.get(reverse("visits:agenda"), headers=headers)
    assert response.status_code == 401
    assert response.json() == {"error": "reauthenticate", "login_url": "/accounts/login/"}

    # A session that went idle while the tablet was offline.
    with time_machine.travel(timezone.now(), tick=False) as clock:
        _sign_in(client, advisor)
        clock.shift(timedelta(hours=3))
        response = client.post(reverse("visits:agenda"), headers=headers)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"


def test_it_records_logins_failures_and_logouts(client: Client, advisor: User) -> None:
    client.post(
        reverse("account_login"),
        {"login": advisor.email, "password": "wrong"},
        headers={"User-Agent": "TabletBrowser/1.0"},
    )
    _sign_in(client, advisor)
    client.post(reverse("account_logout"))

    events = list(AccessEvent.objects.order_by("created_at", "pk"))
    assert [(e.kind, e.email, e.user) for e in events] == [
        ("login_failure", advisor.email, None),
        ("login_success", advisor.email, advisor),
        ("logout", advisor.email, advisor),
    ]
    assert events[0].ip_address == "127.0.0.1"
    assert events[0].user_agent == "TabletBrowser/1.0"
    assert events[0].path == "/accounts/login/"
    assert events[1].detail == "local"


def test_it_records_a_403(csrf_client: Client, advisor: User) -> None:
    csrf_client.force_login(advisor)
    response = csrf_client.post(reverse("account_logout"))  # no CSRF token
    assert response.status_code == 403
    event = AccessEvent.objects.get(kind="access_denied")
    assert (event.user, event.path, event.detail) == (advisor, "/accounts/logout/", "403")


def test_it_records_a_probe_of_another_agencys_object_but_answers_404(
    client: Client, advisor: User, other_agency: Agency
) -> None:
    foreign = VisitFactory(prospect__agency=other_agency)
    client.force_login(advisor)

    assert client.get(reverse("visits:visit_detail", args=[foreign.pk])).status_code == 404
    assert client.get(reverse("visits:visit_detail", args=[foreign.pk + 1000])).status_code == 404

    events = AccessEvent.objects.filter(kind="access_denied")
    assert [(e.user, e.path, e.detail) for e in events] == [
        (advisor, f"/visites/{foreign.pk}/", "out_of_scope")
    ]


def test_it_shows_the_audit_log_to_staff_read_only(client: Client, staff: User) -> None:
    TOTP.activate(staff, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    client.force_login(staff)
    event = AccessEvent.objects.create(kind="login_failure", email="intruder@example.test")

    changelist = client.get(reverse("admin:organisation_accessevent_changelist"), {"q": "intruder"})
    assert changelist.status_code == 200
    assert "intruder@example.test" in changelist.content.decode()
    assert (
        client.get(
            reverse("admin:organisation_accessevent_changelist"), {"kind__exact": "logout"}
        ).status_code
        == 200
    )
    assert client.get(reverse("admin:organisation_accessevent_add")).status_code == 403
    assert (
        client.get(reverse("admin:organisation_accessevent_delete", args=[event.pk])).status_code
        == 403
    )
    change = client.post(
        reverse("admin:organisation_accessevent_change", args=[event.pk]),
        {"kind": "logout", "email": "tampered@example.test"},
    )
    assert change.status_code == 403
    event.refresh_from_db()
    assert event.email == "intruder@example.test"
