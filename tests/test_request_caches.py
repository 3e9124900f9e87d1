"""The per-request caches (nomad_web/request_cache.py): staff edit in the admin, the next
page shows it. Each test first loads the page so that the old value is cached."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from announcements.models import Announcement
from organisation.models import Agency, Membership, User
from quotes.models import LegalText, LegalTextKind
from tests import factories
from visits.catalogue import catalogue_current, catalogue_new_draft
from visits.models import CatalogueVersion, Question, Visit

pytestmark = pytest.mark.django_db


class _FormValues(HTMLParser):
    """The values a browser would send for the admin's change form, as it was served."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None
        self._in_form = False

    def _add(self, name: str, value: str) -> bool:
        if "__prefix__" in name:  # the empty form inlines copy from
            return False
        self.data.setdefault(name, []).append(value)
        return True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id", "").endswith("_form"):
            self._in_form = True
        if not self._in_form or ("name" not in a and tag != "option"):
            return
        name = a.get("name", "")
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._add(name, a.get("value", "on"))
                return
            self._add(name, a.get("value", ""))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self._add(self._select, a.get("value", ""))
        elif tag == "textarea" and self._add(name, ""):
            self._textarea = name

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea][-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            value = self.data[self._textarea][-1]
            # As a browser does: the newline after <textarea> is not part of the value.
            self.data[self._textarea][-1] = value[1:] if value.startswith("\n") else value
            self._textarea = None
        elif tag == "form":
            self._in_form = False


def _made(factory: Any, **fields: Any) -> Any:
    return factory(**fields)


def admin_form(staff_client: Client, url: str) -> dict[str, Any]:
    page = staff_client.get(url)
    assert page.status_code == 200, url
    parser = _FormValues()
    parser.feed(page.content.decode())
    return {k: v if len(v) > 1 else v[0] for k, v in parser.data.items()}


def admin_save(staff_client: Client, url: str, **changes: Any) -> None:
    """GET the admin form, change some fields, POST it whole: as staff do."""
    data = admin_form(staff_client, url)
    data.update(changes)
    data = {k: v for k, v in data.items() if v is not None}
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:4000]


def admin_action(staff_client: Client, changelist: str, action: str, pk: int) -> None:
    response = staff_client.post(changelist, {"action": action, "_selected_action": [pk]})
    assert response.status_code == 302


