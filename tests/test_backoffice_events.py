"""Applying the back office's events (without Kafka: the consumer's per-message part),
the dead letters in the admin, and the mission sheet."""

from __future__ import annotations

import json
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.test import Client

from integrations.consumer import event_apply, message_handle
from integrations.models import DeadLetter, OutboxEvent, ProcessedEvent
from organisation.models import Agency, User
from tests.bus import ALARM_CODE, DOOR_CODE, backoffice_event, booking, visit_signed
from tests.conftest import login
from tests.factories import AgencyFactory
from visits.models import Visit, VisitStatus


@pytest.fixture
def bo_agency(agency: Agency) -> Agency:
    agency.backoffice_code = "ODY-T-10"
    agency.save()
    return agency


def _apply(type_: str, data: dict[str, Any], event_id: str = "") -> str:
    return event_apply(raw=backoffice_event(type_, data, event_id=event_id))


def test_it_keeps_the_newest_booking_when_events_arrive_out_of_order(
    bo_agency: Agency, advisor: User
) -> None:
    moved = booking(bo_agency, "BO-1", version=2, advisor=advisor, hours_from_now=50)
    first = booking(bo_agency, "BO-1", version=1, hours_from_now=26)
    assert _apply("backoffice.visit.rescheduled", moved) == "applied"
    assert _apply("backoffice.visit.scheduled", first) == "stale"
    visit = Visit.objects.get(backoffice_ref="BO-1")
    assert visit.scheduled_at.isoformat() == moved["scheduled_at"]
    assert visit.advisor == advisor

    cancelled = {"agency_code": "ODY-T-10", "version": 3, "visit_ref": "BO-1", "reason": "Décès"}
    assert _apply("backoffice.visit.cancelled", cancelled) == "applied"
    assert _apply("backoffice.visit.rescheduled", {**moved, "version": 2}) == "stale"
    visit.refresh_from_db()
    assert (visit.status, visit.status_reason) == (VisitStatus.CANCELLED, "Décès")
    assert not OutboxEvent.objects.exists()  # back-office facts are not echoed back


def test_it_records_the_service_start_on_the_visit(bo_agency: Agency) -> None:
    _apply("backoffice.visit.scheduled", booking(bo_agency, "BO-2"))
    started = {
        "agency_code": "ODY-T-10",
        "version": 1,
        "visit_ref": "BO-2",
        "started_at": "2026-03-02T09:00:00+01:00",
    }
    assert _apply("backoffice.service.started", started) == "applied"
    assert Visit.objects.get(backoffice_ref="BO-2").service_started_at.isoformat() == (
        "2026-03-02T08:00:00+00:00"
    )


def test_it_applies_an_event_id_once(bo_agency: Agency) -> None:
    data = booking(bo_agency, "BO-3")
    assert _apply("backoffice.visit.scheduled", data, event_id="e-1") == "applied"
    assert _apply("backoffice.visit.scheduled", {**data, "version": 5}, event_id="e-1") == (
        "duplicate"
    )
    assert ProcessedEvent.objects.count() == 1


