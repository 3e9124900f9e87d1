"""The questionnaire as data: default catalogue, publishing, immutability, versions kept."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.test import Client
from django.urls import reverse

from organisation.models import User
from tests.factories import VisitFactory
from visits.catalogue import (
    CatalogueError,
    catalogue_as_dict,
    catalogue_current,
    catalogue_load_default,
    catalogue_new_draft,
    catalogue_publish,
    visit_catalogues,
)
from visits.models import CatalogueVersion, Norm, Question
from visits.services import WriteContext, visit_save_answers

pytestmark = pytest.mark.django_db


def test_it_ships_a_complete_default_catalogue_once(catalogues: list[CatalogueVersion]) -> None:
    assert sorted(str(v) for v in catalogues) == ["Jardinage — v1", "Ménage-repassage — v1"]
    assert catalogue_load_default() == []
    housekeeping = catalogue_as_dict(version_id=catalogue_current(activity="housekeeping").pk)
    steps = {s["step"] for s in housekeeping["sections"]}
    assert steps == {"dwelling", "ironing_extras", "household", "instructions", "schedule"}
    types = {q["type"] for s in housekeeping["sections"] for q in s["questions"]}
    assert types == {"choice", "multi_choice", "number", "yes_no", "text", "date", "rooms"}
    assert {rt["key"] for rt in housekeeping["room_types"]} >= {
        "kitchen",
        "bathroom",
        "bedroom",
        "living",
    }
    assert housekeeping["norms"]["shirt_minutes"] == "5"
    gardening = catalogue_as_dict(version_id=catalogue_current(activity="gardening").pk)
    assert {"lawn_m2", "hedge_m", "weeding_m2", "green_waste"} <= {
        q["key"] for s in gardening["sections"] for q in s["questions"]
    }
    # Labels in both languages everywhere.
    for s in housekeeping["sections"]:
        for q in s["questions"]:
            assert q["label_fr"] and q["label_en"]


def test_it_publishes_a_draft_as_the_next_version(
    catalogues: list[CatalogueVersion], staff: User
) -> None:
    v1 = catalogue_current(activity="housekeeping")
    draft = catalogue_new_draft(source=v1)
    assert draft.number is None and not draft.is_published
    assert {
        k: v for k, v in catalogue_as_dict(version_id=draft.pk).items() if k not in {"id", "number"}
    } == {k: v for k, v in catalogue_as_dict(version_id=v1.pk).items() if k not in {"id", "number"}}
    Norm.objects.filter(version=draft, key="shirt_minutes").update(value=6)
    v2 = catalogue_publish(version=draft, user=staff)
    assert v2.number == 2 and v2.published_by == staff
    assert catalogue_current(activity="housekeeping") == v2
    assert catalogue_as_dict(version_id=v1.pk)["norms"]["shirt_minutes"] == "5"
    with pytest.raises(CatalogueError):
        catalogue_publish(version=v2, user=staff)


def test_it_refuses_to_publish_an_incomplete_draft(catalogues: list[CatalogueVersion]) -> None:
    draft = catalogue_new_draft(source=catalogue_current(activity="housekeeping"))
    Norm.objects.filter(version=draft, key="house_factor").delete()
    question = Question.objects.filter(section__version=draft, key="pets").get()
    question.pk = None
    question.save()  # the same key twice
    Question.objects.filter(section__version=draft, key="keys").update(choices=[{"value": "x"}])
    with pytest.raises(CatalogueError) as error:
        catalogue_publish(version=draft, user=None)
    text = " ".join(error.value.messages)
    assert "house_factor" in text and "pets" in text and "keys" in text
    draft.refresh_from_db()
    assert draft.number is None


def test_a_visit_keeps_the_version_it_started_with(
    catalogues: list[CatalogueVersion], advisor: User
) -> None:
    v1 = catalogue_current(activity="housekeeping")
    started = VisitFactory(prospect__agency=advisor.agencies.get(), advisor=advisor)
    visit_save_answers(
        visit=started,
        step="instructions",
        answers={"priorities": "Cuisine"},
        ctx=WriteContext(base_version=started.version),
        catalogue_ids=[v1.pk],
    )
    draft = catalogue_new_draft(source=v1)
    Question.objects.filter(section__version=draft, key="priorities").update(
        label_fr="Priorités du client"
    )
    v2 = catalogue_publish(version=draft, user=None)

    assert [c["id"] for c in visit_catalogues(visit=started)] == [v1.pk]
    fresh = VisitFactory(prospect__agency=advisor.agencies.get(), advisor=advisor)
    assert [c["id"] for c in visit_catalogues(visit=fresh)] == [v2.pk]


def test_it_keeps_published_versions_read_only_in_the_admin(
    client: Client, staff: User, catalogues: list[CatalogueVersion]
) -> None:
    TOTP.activate(staff, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    client.force_login(staff)
    v1 = catalogue_current(activity="housekeeping")
    url = reverse("admin:visits_catalogueversion_change", args=[v1.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    response = client.post(url, {"activity": "gardening", "notes": "changed"})
    assert response.status_code == 403
    v1.refresh_from_db()
    assert v1.activity == "housekeeping"
    section = v1.sections.first()
    assert (
        client.post(reverse("admin:visits_section_change", args=[section.pk]), {}).status_code
        == 403
    )


def test_it_publishes_and_copies_from_the_admin(
    client: Client, staff: User, catalogues: list[CatalogueVersion]
) -> None:
    TOTP.activate(staff, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    client.force_login(staff)
    v1 = catalogue_current(activity="gardening")
    changelist = reverse("admin:visits_catalogueversion_changelist")
    client.post(changelist, {"action": "new_draft", "_selected_action": [v1.pk]})
    draft = CatalogueVersion.objects.get(activity="gardening", number=None)
    client.post(changelist, {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.number == 2 and draft.is_published