@pytest.fixture
def staff_client(staff: User) -> Client:
    TOTP.activate(staff, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def as_advisor(client: Client, advisor: User) -> Client:
    client.force_login(advisor)
    return client


def agenda(client: Client) -> str:
    response = client.get(reverse("visits:agenda"))
    assert response.status_code == 200
    return response.content.decode()


def change_url(obj: Any) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


# Brand -----------------------------------------------------------------------------------


def test_a_brand_renamed_in_the_admin_shows_on_the_next_page(
    as_advisor: Client, staff_client: Client, advisor: User
) -> None:
    brand = advisor.agencies.get().brand
    assert brand.name in agenda(as_advisor)
    admin_save(staff_client, change_url(brand), name="Maison Renommée", primary_colour="#123456")
    page = agenda(as_advisor)
    assert "Maison Renommée" in page
    theme = as_advisor.get(reverse("organisation:brand_theme", args=[brand.slug]))
    assert "#123456" in theme.content.decode()


def test_an_agency_moved_to_another_brand_shows_the_other_brand(
    as_advisor: Client, staff_client: Client, advisor: User
) -> None:
    agency = advisor.agencies.get()
    other = Agency.objects.get(pk=_made(factories.AgencyFactory).pk).brand
    assert other.name not in agenda(as_advisor)
    admin_save(staff_client, change_url(agency), brand=str(other.pk))
    assert other.name in agenda(as_advisor)


def test_a_membership_removed_in_the_admin_removes_the_brand(
    as_advisor: Client, staff_client: Client, advisor: User, manager: User
) -> None:
    brand = advisor.agencies.get().brand
    assert brand.name in agenda(as_advisor)
    membership = Membership.objects.get(user=advisor)
    data = admin_form(staff_client, change_url(advisor))
    prefix = next(k for k, v in data.items() if k.endswith("-id") and v == str(membership.pk))
    data[prefix.removesuffix("-id") + "-DELETE"] = "on"
    response = staff_client.post(change_url(advisor), data)
    assert response.status_code == 302, response.content.decode()[:4000]
    assert not Membership.objects.filter(user=advisor).exists()
    # The advisor has no agency any more: no brand on the page, and no agency's data.
    page = as_advisor.get(reverse("visits:agenda")).content.decode()
    assert brand.name not in page


def test_the_brand_is_cached_per_person(advisor: User, other_agency: Agency) -> None:
    other = User.objects.get(
        pk=_made(factories.UserFactory, role=advisor.role, agencies=[other_agency]).pk
    )
    first, second = Client(), Client()
    first.force_login(advisor)
    second.force_login(other)
    mine, theirs = advisor.agencies.get().brand.name, other_agency.brand.name
    assert mine != theirs
    assert mine in agenda(first) and theirs not in agenda(first)
    assert theirs in agenda(second) and mine not in agenda(second)


# Announcements ---------------------------------------------------------------------------


def test_an_announcement_published_in_the_admin_shows_on_the_next_page(
    as_advisor: Client, staff_client: Client, staff: User
) -> None:
    later = Announcement.objects.create(
        title="Nouvelle grille de tarifs",
        body="À partir de lundi.",
        published_at=timezone.now() + timedelta(days=3),
    )
    assert later.title not in agenda(as_advisor)  # scheduled: not yet
    now = timezone.localtime()
    admin_save(
        staff_client,
        change_url(later),
        published_at_0=now.strftime("%d/%m/%Y"),
        published_at_1=(now - timedelta(minutes=1)).strftime("%H:%M:%S"),
    )
    assert later.title in agenda(as_advisor)


def test_an_announcement_added_in_the_admin_shows_and_goes_once_dismissed(
    as_advisor: Client, staff_client: Client
) -> None:
    agenda(as_advisor)
    now = timezone.localtime() - timedelta(minutes=1)
    admin_save(
        staff_client,
        reverse("admin:announcements_announcement_add"),
        title="Formation tablette",
        body="Mardi à 10 h.",
        for_advisors="on",
        published_at_0=now.strftime("%d/%m/%Y"),
        published_at_1=now.strftime("%H:%M:%S"),
    )
    assert "Formation tablette" in agenda(as_advisor)
    announcement = Announcement.objects.get(title="Formation tablette")
    as_advisor.post(reverse("announcements:dismiss", args=[announcement.pk]))
    assert "Formation tablette" not in agenda(as_advisor)


# Legal texts -----------------------------------------------------------------------------


@pytest.fixture
def visit_before_consent(catalogues: list[CatalogueVersion], advisor: User) -> Visit:
    visit = _made(
        factories.VisitFactory,
        prospect__agency=advisor.agencies.get(),
        prospect__consent_at=None,
        advisor=advisor,
    )
    return Visit.objects.get(pk=visit.pk)


def test_a_consent_text_published_in_the_admin_is_the_one_the_prospect_step_shows(
    as_advisor: Client, staff_client: Client, visit_before_consent: Visit
) -> None:
    step = reverse("visits:visit_step", args=[visit_before_consent.pk, "prospect"])
    shown = LegalText.objects.filter(kind=LegalTextKind.CONSENT, published_at__isnull=False)
    old = shown.latest("published_at").version  # the one the migrations publish
    assert f'data-consent-version="{old}"' in as_advisor.get(step).content.decode()
    admin_save(
        staff_client,
        reverse("admin:quotes_legaltext_add"),
        kind=LegalTextKind.CONSENT,
        version="2099-01",
        title="Consentement v2",
        body="Texte deux.",
    )
    draft = LegalText.objects.get(kind=LegalTextKind.CONSENT, version="2099-01")
    assert f'data-consent-version="{old}"' in as_advisor.get(step).content.decode()  # a draft
    admin_action(staff_client, reverse("admin:quotes_legaltext_changelist"), "publish", draft.pk)
    page = as_advisor.get(step).content.decode()
    assert 'data-consent-version="2099-01"' in page and "Consentement v2" in page


# Catalogue -------------------------------------------------------------------------------


def test_a_catalogue_version_published_in_the_admin_shows_its_question_on_the_step(
    as_advisor: Client, staff_client: Client, catalogues: list[CatalogueVersion], advisor: User
) -> None:
    visit = Visit.objects.get(
        pk=_made(
            factories.VisitFactory, prospect__agency=advisor.agencies.get(), advisor=advisor
        ).pk
    )
    step = reverse("visits:visit_step", args=[visit.pk, "dwelling"])
    assert as_advisor.get(step).status_code == 200
    current = catalogue_current(activity="housekeeping")
    assert current is not None
    draft = catalogue_new_draft(source=current)
    question = Question.objects.get(section__version=draft, key="surface_m2")
    section_url = change_url(question.section)
    data = admin_form(staff_client, section_url)
    label = next(k for k, v in data.items() if k.endswith("-id") and v == str(question.pk))
    data[label.removesuffix("-id") + "-label_fr"] = "Surface habitable mesurée"
    response = staff_client.post(section_url, data)
    assert response.status_code == 302, response.content.decode()[:4000]
    assert "Surface habitable mesurée" not in as_advisor.get(step).content.decode()  # a draft
    admin_action(
        staff_client,
        reverse("admin:visits_catalogueversion_changelist"),
        "publish",
        draft.pk,
    )
    assert catalogue_current(activity="housekeeping") == CatalogueVersion.objects.get(pk=draft.pk)
    assert "Surface habitable mesurée" in as_advisor.get(step).content.decode()


# Two-factor ------------------------------------------------------------------------------


def test_staff_whose_totp_is_removed_must_set_it_up_again_on_the_next_request(
    staff_client: Client, staff: User
) -> None:
    changelist = reverse("admin:announcements_announcement_changelist")
    assert staff_client.get(changelist).status_code == 200
    Authenticator.objects.filter(user=staff).delete()
    response = staff_client.get(changelist)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


# Fewer queries ---------------------------------------------------------------------------


def test_the_agenda_reads_brand_and_announcements_from_the_cache(
    as_advisor: Client, django_assert_max_num_queries: Callable[..., Any]
) -> None:
    Announcement.objects.create(title="Bienvenue", body="…")
    first = agenda(as_advisor)
    assert "Bienvenue" in first
    # Session, user, the day's visits: the brand and the announcements no longer query.
    with django_assert_max_num_queries(3):
        again = agenda(as_advisor)
    assert "Bienvenue" in again


def test_a_page_reads_the_generations_at_once_and_the_values_from_the_process(
    as_advisor: Client, advisor: User, monkeypatch: Any
) -> None:
    from django.core.cache import caches

    backend = caches["default"]
    trips: list[list[str]] = []
    inside = [False]  # the local-memory backend's get_many calls get: one trip, not more
    for method in ("get", "get_many"):
        real = getattr(backend, method)

        def counting(keys: Any, *args: Any, _real: Any = real, **kwargs: Any) -> Any:
            names = [keys] if isinstance(keys, str) else list(keys)
            if not inside[0] and any(str(name).startswith("rc:") for name in names):
                trips.append(names)
            outer, inside[0] = inside[0], True
            try:
                return _real(keys, *args, **kwargs)
            finally:
                inside[0] = outer

        monkeypatch.setattr(backend, method, counting)
    Announcement.objects.create(title="Bienvenue", body="…")
    assert "Bienvenue" in agenda(as_advisor)  # fills the shared cache and the process's
    trips.clear()
    assert "Bienvenue" in agenda(as_advisor)
    # The shared families' generations and the person's own in one round trip; no value
    # is fetched: the process holds them under the same generations.
    assert len(trips) == 1, trips
    assert all(name.startswith("rc:gen:") for names in trips for name in names), trips
    assert {
        "rc:gen:organisation",
        "rc:gen:announcements",
        f"rc:gen:dismissals:{advisor.pk}",
    } <= set(trips[0])


def test_the_process_copy_is_safe_for_threads(monkeypatch: Any) -> None:
    import sys
    import threading

    from nomad_web import request_cache

    monkeypatch.setattr(request_cache, "LOCAL_VALUES", 16)  # evictions all the time
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch between any two steps, as under load
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(2000):
                key = f"rc:test:{(n * 7 + i) % 40}"
                request_cache._local_set(key, (i,))
                found = request_cache._local_get(key)
                assert found is None or isinstance(found[0], int)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        sys.setswitchinterval(previous)
    assert errors == []
    assert len(request_cache._local) <= 16
