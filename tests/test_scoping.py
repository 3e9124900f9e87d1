"""Agency scoping: one mechanism, deny by default, 404 on another agency's objects."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from organisation.models import Agency, Membership, Role, User
from organisation.scoping import get_for_user_or_404
from tests.factories import ProspectFactory, UserFactory, VisitFactory
from visits.models import Prospect, Visit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [Role.ADVISOR, Role.MANAGER])
def test_it_answers_404_on_another_agencys_visit(
    client: Client, agency: Agency, other_agency: Agency, role: Role
) -> None:
    user = UserFactory(role=role, agencies=[agency])
    own = VisitFactory(prospect__agency=agency, advisor=user)
    foreign = VisitFactory(prospect__agency=other_agency)
    client.force_login(user)

    assert client.get(reverse("visits:visit_detail", args=[own.pk])).status_code == 200
    response = client.get(reverse("visits:visit_detail", args=[foreign.pk]))
    assert response.status_code == 404
    assert foreign.prospect.last_name not in response.content.decode()


def test_it_answers_the_same_404_for_a_missing_visit(client: Client, advisor: User) -> None:
    client.force_login(advisor)
    assert client.get(reverse("visits:visit_detail", args=[999999])).status_code == 404


def test_it_lets_staff_see_every_agency(agency: Agency, other_agency: Agency, staff: User) -> None:
    VisitFactory(prospect__agency=agency)
    VisitFactory(prospect__agency=other_agency)
    assert Visit.objects.for_user(staff).count() == 2
    assert Agency.objects.for_user(staff).count() == 2


def test_it_denies_by_default(agency: Agency) -> None:
    ProspectFactory(agency=agency)
    roleless = UserFactory(role="", agencies=[agency])
    inactive = UserFactory(role=Role.MANAGER, agencies=[agency], is_active=False)
    from django.contrib.auth.models import AnonymousUser

    for user in (roleless, inactive, AnonymousUser()):
        assert Prospect.objects.for_user(user).count() == 0
        assert Agency.objects.for_user(user).count() == 0


def test_it_scopes_a_person_of_two_agencies_to_both(agency: Agency, other_agency: Agency) -> None:
    third = Agency.objects.create(
        brand=agency.brand,
        code="X-3",
        name="Third",
        address="a",
        postal_code="1",
        city="c",
        phone="p",
        email="x@y.test",
    )
    user = UserFactory(role=Role.MANAGER, agencies=[agency, other_agency])
    for a in (agency, other_agency, third):
        ProspectFactory(agency=a)
    visible = Prospect.objects.for_user(user)
    assert {p.agency_id for p in visible} == {agency.pk, other_agency.pk}
    assert visible.count() == 2  # no duplicate rows from the membership join


def test_it_refuses_an_unscoped_queryset(advisor: User) -> None:
    with pytest.raises(TypeError):
        get_for_user_or_404(User.objects.all(), advisor, pk=advisor.pk)


def test_it_sends_anonymous_people_to_the_login_page(client: Client, agency: Agency) -> None:
    visit = VisitFactory(prospect__agency=agency)
    response = client.get(reverse("visits:visit_detail", args=[visit.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_membership_ended_or_added_changes_the_scope_on_the_next_request(
    client: Client, agency: Agency, other_agency: Agency
) -> None:
    manager = UserFactory(role=Role.MANAGER, agencies=[agency, other_agency])
    theirs = VisitFactory(prospect__agency=other_agency)
    client.force_login(manager)
    url = reverse("visits:visit_detail", args=[theirs.pk])
    assert client.get(url).status_code == 200  # the scope is now cached for this person
    Membership.objects.filter(user=manager, agency=other_agency).delete()
    assert client.get(url).status_code == 404
    manager.agencies.add(other_agency)
    assert client.get(url).status_code == 200
    assert set(Visit.objects.for_user(manager)) >= {theirs}
