"""A visit created on the tablet without network: its blank pages are prepared, its
creation is one replayable write, and it is created once, in the advisor's agency."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client

from organisation.models import Agency, Role, User
from tests.factories import AgencyFactory, UserFactory, make_price_list
from visits.models import Prospect, Visit
from visits.offline_plan import TEMPLATE_VISIT

pytestmark = pytest.mark.django_db
SYNC = {"HTTP_X_NOMAD_SYNC": "1", "HTTP_X_NOMAD_DEVICE": "tablet-1"}


@pytest.fixture
def agency() -> Agency:
    agency = AgencyFactory()
    make_price_list(agency.brand)
    return agency


@pytest.fixture
def advisor(agency: Agency) -> User:
    return UserFactory(role=Role.ADVISOR, agencies=[agency])


@pytest.fixture
def tablet(client: Client, advisor: User) -> Client:
    client.force_login(advisor)
    return client


def test_the_blank_pages_of_a_new_visit_are_drawn_for_the_advisors_agency(
    tablet: Client, agency: Agency
) -> None:
    plan = tablet.get("/hors-ligne/preparation/?period=day").json()
    urls = plan["templates"]
    assert any(u.startswith(f"/visites/{TEMPLATE_VISIT}/etapes/prospect/") for u in urls)
    assert "/visites/nouvelle/" in plan["pages"]
    for url in urls:
        answer = tablet.get(url)
        assert answer.status_code == 200, url
        if url.endswith(".json") or "donnees.json" in url:
            assert answer.json()["visit"]["version"] == 1
        else:
            assert str(TEMPLATE_VISIT) in answer.content.decode()
    # Nothing of another agency, and a blank visit takes no write.
    other = AgencyFactory()
    blank = f"/visites/{TEMPLATE_VISIT}/etapes/prospect/"
    assert tablet.get(f"{blank}?modele={other.pk}:housekeeping").status_code == 404
    assert tablet.get(blank).status_code == 404
    assert tablet.post(f"{blank}?modele={agency.pk}:housekeeping").status_code == 404
    assert not Visit.objects.exists() and not Prospect.objects.exists()


def _walk_in(agency: Agency, visit_id: uuid.UUID, **changes: Any) -> dict[str, Any]:
    return {
        "client_uuid": str(visit_id),
        "first_name": "Jeanne",
        "last_name": "Martin",
        "address": "3 rue des Lilas",
        "postal_code": "44000",
        "city": "Nantes",
        "scheduled_at": "2026-12-01T10:00",
        "activities": ["housekeeping"],
        "agency": str(agency.pk),
        **changes,
    }


def test_a_walk_in_is_created_once_from_the_outbox(tablet: Client, agency: Agency) -> None:
    visit_id = uuid.uuid4()
    body = _walk_in(agency, visit_id)
    first = tablet.post("/visites/nouvelle/", body, **SYNC)
    assert first.status_code == 200, first.content
    again = tablet.post("/visites/nouvelle/", body, **SYNC)
    assert again.status_code == 200 and again.json() == first.json()
    visit = Visit.objects.get()
    assert visit.uuid == visit_id and visit.agency == agency
    assert first.json()["visit"] == {"id": visit.pk, "uuid": str(visit_id)}
    # Its pages now answer by the tablet's id too.
    assert tablet.get(f"/visites/{visit_id}/etapes/prospect/").status_code == 200


def test_a_walk_in_in_a_foreign_agency_is_refused_clearly(tablet: Client) -> None:
    other = AgencyFactory()
    answer = tablet.post("/visites/nouvelle/", _walk_in(other, uuid.uuid4()), **SYNC)
    assert answer.status_code == 422
    assert "agency" in answer.json()["errors"]
    assert not Visit.objects.exists()


def test_a_walk_in_without_its_id_is_refused(tablet: Client, agency: Agency) -> None:
    body = _walk_in(agency, uuid.uuid4(), client_uuid="nope")
    answer = tablet.post("/visites/nouvelle/", body, **SYNC)
    assert answer.status_code == 400
    assert not Visit.objects.exists()


def test_a_walk_in_form_shown_again_keeps_its_id(tablet: Client, agency: Agency) -> None:
    # A form corrected and sent again is the same walk-in: sent twice (a double tap, a
    # lost answer), it still makes one visit.
    visit_id = uuid.uuid4()
    refused = tablet.post("/visites/nouvelle/", _walk_in(agency, visit_id, last_name=""))
    assert refused.status_code == 422
    assert f'name="client_uuid" value="{visit_id}"' in refused.content.decode()
    for _ in range(2):
        tablet.post("/visites/nouvelle/", _walk_in(agency, visit_id))
    assert Visit.objects.get().uuid == visit_id
