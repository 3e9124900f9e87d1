"""``seed_volume``: a deterministic, plausible year of data, at a small scale here."""

from __future__ import annotations

from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, F, Q

from organisation.models import Agency, Brand, Role, User
from quotes.models import Contract, Quote, QuoteCounter, QuoteStatus
from visits.models import Channel, Visit, VisitStatus

pytestmark = pytest.mark.django_db

UNTIL = date(2026, 10, 31)
SMALL = {"visits": 500, "brands": 3, "agencies": 12, "advisors": 40, "until": UNTIL}


def _seed(**options: Any) -> None:
    call_command("seed_volume", stdout=StringIO(), **{**SMALL, **options})


def _fingerprint() -> list[tuple[Any, ...]]:
    return list(
        Visit.objects.order_by("uuid").values_list(
            "uuid", "scheduled_at", "status", "channel", "estimated_minutes", "agency__code"
        )
    )


class _Rollback(Exception):
    pass


def test_it_seeds_the_organisation_and_a_year_of_visits() -> None:
    _seed(seed=1)
    assert Brand.objects.filter(slug__startswith="vol-").count() == 3
    assert Agency.objects.filter(code__startswith="VOL-").count() == 12
    assert User.objects.filter(role=Role.ADVISOR).count() == 40
    assert User.objects.filter(role=Role.MANAGER).count() == 12
    assert Visit.objects.count() == 500
    first, last = Visit.objects.order_by("scheduled_at").values_list("scheduled_at", flat=True)[
        ::499
    ]
    assert first.date() >= date(2025, 11, 1)
    assert last.date() <= UNTIL
    # Every visit's advisor works in the visit's agency.
    assert not Visit.objects.exclude(advisor__memberships__agency=F("agency")).exists()


def test_it_makes_quotes_and_contracts_in_plausible_proportions() -> None:
    _seed(seed=2)
    visits = Visit.objects.count()
    quotes = Quote.objects.count()
    signed = Contract.objects.filter(quote__status=QuoteStatus.SIGNED).count()
    assert 0.35 * visits < quotes < 0.75 * visits
    assert 0.2 * visits < signed < 0.5 * visits
    assert signed == Visit.objects.filter(status=VisitStatus.SIGNED).count()
    # Numbering continues after the seeded quotes.
    for counter in QuoteCounter.objects.all():
        numbered = Quote.objects.filter(brand=counter.brand, year=counter.year)
        assert counter.last == numbered.count() == max(numbered.values_list("sequence", flat=True))


def test_it_grows_app_adoption_over_the_year() -> None:
    _seed(seed=3, visits=2000)

    def rate(month: int, year: int) -> float:
        row = Visit.objects.filter(scheduled_at__year=year, scheduled_at__month=month).aggregate(
            app=Count("pk", filter=Q(channel=Channel.APP)), total=Count("pk")
        )
        return row["app"] / row["total"]

    assert 0.3 < rate(11, 2025) < 0.6
    assert 0.8 < rate(10, 2026) <= 1


def test_it_gives_the_same_data_for_the_same_seed() -> None:
    try:
        with transaction.atomic():
            _seed(seed=4)
            first = _fingerprint()
            raise _Rollback
    except _Rollback:
        pass
    assert not Visit.objects.exists()
    _seed(seed=4)
    assert _fingerprint() == first


def test_it_refuses_to_seed_twice() -> None:
    _seed(seed=5, visits=10)
    with pytest.raises(CommandError, match="already"):
        _seed(seed=5, visits=10)
