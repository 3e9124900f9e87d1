"""The visit flow, step by step: full pages and htmx partials, validation, no partial write."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from organisation.models import Agency, User
from tests.factories import VisitFactory
from visits.catalogue import catalogue_current
from visits.models import CatalogueVersion, Prospect, Visit, VisitStatus

pytestmark = pytest.mark.django_db

STEPS = [
    "prospect",
    "dwelling",
    "ironing_extras",
    "household",
    "instructions",
    "schedule",
    "estimate",
    "summary",
]


@pytest.fixture
def visit(catalogues: list[CatalogueVersion], advisor: User) -> Visit:
    return VisitFactory(prospect__agency=advisor.agencies.get(), advisor=advisor)


@pytest.fixture
def visit_before_consent(catalogues: list[CatalogueVersion], advisor: User) -> Visit:
    return VisitFactory(
        prospect__agency=advisor.agencies.get(), prospect__consent_at=None, advisor=advisor
    )


@pytest.fixture
def signed_in(client: Client, advisor: User) -> Client:
    client.force_login(advisor)
    return client


def url(visit: Visit, step: str) -> str:
    return reverse("visits:visit_step", args=[visit.pk, step])


def meta(visit: Visit, **extra: Any) -> dict[str, Any]:
    visit.refresh_from_db()
    ids = [catalogue_current(activity=a).pk for a in visit.activities]
    return {"base_version": visit.version, "catalogue_versions": ids, **extra}


def room(n: int, type_: str, **fields: str) -> dict[str, str]:
    data = {f"rooms-{n}-type": type_}
    data.update({f"rooms-{n}-{k}": v for k, v in fields.items()})
    return data


DWELLING = {"dwelling_type": "flat", "surface_m2": "70", "levels": "1", "cluttered": "no"}


@pytest.mark.parametrize("step", STEPS)
def test_it_renders_each_step_as_a_page_and_as_a_partial(
    signed_in: Client, visit: Visit, step: str
) -> None:
    page = signed_in.get(url(visit, step))
    assert page.status_code == 200
    assert "<html" in page.content.decode()
    # An id names one element: htmx swaps "#step", labels point at their field (a
    # <template>'s content is not in the document until a row is added from it).
    live = re.sub(r"<template\b.*?</template>", "", page.content.decode(), flags=re.S)
    ids = re.findall(r'\sid="([^"]+)"', live)
    assert ids.count("step") == 1
    assert not {i for i in ids if ids.count(i) > 1}, "ids used twice"
    partial = signed_in.get(url(visit, step), headers={"HX-Request": "true"})
    body = partial.content.decode()
    assert partial.status_code == 200
    assert "<html" not in body and 'id="step"' in body
    assert "HX-Request" in partial["Vary"]


def test_it_skips_the_garden_step_for_housekeeping_and_adds_it_for_gardening(
    signed_in: Client, visit: Visit
) -> None:
    assert signed_in.get(url(visit, "garden")).status_code == 404
    visit.activities = ["housekeeping", "gardening"]
    visit.save()
    page = signed_in.get(url(visit, "garden")).content.decode()
    assert "Pelouse à tondre" in page
    assert signed_in.get(url(visit, "dwelling")).status_code == 200


def test_it_records_the_prospect_and_consent_then_goes_on(
    signed_in: Client, visit_before_consent: Visit
) -> None:
    visit = visit_before_consent
    prospect = visit.prospect
    data = {
        "civility": "mrs",
        "first_name": "Marie",
        "last_name": "Lambert",
        "email": "marie@example.test",
        "phone": "06 11 22 33 44",
        "address": "3 rue Crébillon",
        "postal_code": "44000",
        "city": "Nantes",
        "adults": "2",
        "dependent_children": "1",
        "members_over_65": "0",
        "wants_immediate_advance": "on",
        "consent": "on",
    }
    response = signed_in.post(url(visit, "prospect"), meta(visit, **data))
    assert response.status_code == 303
    assert response["Location"] == url(visit, "dwelling")
    prospect.refresh_from_db()
    visit.refresh_from_db()
    assert prospect.address == "3 rue Crébillon" and prospect.dependent_children == 1
    assert (
        prospect.wants_immediate_advance and prospect.consent_at and prospect.consent_text_version
    )
    assert visit.status == VisitStatus.IN_PROGRESS and visit.version == 2
    assert "prospect" in visit.completed_steps


def test_a_consent_given_offline_keeps_the_tablets_time(
    signed_in: Client, visit_before_consent: Visit
) -> None:
    visit = visit_before_consent
    given = timezone.now() - timedelta(hours=3)
    data = {
        "first_name": "Marie",
        "last_name": "Lambert",
        "address": "3 rue Crébillon",
        "postal_code": "44000",
        "city": "Nantes",
        "adults": "1",
        "dependent_children": "0",
        "members_over_65": "0",
        "consent": "on",
        "captured_at": given.isoformat(),
    }
    response = signed_in.post(url(visit, "prospect"), meta(visit, **data))
    assert response.status_code == 303
    prospect = Prospect.objects.get(pk=visit.prospect_id)
    assert prospect.consent_at == given
    assert prospect.consent_received_at and prospect.consent_received_at > given


def test_it_requires_consent_before_anything_is_recorded(
    signed_in: Client, visit_before_consent: Visit
) -> None:
    visit = visit_before_consent
    data = {
        "first_name": "Marie",
        "last_name": "L",
        "address": "a",
        "postal_code": "4400",
        "city": "N",
        "adults": "0",
        "dependent_children": "0",
        "members_over_65": "0",
    }
    response = signed_in.post(url(visit, "prospect"), meta(visit, **data))
    page = response.content.decode()
    assert response.status_code == 422
    assert "Ce champ est obligatoire." in page  # consent
    assert "Un code postal comporte 5 chiffres." in page
    assert "Un foyer compte au moins un adulte." in page
    visit.refresh_from_db()
    assert visit.version == 1 and visit.status == VisitStatus.SCHEDULED


def test_it_adds_duplicates_and_removes_rooms_and_saves_them(
    signed_in: Client, visit: Visit
) -> None:
    # Adding a room works before the other questions are answered.
    signed_in.post(url(visit, "dwelling"), meta(visit, **{"rooms-TOTAL": "0", "op": "add:kitchen"}))
    visit.refresh_from_db()
    assert [r["type"] for r in visit.answers["rooms"]] == ["kitchen"]
    assert "dwelling" not in visit.completed_steps
    kitchen = visit.answers["rooms"][0]

    data = {
        **DWELLING,
        "rooms-TOTAL": "2",
        **room(
            0,
            "kitchen",
            uid=kitchen["uid"],
            label="Cuisine",
            **{"task-floors": "each", "task-worktops": "every_2"},
        ),
        **room(
            1,
            "bedroom",
            label="Chambre parents",
            surface_m2="14,5",
            instructions="Ne pas ouvrir l’armoire",
            **{"task-beds": "each"},
        ),
        "op": "duplicate:1",
    }
    response = signed_in.post(url(visit, "dwelling"), meta(visit, **data))
    assert response.status_code == 303 and response["Location"] == url(visit, "dwelling")
    visit.refresh_from_db()
    rooms = visit.answers["rooms"]
    assert [r["label"] for r in rooms] == ["Cuisine", "Chambre parents", "Chambre parents"]
    assert rooms[0]["uid"] == kitchen["uid"] and rooms[1]["uid"] != rooms[2]["uid"]
    assert rooms[1]["surface_m2"] == 14.5 and rooms[1]["tasks"]["beds"] == "each"
    assert rooms[1]["tasks"]["dusting"] == "never"
    assert rooms[2]["instructions"] == "Ne pas ouvrir l’armoire"

    data = {
        **DWELLING,
        "rooms-TOTAL": "3",
        **{
            f"rooms-{i}-{k}": v
            for i, r in enumerate(rooms)
            for k, v in {"uid": r["uid"], "type": r["type"], "label": r["label"]}.items()
        },
        "op": "remove:0",
    }
    signed_in.post(url(visit, "dwelling"), meta(visit, **data))
    visit.refresh_from_db()
    assert [r["type"] for r in visit.answers["rooms"]] == ["bedroom", "bedroom"]

    data = {**DWELLING, "rooms-TOTAL": "0"}
    response = signed_in.post(url(visit, "dwelling"), meta(visit, **data))
    assert response["Location"] == url(visit, "ironing_extras")
    visit.refresh_from_db()
    assert visit.answers["rooms"] == [] and visit.answers["surface_m2"] == 70
    assert "dwelling" in visit.completed_steps


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"surface_m2": "5000"}, "inférieure ou égale à 1000"),
        ({"surface_m2": "abc"}, "Saisissez un nombre."),
        ({"dwelling_type": "castle"}, "Sélectionnez un choix valide."),
        ({"levels": ""}, "Ce champ est obligatoire."),
        ({"rooms-TOTAL": "1", "rooms-0-type": "garage"}, "Choisissez un type de pièce."),
        (
            {"rooms-TOTAL": "1", "rooms-0-type": "kitchen", "rooms-0-surface_m2": "-3"},
            "entre 0 et 500",
        ),
        (
            {"rooms-TOTAL": "1", "rooms-0-type": "kitchen", "rooms-0-task-floors": "hourly"},
            "Fréquence inconnue",
        ),
        ({"rooms-TOTAL": "999"}, "La liste des pièces est mal formée."),
        ({"favourite_colour": "blue"}, "Questions inconnues : favourite_colour"),
    ],
)
def test_it_refuses_bad_answers_and_writes_nothing(
    signed_in: Client, visit: Visit, change: dict[str, str], message: str
) -> None:
    data = {**DWELLING, "rooms-TOTAL": "0", **change}
    response = signed_in.post(url(visit, "dwelling"), meta(visit, **data))
    assert response.status_code == 422
    assert message in response.content.decode()
    visit.refresh_from_db()
    assert visit.version == 1 and visit.answers == {} and visit.status == VisitStatus.SCHEDULED


def test_it_stores_a_stale_edit_of_the_same_answer_as_a_conflict(
    signed_in: Client, visit: Visit
) -> None:
    data = meta(visit, priorities="Salon", never_touch="", general_instructions="")
    signed_in.post(url(visit, "instructions"), data)
    stale = {**data, "priorities": "Cuisine"}  # based on version 1, now 2
    response = signed_in.post(url(visit, "instructions"), stale)
    assert response.status_code == 409
    assert "Quelqu’un d’autre a modifié ces réponses" in response.content.decode()
    visit.refresh_from_db()
    assert visit.answers["priorities"] == "Salon" and visit.version == 2
    conflict = visit.conflicts.get()
    assert conflict.mine == {"answers.priorities": "Cuisine"}
    assert conflict.theirs == {"answers.priorities": "Salon"}
    assert conflict.base_version == 1 and conflict.server_version == 2


def test_it_refuses_a_wrong_catalogue_version(signed_in: Client, visit: Visit) -> None:
    gardening = catalogue_current(activity="gardening")
    data = {**meta(visit), "catalogue_versions": [gardening.pk], "priorities": "x"}
    response = signed_in.post(url(visit, "instructions"), data)
    assert response.status_code == 409
    assert "ne correspondent pas" in response.content.decode()
    visit.refresh_from_db()
    assert visit.version == 1 and not visit.catalogue_versions.exists()


def test_it_answers_404_for_another_agencys_visit(
    signed_in: Client, catalogues: list[CatalogueVersion], other_agency: Agency
) -> None:
    foreign = VisitFactory(prospect__agency=other_agency)
    assert signed_in.get(url(foreign, "dwelling")).status_code == 404
    response = signed_in.post(url(foreign, "instructions"), meta(foreign, priorities="x"))
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.version == 1


def test_it_answers_an_htmx_submit_with_the_next_step(signed_in: Client, visit: Visit) -> None:
    response = signed_in.post(
        url(visit, "instructions"), meta(visit, priorities="Salon"), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response["HX-Push-Url"] == url(visit, "schedule")
    body = response.content.decode()
    assert "<html" not in body and "Fréquence des interventions" in body
    invalid = signed_in.post(
        url(visit, "schedule"), meta(visit, frequency="hourly"), headers={"HX-Request": "true"}
    )
    assert invalid.status_code == 422 and "<html" not in invalid.content.decode()


def _fill_housekeeping(client: Client, visit: Visit) -> None:
    rooms = {
        "rooms-TOTAL": "3",
        **room(
            0,
            "kitchen",
            **{"task-floors": "each", "task-worktops": "each", "task-appliances": "each"},
        ),
        **room(1, "living", **{"task-dusting": "each", "task-floors": "each"}),
        **room(
            2,
            "bathroom",
            **{"task-sanitary": "each", "task-floors": "each", "task-mirrors": "every_2"},
        ),
    }
    steps = {
        "dwelling": {**DWELLING, **rooms},
        "ironing_extras": {
            "ironing_shirts_per_week": "6",
            "extras": ["oven"],
            "extras_frequency": "every_4",
        },
        "household": {
            "products_by": "client",
            "keys": "key_box",
            "door_code": "4521B",
            "alarm": "no",
        },
        "instructions": {"priorities": "La cuisine d’abord", "never_touch": "Le piano"},
        "schedule": {
            "frequency": "weekly",
            "days": ["mon", "thu"],
            "time_slots": ["morning"],
            "start_date": "2026-12-07",
        },
    }
    for step, data in steps.items():
        response = client.post(url(visit, step), meta(visit, **data))
        assert response.status_code == 303, (step, response.content.decode()[:2000])


def test_it_estimates_keeps_the_override_and_its_reason(signed_in: Client, visit: Visit) -> None:
    _fill_housekeeping(signed_in, visit)
    page = signed_in.get(url(visit, "estimate")).content.decode()
    # kitchen 33 + living 51 + bathroom 31.5 + oven 15/4 + 6 shirts × 5 = 149.25 → 2 h 30
    assert "Pourquoi 2 h 30" in page

    response = signed_in.post(
        url(visit, "estimate"), meta(visit, proposed_minutes="180", override_reason="")
    )
    assert response.status_code == 422
    assert "Dites pourquoi" in response.content.decode()

    response = signed_in.post(
        url(visit, "estimate"),
        meta(visit, proposed_minutes="180", override_reason="Grande maison de famille"),
    )
    assert response.status_code == 303 and response["Location"] == url(visit, "summary")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.NEEDS_CAPTURED
    assert (visit.estimated_minutes, visit.proposed_minutes) == (150, 180)
    assert (
        visit.override_reason == "Grande maison de famille" and visit.estimator_version == "2026.1"
    )
    assert visit.estimate["activities"][0]["raw_minutes"] == 149.25

    summary = signed_in.get(url(visit, "summary")).content.decode()
    for shown in (
        "La cuisine d’abord",
        "Le piano",
        "Boîte à clés",
        "Lundi, Jeudi",
        "2 h 30",
        "3 h",
        "Grande maison de famille",
    ):
        assert shown in summary, shown

    # Changing an answer the estimate does not see keeps it (a quote made on it stands);
    # one that changes the estimate sends the visit back to capture.
    signed_in.post(url(visit, "instructions"), meta(visit, priorities="Le salon"))
    visit.refresh_from_db()
    assert visit.status == VisitStatus.NEEDS_CAPTURED
    signed_in.post(
        url(visit, "ironing_extras"),
        meta(visit, ironing_shirts_per_week="12", extras=["oven"], extras_frequency="every_4"),
    )
    visit.refresh_from_db()
    assert visit.status == VisitStatus.IN_PROGRESS


def test_it_refuses_an_estimate_with_nothing_to_estimate(signed_in: Client, visit: Visit) -> None:
    signed_in.post(url(visit, "instructions"), meta(visit, priorities="x"))
    response = signed_in.post(url(visit, "estimate"), meta(visit))
    assert response.status_code == 422
    assert "Rien à estimer" in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == VisitStatus.IN_PROGRESS and visit.estimated_minutes is None


def test_it_refuses_changes_to_a_closed_visit(signed_in: Client, visit: Visit) -> None:
    Visit.objects.filter(pk=visit.pk).update(status=VisitStatus.SIGNED)
    response = signed_in.post(url(visit, "instructions"), meta(visit, priorities="x"))
    assert response.status_code == 422
    assert "ne peut plus être modifiée" in response.content.decode()


def test_it_renders_steps_with_the_same_queries_whatever_the_rooms(
    signed_in: Client, visit: Visit
) -> None:
    def count() -> int:
        signed_in.get(url(visit, "dwelling"))  # warm the catalogue cache
        with CaptureQueriesContext(connection) as queries:
            assert signed_in.get(url(visit, "dwelling")).status_code == 200
        return len(queries)

    Visit.objects.filter(pk=visit.pk).update(
        answers={"rooms": [{"uid": "a", "type": "kitchen", "tasks": {}}]}
    )
    one = count()
    twelve = [
        {"uid": str(i), "type": t, "tasks": {"floors": "each"}, "label": f"P{i}"}
        for i, t in enumerate(["kitchen", "bedroom", "living", "bathroom"] * 3)
    ]
    Visit.objects.filter(pk=visit.pk).update(answers={"rooms": twelve})
    assert count() == one
    for step in STEPS:
        with CaptureQueriesContext(connection) as queries:
            signed_in.get(url(visit, step))
        assert len(queries) <= 12, (step, [q["sql"] for q in queries])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"base_version": ""}, "quelle version"),
        ({"base_version": "v2"}, "quelle version"),
        ({"submission_id": "42"}, "UUID"),
    ],
)
def test_it_refuses_a_step_that_would_overwrite_blindly(
    signed_in: Client, visit: Visit, change: dict[str, str], message: str
) -> None:
    data = {**meta(visit, priorities="Le salon"), **change}
    response = signed_in.post(url(visit, "instructions"), data, headers={"X-Nomad-Sync": "1"})
    assert response.status_code == 400
    assert message in response.json()["message"]
    visit.refresh_from_db()
    assert visit.version == 1 and "priorities" not in visit.answers


def test_the_summary_speaks_french_not_codes(signed_in: Client, visit: Visit) -> None:
    # A room without a label is named by its type, surfaces and dates in French figures.
    answers = {
        **visit.answers,
        "start_date": "2027-01-05",
        "rooms": [
            {"type": "kitchen", "label": "", "surface_m2": "28.5", "instructions": ""},
            {"type": "bathroom", "label": "Salle d'eau du haut", "surface_m2": "6"},
        ],
    }
    Visit.objects.filter(pk=visit.pk).update(answers=answers)
    summary = signed_in.get(url(visit, "summary")).content.decode()
    assert "Cuisine (28,5 m²)" in summary
    assert "Salle d&#x27;eau du haut (6 m²)" in summary
    assert "5 janvier 2027" in summary and "2027-01-05" not in summary
    assert ">kitchen<" not in summary and "bathroom (" not in summary


@pytest.mark.parametrize(
    ("value", "shown"), [(3.75, "4 min"), (20.6, "21 min"), (2.5, "3 min"), (12, "12 min")]
)
def test_a_breakdown_line_is_shown_to_the_minute(value: float, shown: str) -> None:
    from visits.templatetags.visit_tags import minutes

    assert minutes(value) == shown
