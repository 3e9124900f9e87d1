"""The dashboard's summary table: its figures equal those computed from the source tables,
it is rebuilt by Celery beat, and PostgreSQL serves it from its indexes."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dashboard import selectors
from dashboard.filters import DashboardFilterForm
from dashboard.models import MonthlyFigures, SummaryState
from dashboard.summaries import month_start, next_month, period_sources, summaries_refresh
from dashboard.tasks import refresh_summaries
from organisation.models import Agency, Role, User
from quotes.models import Contract
from tests.conftest import login
from tests.factories import VisitFactory
from visits.models import Activity, Visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def network() -> dict[str, Any]:
    """A year of data over a few agencies (``seed_volume``), with service starts."""
    call_command(
        "seed_volume",
        stdout=StringIO(),
        visits=1200,
        brands=2,
        agencies=5,
        advisors=14,
        until=timezone.localdate(),
    )
    # Some contracts' services started (the back office says so over Kafka).
    for n, contract in enumerate(Contract.objects.select_related("quote__visit")[:200]):
        if n % 3 and contract.quote.status_changed_at:
            visit = contract.quote.visit
            visit.service_started_at = contract.quote.status_changed_at + timedelta(days=n % 9 + 1)
            visit.save(update_fields=["service_started_at"])
    agency = Agency.objects.filter(code__startswith="VOL-").order_by("pk").first()
    assert agency is not None
    return {
        "staff": User.objects.create(email="staff@volume.test", role=Role.STAFF),
        "manager": User.objects.get(role=Role.MANAGER, memberships__agency=agency),
        "agency": agency,
    }


def _figures(user: User, **query: Any) -> dict[str, Any]:
    form = DashboardFilterForm(query, user=user)
    assert form.is_valid(), form.errors
    filters = form.filters()
    return {
        "overview": selectors.visit_overview(user=user, filters=filters),
        "adoption": selectors.adoption_by_month(user=user, filters=filters),
        "advisors": selectors.advisor_figures(user=user, filters=filters),
        "delays": selectors.delays(user=user, filters=filters),
    }


def _queries(network: dict[str, Any]) -> list[tuple[User, dict[str, Any]]]:
    today = timezone.localdate()
    year_ago = today - timedelta(days=365)
    agency = network["agency"]
    advisor = User.objects.filter(memberships__agency=agency, role=Role.ADVISOR).first()
    assert advisor is not None
    return [
        (network["staff"], {}),
        (network["staff"], {"brand": agency.brand_id}),
        (network["staff"], {"agency": agency.pk, "advisor": advisor.pk}),
        (network["staff"], {"activity": Activity.GARDENING}),
        # A period that starts and ends mid-month: part months live, the rest summarised.
        (
            network["staff"],
            {"start": f"{year_ago:%Y-%m}-17", "end": f"{today - timedelta(days=40):%Y-%m}-09"},
        ),
        (network["manager"], {}),
        (network["manager"], {"activity": Activity.HOUSEKEEPING}),
    ]


def test_the_figures_from_the_summary_table_equal_those_from_the_source_tables(
    network: dict[str, Any],
) -> None:
    queries = _queries(network)
    direct = [_figures(user, **query) for user, query in queries]
    assert period_sources(date(2020, 1, 1), date(2030, 1, 1)).months is None  # not built yet

    state = summaries_refresh()
    assert state.rows == MonthlyFigures.objects.count() > 0
    summarised = [_figures(user, **query) for user, query in queries]

    assert summarised == direct
    # Not a vacuous comparison: the summary table served months, and they held figures.
    today = timezone.localdate()
    start = month_start(month_start(today) - timedelta(days=300))
    sources = period_sources(start, today + timedelta(days=1))
    assert sources.months == (start, month_start(today))
    assert sources.days == [(month_start(today), today + timedelta(days=1))]
    first = direct[0]
    assert first["overview"].total > 1000 and first["overview"].signed_contracts > 50
    assert first["delays"].visit_to_signature and first["delays"].signature_to_start
    assert len(first["advisors"]) >= 14 and len(first["adoption"]) >= 12


def test_whole_months_lag_until_the_next_rebuild_the_current_month_is_live(
    network: dict[str, Any],
) -> None:
    staff, agency = network["staff"], network["agency"]
    summaries_refresh()
    before = _figures(staff)["overview"].total
    today = timezone.localdate()
    last_month = month_start(month_start(today) - timedelta(days=1))
    at = timezone.make_aware(datetime.combine(last_month + timedelta(days=3), time(10)))
    VisitFactory(prospect__agency=agency, scheduled_at=at)
    assert _figures(staff)["overview"].total == before  # a past month: as of the rebuild

    VisitFactory(prospect__agency=agency, scheduled_at=timezone.now().replace(hour=9, minute=0))
    assert _figures(staff)["overview"].total == before + 1  # the current month: live

    refresh_summaries.delay()  # what Celery beat runs (eager in the tests)
    assert _figures(staff)["overview"].total == before + 2


def test_summarised_figures_are_read_once_per_rebuild_and_never_across_agencies(
    network: dict[str, Any],
) -> None:
    summaries_refresh()
    managers = list(
        User.objects.filter(role=Role.MANAGER, memberships__agency__code__startswith="VOL-")
    )
    first = {m.pk: _figures(m) for m in managers}
    with CaptureQueriesContext(connection) as cold:
        _figures(managers[0])
    cache.clear()
    with CaptureQueriesContext(connection) as colder:
        _figures(managers[0])
    assert len(cold) < len(colder)  # the summarised sums came from the cache
    totals = {m.pk: first[m.pk]["overview"].total for m in managers}
    assert len(set(totals.values())) > 1  # each manager their own agency's figures
    assert all(_figures(m) == first[m.pk] for m in managers)


def test_the_page_says_as_of_when_its_whole_months_are(
    client: Client, network: dict[str, Any]
) -> None:
    login(client, network["manager"])
    assert "data-summarised-at" not in client.get("/tableau-de-bord/").content.decode()
    state = summaries_refresh()
    page = client.get("/tableau-de-bord/").content.decode()
    when = timezone.localtime(state.refreshed_at).strftime("%d/%m/%Y %H:%M")
    assert f"Mois complets arrêtés au {when}, le mois en cours en direct." in page


def test_a_rebuild_replaces_the_table_and_its_state() -> None:
    first = summaries_refresh()
    again = summaries_refresh()
    assert SummaryState.objects.get() == again and again.pk != first.pk
    assert again.last_month == month_start(timezone.localdate()) - timedelta(days=1)
    assert next_month(date(2026, 12, 1)) == date(2027, 1, 1)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN of PostgreSQL's planner")
@pytest.mark.parametrize("who", ["manager", "staff"])
def test_postgresql_reads_the_summary_table_through_its_indexes(
    network: dict[str, Any], who: str
) -> None:
    """With sequential scans priced out, each summary query uses one of the table's
    indexes: the indexes match the queries' predicates. (On a table this small the
    planner would rightly prefer a sequential scan; at group scale it picks the index.)"""
    summaries_refresh()
    user = network[who]
    form = DashboardFilterForm({}, user=user)
    assert form.is_valid()
    filters = form.filters()
    rows = selectors.summarised_for(
        user=user, filters=filters, sources=selectors.sources_for(user=user, filters=filters)
    )
    if who == "manager":
        rows = rows.filter(agency=network["agency"])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE dashboard_monthlyfigures")
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = rows.values("advisor_id").explain()
    assert "Seq Scan on dashboard_monthlyfigures" not in plan
    expected = "dashboard_mf_agency" if who == "manager" else "dashboard_mf_activity_month"
    assert expected in plan, plan
    assert Visit.objects.exists()
