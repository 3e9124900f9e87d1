"""In-process render time of the login page and the advisor's agenda (Django test client).

Not a load test: one process, no network. It shows what a page costs the server on its
own; the load benchmark (gunicorn, concurrent users) comes with the measurement work.
"""

from __future__ import annotations

import time

from _common import django_setup, median, percentile, record

RUNS = 200


def main() -> None:
    django_setup()
    from django.test import Client

    from nomad_web.demo import demo_seed
    from organisation.models import User

    demo_seed()
    client = Client()
    client.force_login(User.objects.get(email="conseiller@demo.test"))
    anonymous = Client()

    pages = {
        "login page": (anonymous, "/accounts/login/"),
        "agenda (day)": (client, "/agenda/"),
        "agenda (week)": (client, "/agenda/?view=week"),
        "healthz": (anonymous, "/healthz"),
    }
    for label, (who, url) in pages.items():
        who.get(url)  # warm up templates and connections
        timings = []
        for i in range(RUNS):
            start = time.perf_counter()
            response = who.get(url)
            timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            if i % 50 == 49:
                print(f"  {label}: {i + 1}/{RUNS} requests", flush=True)
        record(f"pages.{label}.median", median(timings), "ms")
        record(f"pages.{label}.p95", percentile(timings, 95), "ms")


if __name__ == "__main__":
    main()
