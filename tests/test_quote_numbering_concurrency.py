"""Gapless numbering under concurrency: quotes issued from parallel threads, each in its
own transaction and database connection, against PostgreSQL (row locks are real there;
SQLite serialises whole-database writes, so the test would prove nothing)."""

from __future__ import annotations

import os
import threading
from datetime import date

import pytest
from django.db import connection, connections

from organisation.models import Brand
from quotes.legal_defaults import legal_texts_load
from quotes.models import LegalText, Quote, QuoteCounter
from quotes.services import QuoteError, quote_create_draft, quote_issue
from tests.factories import AgencyFactory, make_price_list, make_visit_ready_to_quote

THREADS = 8
PER_THREAD = 4


@pytest.mark.django_db(transaction=True)
def test_it_issues_gapless_unique_numbers_from_parallel_threads() -> None:
    if connection.vendor != "postgresql":
        if os.environ.get("CI"):
            pytest.fail("CI must run this test against PostgreSQL (DATABASE_URL)")
        pytest.skip("needs PostgreSQL (set DATABASE_URL): SQLite has no row locks")
    legal_texts_load(LegalText)  # a transactional test's flush lost the data migrations
    agency = AgencyFactory()
    make_price_list(agency.brand)
    day = date(2026, 12, 1)
    drafts = [
        quote_create_draft(visit=make_visit_ready_to_quote(agency), user=None, on=day)
        for _ in range(THREADS * PER_THREAD)
    ]
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def issue(batch: list[Quote]) -> None:
        try:
            start.wait()
            for draft in batch:
                quote_issue(quote=draft, on=day)
        except (QuoteError, Exception) as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue, args=(drafts[i::THREADS],)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    sequences = sorted(Quote.objects.filter(brand=agency.brand).values_list("sequence", flat=True))
    assert sequences == list(range(1, THREADS * PER_THREAD + 1))  # no gap, no duplicate
    numbers = set(Quote.objects.values_list("number", flat=True))
    assert len(numbers) == THREADS * PER_THREAD
    assert QuoteCounter.objects.get(brand=agency.brand, year=2026).last == THREADS * PER_THREAD
    assert Brand.objects.count() == 1
