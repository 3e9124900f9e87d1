"""The manager dashboard: figures, scoping, filters, visit list, assignment, CSV export."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dashboard import selectors
from dashboard.filters import DashboardFilterForm, default_period
from organisation.models import Agency, Role, User
from quotes.models import Contract, LegalText, LegalTextKind, Quote, QuoteStatus
from tests.conftest import login
from tests.factories import (
    AgencyFactory,
    ProspectFactory,
    UserFactory,
    VisitFactory,
    make_price_list,
)
from visits.models import Channel, Conflict, Visit, VisitStatus

pytestmark = pytest.mark.django_db


def _at(days_ago: int, hour: int = 10) -> datetime:
    day = timezone.localdate() - timedelta(days=days_ago)
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def _visit(agency: Agency, *, advisor: User | None = None, days_ago: int = 5, **kw: Any) -> Visit:
    return VisitFactory(
        prospect=ProspectFactory(agency=agency), advisor=advisor, scheduled_at=_at(days_ago), **kw
    )


def _quote(visit: Visit, *, status: str, minutes: int = 180, **kw: Any) -> Quote:
    brand = visit.agency.brand
    price_list = brand.price_lists.first() or make_price_list(brand)
    today = timezone.localdate()
    return Quote.objects.create(
        visit=visit,
        brand=brand,
        price_list=price_list,
        status=status,
        quote_date=kw.pop("quote_date", today),
        valid_until=kw.pop("valid_until", today + timedelta(days=30)),
        figures={"lines": [{"activity": "housekeeping", "minutes_per_week": minutes}]},
        **kw,
    )


def _signed(visit: Visit, *, minutes: int = 180, days_after: int = 4) -> Contract:
    quote = _quote(
        visit,
        status=QuoteStatus.SIGNED,
        minutes=minutes,
        status_changed_at=visit.scheduled_at + timedelta(days=days_after),
    )
    terms = LegalText.objects.filter(kind=LegalTextKind.GENERAL_TERMS).first()
    assert terms is not None
    return Contract.objects.create(quote=quote, general_terms=terms)


def _filters(user: User, **query: Any) -> Any:
    form = DashboardFilterForm(query, user=user)
    assert form.is_valid(), form.errors
    return form.filters()


# --- Access --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/tableau-de-bord/", "/tableau-de-bord/visites/", "/tableau-de-bord/visites/export.csv"]
)
def test_it_refuses_the_dashboard_to_advisors(client: Client, advisor: User, url: str) -> None:
    assert login(client, advisor).get(url).status_code == 403


def test_it_shows_the_dashboard_link_to_managers_only(
    client: Client, manager: User, advisor: User
) -> None:
    assert "/tableau-de-bord/" in login(client, manager).get("/agenda/").content.decode()
    assert "/tableau-de-bord/" not in login(Client(), advisor).get("/agenda/").content.decode()


def test_it_counts_only_the_managers_agencies(
    client: Client, manager: User, agency: Agency, other_agency: Agency
) -> None:
    _visit(agency)
    _visit(other_agency)
    _visit(other_agency)
    overview = selectors.visit_overview(user=manager, filters=_filters(manager))
    assert overview.total == 1
    response = login(client, manager).get("/tableau-de-bord/")
    assert response.status_code == 200
    assert other_agency.name not in response.content.decode()


def test_it_answers_another_agency_in_the_filter_with_a_french_error(
    client: Client, manager: User, other_agency: Agency
) -> None:
    response = login(client, manager).get(f"/tableau-de-bord/?agency={other_agency.pk}")
    assert response.status_code == 422
    assert "Sélectionnez un choix valide" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2025-13-45", "Saisissez une date valide"),
        ("start=2025-06-01&end=2025-01-01", "Le début de la période doit précéder sa fin"),
        ("start=2020-01-01&end=2025-01-01", "trois ans"),
        ("activity=plumbing", "Sélectionnez un choix valide"),
        ("agency=abc", "Sélectionnez un choix valide"),
    ],
)
def test_it_answers_bad_filters_with_a_french_error_never_a_500(
    staff_client: Client, query: str, message: str
) -> None:
    response = staff_client.get(f"/tableau-de-bord/?{query}")
    assert response.status_code == 422
    assert message in response.content.decode()


def test_it_refuses_an_unknown_sort_column(staff_client: Client) -> None:
    response = staff_client.get("/tableau-de-bord/visites/?sort=prospect__email")
    assert response.status_code == 422


def test_it_lets_staff_filter_by_brand_and_agency(staff: User) -> None:
    one, two = AgencyFactory(), AgencyFactory()
    _visit(one)
    _visit(two)
    _visit(two)
    assert selectors.visit_overview(user=staff, filters=_filters(staff)).total == 3
    by_brand = _filters(staff, brand=two.brand_id)
    assert selectors.visit_overview(user=staff, filters=by_brand).total == 2
    assert selectors.visit_overview(user=staff, filters=_filters(staff, agency=one.pk)).total == 1
    # An agency of another brand than the one chosen is not among the choices.
    assert not DashboardFilterForm({"brand": one.brand_id, "agency": two.pk}, user=staff).is_valid()


# --- Figures -------------------------------------------------------------------------


def test_it_counts_visits_by_status_and_activity(manager: User, agency: Agency) -> None:
    _visit(agency, status=VisitStatus.SIGNED, activities=["housekeeping", "gardening"])
    _visit(agency, status=VisitStatus.LOST, activities=["gardening"])
    _visit(agency, status=VisitStatus.LOST)
    _visit(agency, days_ago=500)  # outside the default period
    overview = selectors.visit_overview(user=manager, filters=_filters(manager))
    assert overview.total == 3
    assert overview.by_status[VisitStatus.LOST] == 2
    assert overview.by_status[VisitStatus.SIGNED] == 1
    assert overview.by_activity == {"housekeeping": 2, "gardening": 2}
    gardening = _filters(manager, activity="gardening")
    assert selectors.visit_overview(user=manager, filters=gardening).total == 2


def test_it_computes_conversion_and_the_median_delay_to_signature(
    manager: User, agency: Agency
) -> None:
    for delay in (2, 4, 9):
        _signed(_visit(agency, status=VisitStatus.SIGNED), days_after=delay)
    _visit(agency, status=VisitStatus.LOST)
    _visit(agency, status=VisitStatus.CANCELLED)  # not held: left out of the conversion
    # Signed quote without its contract yet: not a signed contract.
    _quote(_visit(agency, status=VisitStatus.QUOTED), status=QuoteStatus.SIGNED)
    filters = _filters(manager)
    overview = selectors.visit_overview(user=manager, filters=filters)
    assert (overview.signed_contracts, overview.held) == (3, 5)
    assert overview.conversion == pytest.approx(0.6)
    delays = selectors.delays(user=manager, filters=filters)
    assert delays.visit_to_signature == timedelta(days=4)
    assert delays.signature_to_start is None  # no service start reported yet


def test_it_takes_the_mean_of_the_two_middle_delays_for_an_even_count(
    manager: User, agency: Agency
) -> None:
    for delay in (1, 2, 4, 10):
        _signed(_visit(agency, status=VisitStatus.SIGNED), days_after=delay)
    delays = selectors.delays(user=manager, filters=_filters(manager))
    assert delays.visit_to_signature == timedelta(days=3)


def test_it_shows_a_dash_while_no_service_start_is_reported(
    client: Client, manager: User, agency: Agency
) -> None:
    _signed(_visit(agency, status=VisitStatus.SIGNED))
    page = login(client, manager).get("/tableau-de-bord/").content.decode()
    assert "Aucun début de prestation signalé par le back-office" in page


def test_it_measures_signature_to_service_start_from_the_back_office(
    manager: User, agency: Agency
) -> None:
    for days in (3, 5, 12):
        contract = _signed(_visit(agency, status=VisitStatus.SIGNED), days_after=1)
        Visit.objects.filter(pk=contract.quote.visit_id).update(
            service_started_at=contract.quote.status_changed_at + timedelta(days=days)
        )
    delays = selectors.delays(user=manager, filters=_filters(manager))
    assert delays.signature_to_start == timedelta(days=5)


def test_it_reports_app_adoption_month_by_month(manager: User, agency: Agency) -> None:
    today = timezone.localdate()
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    in_last = (today - last_month).days - 1  # a day inside last month
    for channel in (Channel.PAPER, Channel.PAPER, Channel.APP, Channel.APP):
        _visit(agency, days_ago=in_last, channel=channel)
    _visit(agency, days_ago=in_last, channel=Channel.PAPER, status=VisitStatus.CANCELLED)
    for channel in (Channel.APP, Channel.APP, Channel.APP, Channel.PAPER):
        _visit(agency, days_ago=0, channel=channel)
    months = selectors.adoption_by_month(user=manager, filters=_filters(manager))
    assert [(m.month, m.app, m.paper) for m in months] == [
        (last_month, 2, 2),
        (this_month, 3, 1),
    ]
    assert [m.rate for m in months] == [0.5, 0.75]


def test_it_sums_estimated_proposed_and_contracted_hours_per_advisor(
    manager: User, agency: Agency
) -> None:
    alice = UserFactory(role=Role.ADVISOR, agencies=[agency], first_name="Alice", last_name="A")
    bob = UserFactory(role=Role.ADVISOR, agencies=[agency], first_name="Bob", last_name="B")
    signed = _visit(agency, advisor=alice, estimated_minutes=240, proposed_minutes=300)
    _signed(signed, minutes=300)
    _visit(agency, advisor=alice, estimated_minutes=120, proposed_minutes=None)
    _visit(agency, advisor=alice)  # no estimate yet: left out of the hours
    _visit(agency, advisor=bob, estimated_minutes=180, proposed_minutes=180)
    rows = {r.name: r for r in selectors.advisor_figures(user=manager, filters=_filters(manager))}
    assert list(rows) == ["Alice A", "Bob B"]  # the busiest first
    a = rows["Alice A"]
    assert (a.visits, a.signed) == (3, 1)
    assert (a.estimated_minutes, a.proposed_minutes, a.contracted_minutes) == (360, 420, 300)
    assert a.contracted_vs_estimated == pytest.approx(300 / 240)
    assert rows["Bob B"].contracted_minutes == 0
    assert rows["Bob B"].contracted_vs_estimated is None


def test_it_lists_issued_quotes_expiring_within_seven_days(
    client: Client, manager: User, agency: Agency, other_agency: Agency
) -> None:
    today = timezone.localdate()
    soon = _quote(_visit(agency), status=QuoteStatus.ISSUED, valid_until=today + timedelta(days=3))
    soon.number = "MN-2026-000042"
    soon.save()
    _quote(_visit(agency), status=QuoteStatus.ISSUED, valid_until=today + timedelta(days=8))
    _quote(_visit(agency), status=QuoteStatus.SIGNED, valid_until=today + timedelta(days=2))
    _quote(_visit(other_agency), status=QuoteStatus.ISSUED, valid_until=today)
    expiring = selectors.quotes_expiring(user=manager, filters=_filters(manager))
    assert (expiring.count, [q.pk for q in expiring.rows]) == (1, [soon.pk])
    page = login(client, manager).get("/tableau-de-bord/").content.decode()
    assert "MN-2026-000042" in page


def test_it_counts_conflicts_still_waiting(manager: User, agency: Agency) -> None:
    visit = _visit(agency)
    common = {"step": "instructions", "base_version": 1, "server_version": 2, "mine": {},
              "theirs": {}}  # fmt: skip
    Conflict.objects.create(visit=visit, **common)
    Conflict.objects.create(visit=visit, resolved_at=timezone.now(), **common)
    Conflict.objects.create(visit=_visit(AgencyFactory()), **common)
    waiting = selectors.conflicts_waiting(user=manager, filters=_filters(manager))
    assert waiting.count == 1


def test_it_says_the_bus_is_not_configured_without_the_integration(
    client: Client, manager: User, settings: Any
) -> None:
    settings.INSTALLED_APPS = [a for a in settings.INSTALLED_APPS if a != "integrations"]
    page = login(client, manager).get("/tableau-de-bord/").content.decode()
    assert "Bus d’événements non configuré" in page


def test_it_defaults_to_the_last_twelve_months() -> None:
    assert default_period(date(2026, 3, 15)) == (date(2025, 4, 1), date(2026, 3, 15))
    assert default_period(date(2026, 12, 31)) == (date(2026, 1, 1), date(2026, 12, 31))


# --- Pages, htmx, query counts -------------------------------------------------------


@pytest.fixture
def staff_client(client: Client, staff: User) -> Client:
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(staff, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    return login(client, staff)


def test_it_swaps_only_the_panels_for_htmx(client: Client, manager: User, agency: Agency) -> None:
    _visit(agency)
    response = login(client, manager).get(
        "/tableau-de-bord/?activity=gardening", HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="dashboard-panels"')
    assert "<html" not in body
    assert response["Vary"].count("HX-Request") == 1


def test_it_redraws_the_advisor_choices_when_the_agency_changes(
    staff_client: Client, agency: Agency
) -> None:
    advisor = UserFactory(role=Role.ADVISOR, agencies=[agency], last_name="Martin")
    response = staff_client.get(
        f"/tableau-de-bord/?agency={agency.pk}",
        HTTP_HX_REQUEST="true",
        HTTP_HX_TRIGGER_NAME="agency",
    )
    body = response.content.decode()
    assert 'id="filter-advisor" hx-swap-oob="true"' in body
    assert f'value="{advisor.pk}"' in body


def _data(agency: Agency, advisor: User, size: int) -> None:
    for i in range(size):
        visit = _visit(
            agency,
            advisor=advisor,
            days_ago=i * 7 % 300,
            status=[VisitStatus.SIGNED, VisitStatus.LOST, VisitStatus.QUOTED][i % 3],
            channel=[Channel.APP, Channel.PAPER][i % 2],
            estimated_minutes=120 + i,
        )
        if i % 3 == 0:
            _signed(visit)
        elif i % 3 == 2:
            _quote(visit, status=QuoteStatus.ISSUED, valid_until=timezone.localdate())
            Conflict.objects.create(
                visit=visit, step="x", base_version=1, server_version=2, mine={}, theirs={}
            )


def _queries(client: Client, url: str) -> int:
    cache.clear()  # every count from a cold cache (nomad_web.request_cache), so they compare
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize(
    "url", ["/tableau-de-bord/", "/tableau-de-bord/visites/", "/tableau-de-bord/visites/export.csv"]
)
def test_it_makes_as_many_queries_for_much_data_as_for_little(
    client: Client, staff_client: Client, manager: User, advisor: User, agency: Agency, url: str
) -> None:
    login(client, manager)
    _data(agency, advisor, 3)
    _data(AgencyFactory(), UserFactory(role=Role.ADVISOR), 2)
    few = (_queries(client, url), _queries(staff_client, url))
    _data(agency, advisor, 60)
    _data(AgencyFactory(), UserFactory(role=Role.ADVISOR), 30)
    many = (_queries(client, url), _queries(staff_client, url))
    _data(agency, advisor, 60)
    _data(AgencyFactory(), UserFactory(role=Role.ADVISOR), 30)
    more = (_queries(client, url), _queries(staff_client, url))
    assert many == more  # nothing grows with the data
    # A short list that fills up counts its rows apart (one query each, at most three).
    assert all(0 <= m - f <= 3 for f, m in zip(few, many, strict=True)), (few, many)


# --- Visit list, assignment, export --------------------------------------------------


def test_it_sorts_and_pages_the_visit_list(client: Client, manager: User, agency: Agency) -> None:
    for i in range(55):
        _visit(agency, days_ago=i + 1, estimated_minutes=100 + i)
    login(client, manager)
    first = client.get("/tableau-de-bord/visites/?sort=hours").content.decode()
    assert "55 visites" in first
    assert "Page 1 sur 2" in first
    assert first.index("1,7") < first.index("1,8")  # 100 then 101… minutes, ascending
    second = client.get("/tableau-de-bord/visites/?sort=hours&page=2").content.decode()
    assert "2,6" in second  # 154 minutes, the last one
    assert "2,6" not in first
    # The links keep the sort: next from the first page, previous from the second, and the
    # column's header turns the order round.
    assert 'href="?page=2&amp;sort=hours"' in first
    assert 'href="?page=1&amp;sort=hours"' in second
    assert 'href="?sort=-hours"' in first


def test_it_assigns_a_visit_to_an_advisor_of_its_agency(
    csrf_client: Client, manager: User, agency: Agency
) -> None:
    visit = _visit(agency)
    advisor = UserFactory(role=Role.ADVISOR, agencies=[agency])
    login(csrf_client, manager)
    page = csrf_client.get("/tableau-de-bord/visites/")
    token = page.cookies["csrftoken"].value
    url = f"/visites/{visit.pk}/affecter/"
    assert csrf_client.post(url, {"advisor": advisor.pk}).status_code == 403  # no token
    response = csrf_client.post(
        url, {"advisor": advisor.pk, "csrfmiddlewaretoken": token}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Visite affectée à" in response.content.decode()
    visit.refresh_from_db()
    assert visit.advisor == advisor
    assert visit.changes.filter(keys=["advisor"]).exists()


def test_it_refuses_an_advisor_of_another_agency(
    client: Client, manager: User, agency: Agency, other_agency: Agency
) -> None:
    visit = _visit(agency)
    stranger = UserFactory(role=Role.ADVISOR, agencies=[other_agency])
    login(client, manager)
    response = client.post(
        f"/visites/{visit.pk}/affecter/",
        {"advisor": stranger.pk, "next": "https://elsewhere.test/"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/visites/{visit.pk}/"  # never off-site
    visit.refresh_from_db()
    assert visit.advisor is None


def test_it_exports_the_filtered_list_as_french_csv(
    client: Client, manager: User, agency: Agency
) -> None:
    advisor = UserFactory(role=Role.ADVISOR, agencies=[agency], first_name="Léa", last_name="Roux")
    when = timezone.make_aware(datetime(2026, 1, 9, 14, 30))
    VisitFactory(
        prospect=ProspectFactory(agency=agency, first_name="Zoé", last_name="Gérard"),
        advisor=advisor,
        scheduled_at=when,
        estimated_minutes=150,
        status=VisitStatus.SIGNED,
    )
    _visit(agency, activities=["gardening"])
    response = login(client, manager).get(
        "/tableau-de-bord/visites/export.csv?start=2026-01-01&end=2026-01-31&activity=housekeeping"
    )
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeffDate;Heure;")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 2
    assert rows[1][:2] == ["09/01/2026", "14:30"]
    assert "Léa Roux" in rows[1]
    assert "Zoé Gérard" in rows[1]
    assert "Signée" in rows[1] or "Signé" in rows[1]
    assert rows[1][10] == "2,50"


def test_a_short_list_counts_only_when_it_is_full(
    agency: Agency, django_assert_num_queries: Any
) -> None:
    from dashboard.selectors import _short_list

    for _ in range(2):
        AgencyFactory()
    agencies = Agency.objects.all()  # three
    with django_assert_num_queries(1):
        short = _short_list(agencies, ("pk",), limit=5)
    assert (short.count, len(short.rows)) == (3, 3)
    with django_assert_num_queries(2):
        full = _short_list(agencies, ("pk",), limit=2)
    assert (full.count, [a.pk for a in full.rows]) == (3, sorted(a.pk for a in agencies)[:2])


def test_assigning_from_the_list_without_htmx_goes_back_to_the_list(
    client: Client, manager: User, agency: Agency
) -> None:
    # The visit page and the visit list share one assign view: the list's form says where
    # it came from, the visit page's does not.
    visit = _visit(agency)
    advisor = UserFactory(role=Role.ADVISOR, agencies=[agency])
    login(client, manager)
    back = "/tableau-de-bord/visites/?sort=date&page=2"
    response = client.post(f"/visites/{visit.pk}/affecter/", {"advisor": advisor.pk, "next": back})
    assert response.status_code == 302 and response["Location"] == back
    visit.refresh_from_db()
    assert visit.advisor == advisor
    plain = client.post(f"/visites/{visit.pk}/affecter/", {"advisor": advisor.pk})
    assert plain["Location"] == f"/visites/{visit.pk}/"