def test_it_parks_a_message_and_applies_it_from_the_admin_once_fixed(
    db: None, client: Client
) -> None:
    agency = AgencyFactory()
    raw = backoffice_event("backoffice.visit.scheduled", booking(agency, "BO-4"))
    assert json.loads(raw)["data"]["agency_code"] is None  # no back-office code yet
    assert message_handle(topic="t", partition=0, offset=7, key=b"BO-4", value=raw) == "dead"
    assert message_handle(topic="t", partition=0, offset=8, key=None, value=b"\xff") == "dead"
    letter = DeadLetter.objects.get(offset=7)
    assert "agency_code" in letter.error

    agency.backoffice_code = "ODY-T-11"
    agency.save()
    letter.value = letter.value.replace('"agency_code": null', '"agency_code": "ODY-T-11"')
    letter.save()
    staff = User.objects.create_user("ops@example.test", "x", role="staff")
    TOTP.activate(staff, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    response = login(client, staff).post(
        "/admin/integrations/deadletter/",
        {"action": "retry", "_selected_action": [letter.pk, DeadLetter.objects.get(offset=8).pk]},
    )
    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.resolved and letter.retried_at is not None
    assert Visit.objects.filter(backoffice_ref="BO-4", agency=agency).exists()
    assert not DeadLetter.objects.get(offset=8).resolved


def test_it_publishes_the_mission_sheet_with_codes_and_without_prices(
    agency: Agency, advisor: User, catalogues: list[Any]
) -> None:
    visit = visit_signed(agency, advisor, catalogues)
    event = OutboxEvent.objects.get(type="mission.instructions.published")
    sheet = event.data
    assert event.aggregate_id == str(visit.uuid) and sheet["revision"] == 1
    assert sheet["access"]["door_code"] == DOOR_CODE
    assert sheet["access"]["alarm_code"] == ALARM_CODE
    assert sheet["pets"].startswith("Un chat")
    assert [r["name"] for r in sheet["rooms"]] == ["Cuisine", "Chambre de Léo"]
    assert sheet["rooms"][0]["tasks"][0] == {
        "label": "Sols (aspirateur et lavage)",
        "frequency": "À chaque intervention",
    }
    assert sheet["rooms"][1]["tasks"][0]["frequency"] == "Une intervention sur deux"
    assert sheet["products"] == {"provided_by": "Le client", "location": "Placard sous l'évier"}
    assert sheet["never_touch"] == "Le bureau de Monsieur"
    assert sheet["schedule"]["frequency"] == "Toutes les semaines"
    text = json.dumps(sheet, ensure_ascii=False)
    assert "€" not in text and "price" not in text and "ttc" not in text


def test_it_publishes_the_sheet_again_when_the_back_office_changes_the_address(
    agency: Agency, advisor: User, catalogues: list[Any]
) -> None:
    agency.backoffice_code = "ODY-T-12"
    agency.save()
    visit = visit_signed(agency, advisor, catalogues)
    prospect = visit.prospect
    prospect.backoffice_ref = "P-77"
    prospect.save()
    update = {
        "agency_code": "ODY-T-12",
        "version": 1,
        "prospect": {
            "ref": "P-77",
            "first_name": prospect.first_name,
            "last_name": prospect.last_name,
            "address": "1 allée Nouvelle",
            "postal_code": "44100",
            "city": "Nantes",
        },
    }
    assert _apply("backoffice.prospect.updated", update) == "applied"
    sheets = OutboxEvent.objects.filter(type="mission.instructions.published").order_by(
        "created_at"
    )
    assert [s.data["revision"] for s in sheets] == [1, 2]
    assert sheets[1].data["client"]["place_of_intervention"].startswith("1 allée Nouvelle")
    # The same facts again change nothing: no new sheet.
    assert _apply("backoffice.prospect.updated", {**update, "version": 2}) == "applied"
    assert sheets.count() == 2


def test_it_shows_the_mission_sheet_as_a_page_and_a_pdf(
    client: Client, agency: Agency, advisor: User, catalogues: list[Any]
) -> None:
    visit = visit_signed(agency, advisor, catalogues)
    login(client, advisor)
    page = client.get(f"/visites/{visit.pk}/feuille-de-route/")
    html = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert DOOR_CODE in html and ALARM_CODE in html and "Le bureau de Monsieur" in html
    assert "€" not in html
    pdf = client.get(f"/visites/{visit.pk}/feuille-de-route/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_the_mission_sheet_says_which_sizes_were_measured_and_dates_in_french(
    client: Client, agency: Agency, advisor: User, catalogues: list[Any]
) -> None:
    # The workers read the sheet: a room type's usual size is not a measurement, and a
    # start date reads as a date, not as 2027-01-05.
    visit = visit_signed(agency, advisor, catalogues)
    answers = dict(visit.answers)
    answers["rooms"] = [dict(answers["rooms"][0]), {**answers["rooms"][1], "surface_m2": "12.5"}]
    answers["start_date"] = "2027-01-05"
    Visit.objects.filter(pk=visit.pk).update(answers=answers)
    login(client, advisor)
    html = client.get(f"/visites/{visit.pk}/feuille-de-route/", HTTP_ACCEPT_LANGUAGE="en")
    text = html.content.decode()
    assert "Cuisine · environ 10 m² (surface habituelle, non mesurée)" in text
    assert "Chambre de Léo (Chambre) · 12,5 m²" in text
    assert "à partir du 5 janvier 2027" in text and "2027-01-05" not in text
