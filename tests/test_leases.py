"""Periodic jobs on several nodes: one run at a time, the others step aside
(``nomad_web.leases``, a PostgreSQL advisory lock held by the running job's connection)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from dashboard import summaries
from dashboard.models import MonthlyFigures, SummaryState
from dashboard.summaries import summaries_refresh
from nomad_web.leases import exclusive, lock_key
from nomad_web.sweeps import sweep_side_effects
from privacy.services import retention_apply
from quotes.legal_defaults import legal_texts_load
from quotes.models import LegalText, Quote, QuoteStatus
from quotes.services import quote_expire_due, quote_issue
from tests.conftest import postgresql_required
from tests.factories import VisitFactory, make_price_list, make_visit_ready_to_quote

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql() -> None:
    postgresql_required("several nodes share PostgreSQL; the embedded SQLite mode is one node")
    legal_texts_load(LegalText)  # a transactional test's flush lost the data migrations


@contextmanager
def held_elsewhere(name: str) -> Iterator[None]:
    """The job's lock, held by another connection (another node) until the block ends."""
    taken, release = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def other_node() -> None:
        try:
            with exclusive(name) as held:
                assert held
                taken.set()
                release.wait(30)
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            failure.append(exc)
            taken.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_node)
    thread.start()
    taken.wait(30)
    try:
        assert not failure, failure
        yield
    finally:
        release.set()
        thread.join(30)


def test_the_key_is_stable_and_per_job() -> None:
    assert lock_key("sweep-side-effects") == lock_key("sweep-side-effects")
    assert lock_key("sweep-side-effects") != lock_key("retention")
    assert -(2**63) <= lock_key("retention") < 2**63


def test_a_job_running_elsewhere_makes_this_run_step_aside(agency: Any) -> None:
    make_price_list(agency.brand)
    quote = quote_issue(quote=_draft(agency))
    Quote.objects.filter(pk=quote.pk).update(valid_until=timezone.localdate() - timedelta(days=1))
    VisitFactory(prospect__agency=agency)
    jobs: dict[str, tuple[Callable[[], Any], Any]] = {
        "refresh-dashboard-summaries": (summaries_refresh, None),
        "sweep-side-effects": (sweep_side_effects, {"skipped": 1}),
        "retention": (retention_apply, []),
        "expire-due-quotes": (quote_expire_due, 0),
    }
    for name, (job, stepped_aside) in jobs.items():
        with held_elsewhere(name):
            assert job() == stepped_aside, name
    # Nothing was done meanwhile…
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.ISSUED
    assert not SummaryState.objects.exists()  # no rebuild ran
    # …and once the other node is done, the next run does the work.
    assert quote_expire_due() == 1
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.EXPIRED
    assert summaries_refresh() is not None
    assert sweep_side_effects() != {"skipped": 1}


def test_two_rebuilds_at_once_leave_one_table(agency: Any, monkeypatch: Any) -> None:
    for _ in range(6):
        VisitFactory(prospect__agency=agency, scheduled_at=timezone.now() - timedelta(days=40))
    expected = summaries_refresh()
    assert expected is not None and expected.rows > 0
    # Both nodes start together, and each rebuild waits (up to 2 s) for the other to have
    # built its rows too before swapping them in: the worst moment for two swaps.
    both_built = threading.Barrier(2)
    build = summaries._build

    def slow_build(*args: Any) -> Any:
        rows = build(*args)
        with contextlib.suppress(threading.BrokenBarrierError):  # the other stepped aside
            both_built.wait(2)
        return rows

    monkeypatch.setattr(summaries, "_build", slow_build)
    results: list[Any] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def node() -> None:
        try:
            start.wait(10)
            results.append(summaries_refresh())
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=node) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    # One rebuild ran, the other stepped aside: the rows are those of one rebuild.
    assert sorted(r is None for r in results) == [False, True]
    assert MonthlyFigures.objects.count() == expected.rows


def test_the_lock_is_freed_with_the_connection_of_a_node_that_dies() -> None:
    gone = threading.Event()

    def dying_node() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [lock_key("retention")])
        connection.close()  # the process dies: its connection goes, with the lock
        gone.set()

    thread = threading.Thread(target=dying_node)
    thread.start()
    thread.join(30)
    assert gone.is_set()
    # The server frees it as soon as it sees the connection gone (a moment, not a lease).
    for _ in range(50):
        with exclusive("retention") as held:
            if held:
                break
        time.sleep(0.1)
    assert held


def _draft(agency: Any) -> Quote:
    from quotes.services import quote_create_draft

    return quote_create_draft(visit=make_visit_ready_to_quote(agency), user=None)
