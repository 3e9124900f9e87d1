"""Dashboard render times at network scale, and the visit-list CSV export.

Needs PostgreSQL: the figures are about the database doing the work. Uses
``DATABASE_URL`` when given (kept, so a big seed is reused), otherwise a fresh database
created and dropped (``bench/_server.py``). Seeds it with ``seed_volume`` when it holds no
volume data yet: ``BENCH_VISITS`` visits, default 20,000 so that ``make bench`` stays
short; ``BENCH_VISITS=250000`` is the group scale (a few minutes of seeding). Then
measures in process with Django's test client:

* the rebuild of the dashboard's summary table (what Celery beat runs every 5 minutes);
* the dashboard page for one agency (its manager) and for all agencies (staff), p50
  and p95 over ``RUNS`` requests;
* the visit list (first page) for the same two people;
* the CSV export of every visit of the year (staff): time, then peak Python memory
  while streaming it (tracemalloc, in a second pass since tracing slows Python down).
"""

from __future__ import annotations

import os
import time
import tracemalloc

from _common import django_setup, median, percentile, record
from _server import bench_database

RUNS = int(os.environ.get("BENCH_RUNS", "30"))


def main() -> None:
    with bench_database() as database_url:
        os.environ["DATABASE_URL"] = database_url
        measure()
        from django.db import connections

        connections.close_all()


def measure() -> None:
    django_setup()
    from allauth.mfa.totp.internal.auth import TOTP
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from organisation.models import Agency, Brand, Role, User
    from visits.models import Visit

    if not Brand.objects.filter(slug__startswith="vol-").exists():
        visits = int(os.environ.get("BENCH_VISITS", "20000"))
        print(f"  seeding {visits:,} visits (seed_volume)…", flush=True)
        call_command("seed_volume", visits=visits)
        # Planner statistics now, as autovacuum would do later: a freshly seeded
        # database without them gets poor query plans (seconds, not milliseconds).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    # The summary table, as Celery beat keeps it (dashboard/summaries.py), then its
    # statistics (autovacuum would gather them later).
    from dashboard.summaries import summaries_refresh

    state = summaries_refresh()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE dashboard_monthlyfigures")
    total = Visit.objects.count()
    record(f"dashboard.summary rebuild ({total:,} visits).time", state.seconds, "s")
    record(f"dashboard.summary rebuild ({total:,} visits).rows", state.rows, "rows")
    scale = f"{total:,} visits, {Agency.objects.count()} agencies"
    print(f"  data: {scale}")

    # A typical agency: the median one by number of visits.
    sizes = list(
        Agency.objects.filter(code__startswith="VOL-")
        .annotate(n=Count("visits"))
        .order_by("n")
        .values_list("pk", "n")
    )
    agency_id, agency_visits = sizes[len(sizes) // 2]
    manager = User.objects.get(role=Role.MANAGER, memberships__agency_id=agency_id)
    staff, created = User.objects.get_or_create(
        email="bench.staff@volume.test", defaults={"role": Role.STAFF}
    )
    if created:
        TOTP.activate(staff, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    print(f"  one agency: {agency_visits:,} visits in the year")

    people = {"one agency": manager, "all agencies": staff}
    pages = {"dashboard": "/tableau-de-bord/", "visit list": "/tableau-de-bord/visites/"}
    for who, user in people.items():
        client = Client()
        client.force_login(user)
        for page, url in pages.items():
            client.get(url)  # warm up templates and connections
            timings = []
            for _ in range(RUNS):
                start = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, (url, response.status_code)
            label = f"dashboard.{page} ({who}, {scale})"
            record(f"{label}.p50", median(timings), "ms")
            record(f"{label}.p95", percentile(timings, 95), "ms")

    client = Client()
    client.force_login(staff)
    url = "/tableau-de-bord/visites/export.csv"
    start = time.perf_counter()
    size = sum(len(chunk) for chunk in client.get(url).streaming_content)
    elapsed = time.perf_counter() - start
    record(f"dashboard.csv export ({total:,} rows).time", elapsed, "s")
    record(f"dashboard.csv export ({total:,} rows).size", size / 1e6, "MB")
    tracemalloc.start()
    for _chunk in client.get(url).streaming_content:
        pass
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    record(f"dashboard.csv export ({total:,} rows).peak python memory", peak / 1e6, "MB")


if __name__ == "__main__":
    main()
