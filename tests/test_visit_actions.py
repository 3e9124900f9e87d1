"""Walk-in visits, assignment by the manager, lost and cancelled, the allowed transitions."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from organisation.models import Agency, Role, User
from tests.factories import UserFactory, VisitFactory
from visits.models import TRANSITIONS, Visit, VisitStatus
from visits.services import TransitionNotAllowed, visit_set_status

pytestmark = pytest.mark.django_db

WALK_IN = {
    "first_name": "Paul",
    "last_name": "Girard",
    "phone": "06 10 20 30 40",
    "email": "",
    "address": "5 rue Kervégan",
    "postal_code": "44000",
    "city": "Nantes",
    "scheduled_at": "2026-12-02T10:30",
    "activities": ["housekeeping", "gardening"],
}


def test_an_advisor_creates_a_walk_in_visit_for_themselves(
    client: Client, advisor: User, agency: Agency
) -> None:
    client.force_login(advisor)
    assert client.get(reverse("visits:visit_create")).status_code == 200
    key = str(uuid.uuid4())
    data = {**WALK_IN, "agency": agency.pk, "client_uuid": key}
    response = client.post(reverse("visits:visit_create"), data)
    visit = Visit.objects.get(uuid=key)
    assert response["Location"] == reverse("visits:visit_detail", args=[visit.pk])
    assert visit.advisor == advisor and visit.agency == agency
    assert visit.activities == ["housekeeping", "gardening"]
    assert visit.prospect.last_name == "Girard"
    # The same submission replayed creates nothing more.
    client.post(reverse("visits:visit_create"), data)
    assert Visit.objects.filter(prospect__last_name="Girard").count() == 1


def test_a_walk_in_visit_needs_valid_fields_and_an_own_agency(
    client: Client, advisor: User, other_agency: Agency
) -> None:
    client.force_login(advisor)
    data = {**WALK_IN, "agency": other_agency.pk, "postal_code": "ABC", "activities": []}
    response = client.post(reverse("visits:visit_create"), data)
    page = response.content.decode()
    assert response.status_code == 422
    assert "Sélectionnez un choix valide" in page  # not one of my agencies
    assert "Ce champ est obligatoire." in page
    assert not Visit.objects.exists()


def test_a_manager_creates_and_assigns_to_an_advisor_of_the_agency(
    client: Client, manager: User, agency: Agency, other_agency: Agency
) -> None:
    advisor = UserFactory(role=Role.ADVISOR, agencies=[agency])
    outsider = UserFactory(role=Role.ADVISOR, agencies=[other_agency])
    client.force_login(manager)
    client.post(
        reverse("visits:visit_create"), {**WALK_IN, "agency": agency.pk, "advisor": advisor.pk}
    )
    visit = Visit.objects.get()
    assert visit.advisor == advisor

    response = client.post(
        reverse("visits:visit_assign", args=[visit.pk]), {"advisor": outsider.pk}
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.advisor == advisor  # an advisor of another agency is refused

    other = UserFactory(role=Role.ADVISOR, agencies=[agency])
    client.post(reverse("visits:visit_assign", args=[visit.pk]), {"advisor": other.pk})
    visit.refresh_from_db()
    assert visit.advisor == other and visit.version == 2


def test_an_advisor_cannot_assign(client: Client, advisor: User, agency: Agency) -> None:
    visit = VisitFactory(prospect__agency=agency, advisor=advisor)
    client.force_login(advisor)
    response = client.post(reverse("visits:visit_assign", args=[visit.pk]), {"advisor": advisor.pk})
    assert response.status_code == 403


def test_a_manager_cannot_assign_another_agencys_visit(
    client: Client, manager: User, other_agency: Agency
) -> None:
    visit = VisitFactory(prospect__agency=other_agency)
    client.force_login(manager)
    assert client.post(reverse("visits:visit_assign", args=[visit.pk]), {}).status_code == 404


def test_a_visit_is_marked_lost_with_a_reason_and_stays_closed(
    client: Client, advisor: User, agency: Agency
) -> None:
    visit = VisitFactory(prospect__agency=agency, advisor=advisor)
    client.force_login(advisor)
    client.post(reverse("visits:visit_status", args=[visit.pk]), {"status": "lost", "reason": ""})
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SCHEDULED
    client.post(
        reverse("visits:visit_status", args=[visit.pk]), {"status": "lost", "reason": "Trop cher"}
    )
    visit.refresh_from_db()
    assert visit.status == VisitStatus.LOST and visit.status_reason == "Trop cher"
    response = client.post(
        reverse("visits:visit_status", args=[visit.pk]),
        {"status": "cancelled", "reason": "x"},
        follow=True,
    )
    assert "Une visite ne peut pas passer de « Perdue » à « Annulée »." in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == VisitStatus.LOST


@pytest.mark.parametrize(
    ("start", "end", "allowed"),
    [
        ("scheduled", "in_progress", True),
        ("scheduled", "signed", False),
        ("scheduled", "cancelled", True),
        ("in_progress", "needs_captured", True),
        ("in_progress", "quoted", False),
        ("needs_captured", "quoted", True),
        ("needs_captured", "in_progress", True),
        ("quoted", "signed", True),
        ("signed", "lost", False),
        ("lost", "in_progress", False),
        ("cancelled", "scheduled", False),
    ],
)
def test_it_allows_only_the_documented_transitions(
    start: str, end: str, allowed: bool, agency: Agency
) -> None:
    assert (end in TRANSITIONS[start]) is allowed
    visit = VisitFactory(prospect__agency=agency, status=start)
    if allowed:
        assert visit_set_status(visit=visit, status=end, reason="").status == end
    else:
        with pytest.raises(TransitionNotAllowed):
            visit_set_status(visit=visit, status=end, reason="")
