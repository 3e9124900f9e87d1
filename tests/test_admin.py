from __future__ import annotations

import json
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.forms import MultiWidget
from django.test import Client
from django.urls import reverse

from organisation.models import Agency, Brand, Role, User
from privacy.models import AuditAction, AuditEntry
from tests.factories import ProspectFactory, VisitFactory
from visits.models import Visit, VisitChange, VisitStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client: Client, staff: User) -> Client:
    TOTP.activate(staff, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    client.force_login(staff)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "admin:organisation_brand_changelist",
        "admin:organisation_agency_changelist",
        "admin:organisation_user_changelist",
        "admin:announcements_announcement_changelist",
        "admin:organisation_brand_add",
        "admin:organisation_agency_add",
        "admin:organisation_user_add",
    ],
)
def test_it_opens_every_admin_page_for_staff(
    staff_client: Client, agency: Agency, url: str
) -> None:
    assert staff_client.get(reverse(url)).status_code == 200


def test_it_searches_and_filters_people(
    staff_client: Client, advisor: User, manager: User, agency: Agency
) -> None:
    url = reverse("admin:organisation_user_changelist")
    found = staff_client.get(url, {"q": advisor.last_name}).content.decode()
    assert advisor.email in found and manager.email not in found
    filtered = staff_client.get(url, {"role__exact": Role.MANAGER}).content.decode()
    assert manager.email in filtered and advisor.email not in filtered
    by_agency = staff_client.get(
        url, {"memberships__agency__id__exact": agency.pk}
    ).content.decode()
    assert advisor.email in by_agency


def test_it_creates_a_person_with_a_role_and_an_agency(
    staff_client: Client, agency: Agency
) -> None:
    response = staff_client.post(
        reverse("admin:organisation_user_add"),
        {
            "email": "nouvelle@example.test",
            "first_name": "Nina",
            "last_name": "Roy",
            "role": Role.MANAGER,
            "is_active": "on",
            "password": "",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-0-agency": agency.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(email="nouvelle@example.test")
    assert user.role == Role.MANAGER
    assert list(user.agencies.all()) == [agency]
    assert not user.has_usable_password()


def test_it_validates_brand_legal_numbers(staff_client: Client) -> None:
    response = staff_client.post(
        reverse("admin:organisation_brand_add"),
        {
            "name": "X",
            "slug": "x",
            "legal_name": "X SAS",
            "legal_address": "a",
            "siren": "12",
            "siret": "34",
            "sap_number": "123",
            "primary_colour": "blue",
            "secondary_colour": "#000000",
            "quote_prefix": "x",
            "contact_email": "a@b.test",
            "contact_phone": "1",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Un numéro SIREN comporte 9 chiffres." in page
    assert "Saisissez une couleur au format #RRGGBB." in page
    assert not Brand.objects.filter(slug="x").exists()


@pytest.mark.parametrize(
    "label",
    [
        "quotes.quote",
        "quotes.contract",
        "quotes.document",
        "signatures.signaturerequest",
        "integrations.outboxevent",
        "organisation.accessevent",
        "privacy.auditentry",
    ],
)
def test_records_of_what_happened_cannot_be_added_changed_or_deleted(
    staff_client: Client, label: str
) -> None:
    # Evidence, audit trails and what changes only through its services: the admin shows
    # them and refuses the add page and the delete action.
    from django.apps import apps
    from django.contrib import admin

    model = apps.get_model(label)
    model_admin = admin.site._registry[model]
    app, name = label.split(".")
    assert staff_client.get(reverse(f"admin:{app}_{name}_changelist")).status_code == 200
    assert staff_client.get(reverse(f"admin:{app}_{name}_add")).status_code == 403
    request = staff_client.get(reverse(f"admin:{app}_{name}_changelist")).wsgi_request
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


# --- The visit change form goes through the visit services ----------------------------


def _visit_form_data(staff_client: Client, visit: Visit) -> dict[str, Any]:
    """The admin's change form of ``visit`` as the browser would post it unchanged."""
    url = reverse("admin:visits_visit_change", args=[visit.pk])
    form = staff_client.get(url).context["adminform"].form
    data: dict[str, Any] = {}
    for name in form.fields:
        value = form[name].value()
        widget = form.fields[name].widget
        if isinstance(widget, MultiWidget):
            for i, part in enumerate(widget.decompress(value)):
                data[f"{name}_{i}"] = "" if part is None else part.isoformat()
        elif value is not None:
            data[name] = value
            if form.fields[name].show_hidden_initial:  # a field with a callable default
                data[f"initial-{name}"] = value
    return data


def test_a_status_changed_in_the_admin_is_logged_versioned_and_audited(
    staff_client: Client, staff: User, agency: Agency
) -> None:
    # Guards the admin path: it used to save the status as typed, with no change log,
    # no version and no audit entry.
    visit = VisitFactory(prospect=ProspectFactory(agency=agency))
    url = reverse("admin:visits_visit_change", args=[visit.pk])
    data = {
        **_visit_form_data(staff_client, visit),
        "status": "cancelled",
        "status_reason": "Client injoignable",
    }
    assert staff_client.post(url, data).status_code == 302
    visit.refresh_from_db()
    assert (visit.status, visit.status_reason, visit.version) == (
        "cancelled",
        "Client injoignable",
        2,
    )
    change = VisitChange.objects.get(visit=visit, version=2)
    assert (change.keys, change.user) == (["status", "status_reason"], staff)
    entry = AuditEntry.objects.get(object_id=visit.pk, action=AuditAction.STATUS)
    assert entry.changes == {"status": ["scheduled", "cancelled"]} and entry.user == staff


def test_the_admin_refuses_a_forbidden_status_and_logs_answers_key_by_key(
    staff_client: Client, agency: Agency
) -> None:
    # Guards the transition check on the admin form, and the change log's keys (the
    # offline sync compares them) and the masking of codes in the audit entry.
    visit = VisitFactory(prospect=ProspectFactory(agency=agency), status=VisitStatus.SIGNED)
    url = reverse("admin:visits_visit_change", args=[visit.pk])
    data = _visit_form_data(staff_client, visit)
    refused = staff_client.post(url, {**data, "status": "in_progress"})
    assert refused.status_code == 200 and "status" in refused.context["adminform"].form.errors
    visit.refresh_from_db()
    assert (visit.status, visit.version) == (VisitStatus.SIGNED, 1)

    answers = json.dumps({"door_code": "1234", "pets": "Un chien"})
    assert staff_client.post(url, {**data, "answers": answers}).status_code == 302
    change = VisitChange.objects.get(visit=visit, version=2)
    assert change.keys == ["answers.door_code", "answers.pets"]
    entry = AuditEntry.objects.get(object_id=visit.pk, action=AuditAction.UPDATE)
    assert entry.changes["answers.door_code"] == [None, "•••"]
