from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from announcements.models import Announcement
from nomad_web.demo import DEMO_PASSWORD, demo_seed
from organisation.models import Agency, Brand, Membership, Role, User
from visits.models import Prospect, Visit, VisitStatus

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from bench_load import FormFields

pytestmark = pytest.mark.django_db
MODELS: list[type[Model]] = [Brand, Agency, User, Membership, Prospect, Visit, Announcement]


def _snapshot() -> dict[str, list[tuple[object, ...]]]:
    return {m.__name__: sorted(map(tuple, m.objects.values_list())) for m in MODELS}


def test_it_creates_the_documented_demo_world() -> None:
    call_command("seed_demo")
    assert Brand.objects.count() == 2
    assert Agency.objects.count() == 3
    for agency in Agency.objects.all():
        assert agency.memberships.filter(user__role=Role.MANAGER).count() == 1
        assert 2 <= agency.memberships.filter(user__role=Role.ADVISOR).count() <= 3
    assert User.objects.filter(role=Role.STAFF).count() == 1
    assert Prospect.objects.count() >= 20
    for email in ("conseiller@demo.test", "manager@demo.test", "staff@demo.test"):
        assert User.objects.get(email=email).check_password(DEMO_PASSWORD)
    advisor = User.objects.get(email="conseiller@demo.test")
    assert Visit.objects.filter(advisor=advisor).exists()


def test_it_changes_nothing_when_run_twice() -> None:
    day = date(2026, 12, 1)
    demo_seed(today=day)
    before = _snapshot()
    summary = demo_seed(today=day)
    assert _snapshot() == before
    assert set(summary.created.values()) == {0}


def test_every_demo_prospect_step_is_accepted_as_seeded(client: Client) -> None:
    # Someone trying the demo opens a visit and goes on without changing a field (only the
    # consent box is theirs to tick): the seeded data must pass the form's validation.
    # Seeded emails such as "lefèvre.6@…" did not.
    demo_seed()
    visits = Visit.objects.filter(status__in=[VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS])
    assert visits.count() >= 20
    for visit in visits.select_related("advisor"):
        assert visit.advisor is not None
        client.force_login(visit.advisor)
        url = reverse("visits:visit_step", args=[visit.pk, "prospect"])
        page = client.get(url)
        assert page.status_code == 200
        fields = FormFields()
        fields.feed(page.content.decode())
        data = fields.as_data()
        if "consent" in page.content.decode():
            data["consent"] = ["on"]
        answer = client.post(url, data)
        assert answer.status_code == 303, (visit.prospect.email, answer.content.decode()[-600:])
    assert all(p.email.isascii() for p in Prospect.objects.all())
