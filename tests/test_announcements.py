from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from announcements.models import Announcement, Dismissal
from organisation.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def announcement(db: None) -> Announcement:
    return Announcement.objects.create(
        title="Nouveau : la semaine",
        body="L’agenda a maintenant une vue semaine.",
        video_url="https://videos.example.test/semaine",
        for_advisors=True,
        for_managers=False,
    )


def test_it_shows_an_announcement_until_dismissed_then_never_again(
    client: Client, advisor: User, announcement: Announcement
) -> None:
    client.force_login(advisor)
    agenda = reverse("visits:agenda")
    first = client.get(agenda).content.decode()
    assert announcement.title in first
    assert "https://videos.example.test/semaine" in first
    assert announcement.title in client.get(agenda).content.decode()

    response = client.post(
        reverse("announcements:dismiss", args=[announcement.pk]), {"next": agenda}
    )
    assert response.status_code == 302 and response["Location"] == agenda

    assert announcement.title not in client.get(agenda).content.decode()
    assert Dismissal.objects.filter(user=advisor).count() == 1


def test_it_dismisses_through_htmx_with_an_empty_swap(
    client: Client, advisor: User, announcement: Announcement
) -> None:
    client.force_login(advisor)
    response = client.post(
        reverse("announcements:dismiss", args=[announcement.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and response.content == b""
    # Dismissing twice is harmless.
    client.post(reverse("announcements:dismiss", args=[announcement.pk]))
    assert Dismissal.objects.filter(user=advisor).count() == 1


def test_it_targets_roles_and_waits_for_the_publication_date(
    client: Client, manager: User, advisor: User, announcement: Announcement
) -> None:
    later = Announcement.objects.create(
        title="Bientôt", body="…", published_at=timezone.now() + timedelta(days=1)
    )
    client.force_login(manager)
    assert announcement.title not in client.get(reverse("visits:agenda")).content.decode()
    response = client.post(reverse("announcements:dismiss", args=[announcement.pk]))
    assert response.status_code == 404

    client.force_login(advisor)
    assert later.title not in client.get(reverse("visits:agenda")).content.decode()


def test_it_lists_every_announcement_again_after_dismissal(
    client: Client, advisor: User, announcement: Announcement
) -> None:
    Dismissal.objects.create(user=advisor, announcement=announcement)
    client.force_login(advisor)
    page = client.get(reverse("announcements:list")).content.decode()
    assert announcement.title in page
    assert "Nouveautés" in page


def test_it_refuses_a_dismissal_by_get(
    client: Client, advisor: User, announcement: Announcement
) -> None:
    client.force_login(advisor)
    assert client.get(reverse("announcements:dismiss", args=[announcement.pk])).status_code == 405


def test_it_ignores_an_outside_next_url(
    client: Client, advisor: User, announcement: Announcement
) -> None:
    client.force_login(advisor)
    response = client.post(
        reverse("announcements:dismiss", args=[announcement.pk]),
        {"next": "https://evil.example/"},
    )
    assert response["Location"] == "/"
