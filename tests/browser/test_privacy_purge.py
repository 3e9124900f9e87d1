"""Privacy on the device: prepared data older than NOMAD_OFFLINE_MAX_DAYS leaves it."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page

from organisation.models import Role, User
from tests.browser.offline_helpers import prepare_day, ready, records, sign_in, submit_step
from tests.factories import AgencyFactory, UserFactory, VisitFactory
from visits.catalogue import catalogue_load_default

pytestmark = pytest.mark.django_db(transaction=True)

AGE_PREPARED = """async ([visitId, days]) => {
  const idb = await import('/static/js/store.js');
  const row = await idb.get('prepared', visitId);
  row.preparedAt = new Date(Date.now() - days * 24 * 3600 * 1000).toISOString();
  await idb.put('prepared', row);
}"""
# The ids of the visits prepared on the device. Their order is not the contract (the
# agenda orders visits itself): the test compares them as sets. (A JavaScript ``sort()``
# here used to compare them as strings, so 9 came after 10 and the test failed whenever
# the two primary keys straddled a power of ten.)
PREPARED_IDS = """async () => {
  const idb = await import('/static/js/store.js');
  return (await idb.all('prepared')).map((p) => p.visitId);
}"""
CACHED_URLS = """async () => {
  const cache = await caches.open('nomad-prepared');
  return (await cache.keys()).map((r) => new URL(r.url).pathname);
}"""


@pytest.fixture
def advisor(db: None) -> User:
    catalogue_load_default()
    return UserFactory(role=Role.ADVISOR, agencies=[AgencyFactory()], email="camille@example.test")


def test_it_removes_stale_prepared_visits_and_keeps_queued_records(
    page: Page,
    context: BrowserContext,
    live_server,
    advisor: User,  # type: ignore[no-untyped-def]
) -> None:
    agency = advisor.agencies.get()
    old = VisitFactory(prospect__agency=agency, advisor=advisor)
    fresh = VisitFactory(prospect__agency=agency, advisor=advisor)
    base = live_server.url
    sign_in(page, base, advisor.email)
    assert page.locator("body").get_attribute("data-offline-max-days") == "7"
    prepare_day(page)
    assert set(page.evaluate(PREPARED_IDS)) == {old.pk, fresh.pk}

    # Offline, a write on the old visit waits in the queue.
    context.set_offline(True)
    page.goto(f"{base}/visites/{old.pk}/etapes/instructions/")
    ready(page)
    page.get_by_label("Priorités").fill("Pas encore envoyé")
    submit_step(page)
    assert [r["state"] for r in records(page)] == ["pending"]

    # Prepared 6 days ago: kept. Then 8 days ago (over the 7-day default): removed.
    page.evaluate(AGE_PREPARED, [old.pk, 6])
    page.goto(f"{base}/agenda/")
    ready(page)
    assert set(page.evaluate(PREPARED_IDS)) == {old.pk, fresh.pk}
    page.evaluate(AGE_PREPARED, [old.pk, 8])
    page.goto(f"{base}/agenda/")
    ready(page)

    assert page.evaluate(PREPARED_IDS) == [fresh.pk]
    cached = page.evaluate(CACHED_URLS)
    assert not [u for u in cached if u.startswith(f"/visites/{old.pk}/")]
    assert [u for u in cached if u.startswith(f"/visites/{fresh.pk}/")]
    # The unsent write survives the purge.
    assert [(r["visitId"], r["state"]) for r in records(page)] == [(old.pk, "pending")]
