from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.test import Client
from django.urls import reverse

from organisation.models import Agency, Brand, Role, User

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
