"""The server under load: gunicorn (2 sync workers) on PostgreSQL with Redis, production
settings, loaded from this process on loopback by an asyncio client (httpx), 20
concurrent users for ``BENCH_LOAD_SECONDS`` (default 20) per page:

* bare Django: ``/bench/ok``, a view answering "ok" with no database (NOMAD_BENCH_URLS);
* the login page (anonymous);
* the agenda (an advisor, signed in once per user);
* a visit step, GET then POST of the ``instructions`` step (each user has its own visit,
  the form is read from the page with its CSRF token, one answer is changed);
* the manager dashboard.

p50/p95/p99 latency and throughput per page, and each page's p95 over bare Django's
p95 (aim: within 3x).

Then the scale-out figures: the visit step (GET then POST, the advisor's work) again
with 1, 2 and 4 workers (``BENCH_LOAD_SCALING``), the throughput of each, and from the
2-worker figure how many such nodes the peak season needs: ``BENCH_PEAK_ADVISORS``
(3,000) advisors each posting one step a minute, each POST followed by the GET of the
next step. Database: see ``bench/_server.py`` (a fresh one unless
``DATABASE_URL`` is given). The client shares the machine's CPUs with the server, so the
figures are a floor of what the server does alone.
"""

from __future__ import annotations

import asyncio
import math
import os
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock
from html.parser import HTMLParser

import httpx
from _common import django_setup, median, percentile, record
from _server import bench_database, gunicorn, prepare, production_env

USERS = int(os.environ.get("BENCH_LOAD_USERS", "20"))
SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "20"))
STEP = "instructions"
SCALING = [int(w) for w in os.environ.get("BENCH_LOAD_SCALING", "1,2,4").split(",") if w]
PEAK_ADVISORS = int(os.environ.get("BENCH_PEAK_ADVISORS", "3000"))


class FormFields(HTMLParser):
    """The fields of the step's POST form, as a browser would send them (not those of a
    ``<template>``, which the page clones to add a row, nor disabled ones)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._in_form = False
        self._templates = 0
        self._textarea: str | None = None
        self._select: str | None = None
        self._first_option: str | None = None
        self._chosen = False
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "template":
            self._templates += 1
        if (
            tag == "form"
            and a.get("method", "").lower() == "post"
            and "/etapes/" in a.get("action", "/etapes/")
        ):
            self._in_form = True
        if not self._in_form or self._templates:
            return
        if tag == "option" and self._select:  # options have no name
            if self._first_option is None:
                self._first_option = a.get("value", "")
            if "selected" in a:
                self.fields.append((self._select, a.get("value", "")))
                self._chosen = True
        if not a.get("name") or "disabled" in a:
            return
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "file"):
                self.fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "textarea":
            self._textarea, self._text = a["name"], ""
        elif tag == "select":
            self._select, self._first_option, self._chosen = a["name"], None, False

    def as_data(self) -> dict[str, list[str]]:
        """The fields as httpx sends a form (a name given several times keeps each value)."""
        data: dict[str, list[str]] = {}
        for name, value in self.fields:
            data.setdefault(name, []).append(value)
        return data

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "template":
            self._templates -= 1
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, self._text.lstrip("\n")))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            if not self._chosen and self._first_option is not None:  # as a browser does
                self.fields.append((self._select, self._first_option))
            self._select = None
        elif tag == "form":
            self._in_form = False


@dataclass
class Phase:
    label: str
    timings: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, ms: float, ok: bool) -> None:
        if ok:
            self.timings.setdefault(name, []).append(ms)
        else:
            self.errors[name] = self.errors.get(name, 0) + 1


async def timed(
    phase: Phase, name: str, call: Awaitable[httpx.Response], expected: int
) -> httpx.Response:
    start = time.perf_counter()
    response = await call
    phase.add(name, (time.perf_counter() - start) * 1000, response.status_code == expected)
    return response


User = Callable[[httpx.AsyncClient, int, Phase], Awaitable[None]]


def get(url: str, name: str) -> User:
    async def one(client: httpx.AsyncClient, _n: int, phase: Phase) -> None:
        await timed(phase, name, client.get(url), 200)

    return one


def step_get_post(visits: list[int]) -> User:
    async def one(client: httpx.AsyncClient, n: int, phase: Phase) -> None:
        url = f"/visites/{visits[n]}/etapes/{STEP}/"
        page = await timed(phase, "visit step GET", client.get(url), 200)
        parser = FormFields()
        parser.feed(page.text)
        data = dict(parser.fields)
        assert "csrfmiddlewaretoken" in data, "no CSRF token in the step form"
        if "submission_id" in data:
            data["submission_id"] = str(uuid.uuid4())
        for key in data:
            if re.search(r"instructions|priorities", key) and key != "csrfmiddlewaretoken":
                data[key] = f"Consigne {uuid.uuid4().hex[:8]}"
                break
        await timed(phase, "visit step POST", client.post(url, data=data), 303)

    return one


async def run_phase(
    base: str, label: str, user: User, cookies: list[dict[str, str]], seconds: float
) -> Phase:
    phase = Phase(label)
    warm = Phase("warm-up")
    clients = [
        httpx.AsyncClient(base_url=base, cookies=c, timeout=60, follow_redirects=False)
        for c in cookies
    ]
    try:
        await asyncio.gather(*(user(c, n, warm) for n, c in enumerate(clients)))
        if warm.errors:
            raise RuntimeError(f"{label}: warm-up failed {warm.errors}")
        deadline = time.perf_counter() + seconds
        started = time.perf_counter()

        async def loop(client: httpx.AsyncClient, n: int) -> None:
            while time.perf_counter() < deadline:
                await user(client, n, phase)

        async def progress() -> None:
            while time.perf_counter() < deadline:
                await asyncio.sleep(5)
                done = sum(len(t) for t in phase.timings.values())
                print(f"    {label}: {time.perf_counter() - started:.0f} s, {done} requests")

        watcher = asyncio.create_task(progress())
        await asyncio.gather(*(loop(c, n) for n, c in enumerate(clients)))
        elapsed = time.perf_counter() - started
        watcher.cancel()
    finally:
        for c in clients:
            await c.aclose()
    phase.timings["_elapsed"] = [elapsed]
    return phase


def report(phase: Phase, bare_p95: float | None) -> float:
    elapsed = phase.timings.pop("_elapsed")[0]
    p95 = 0.0
    for name, timings in phase.timings.items():
        p95 = percentile(timings, 95)
        record(f"load.{name}.p50", median(timings), "ms")
        record(f"load.{name}.p95", p95, "ms")
        record(f"load.{name}.p99", percentile(timings, 99), "ms")
        record(f"load.{name}.throughput", len(timings) / elapsed, "req/s")
        if bare_p95:
            ratio = p95 / bare_p95
            record(
                f"load.{name}.p95_over_bare",
                ratio,
                "x",
                "bare Django view p95, same gunicorn, same run (aim: 3x at most)",
                "" if ratio <= 3 else f"over the 3x aim ({p95:.0f} ms against {bare_p95:.0f} ms)",
            )
    for name, count in phase.errors.items():
        print(f"  ! {name}: {count} unexpected answers")
    return p95


def cpu_busy(seconds: float = 2) -> float:
    """Share of the CPUs busy over ``seconds`` (Linux /proc/stat): others' work."""

    def sample() -> tuple[int, int]:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        return sum(values), values[3] + values[4]  # total, idle + iowait

    total, idle = sample()
    time.sleep(seconds)
    total2, idle2 = sample()
    return 100 * (1 - (idle2 - idle) / max(1, total2 - total))


def sessions(users: list[object]) -> list[dict[str, str]]:
    from django.conf import settings
    from django.test import Client

    cookies = []
    for user in users:
        client = Client()
        client.force_login(user)  # type: ignore[arg-type]
        cookies.append(
            {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}
        )
    return cookies


def main() -> None:
    with bench_database() as database_url:
        env = production_env(database_url)
        print("  preparing the database (migrate, seed_demo, collectstatic)…", flush=True)
        prepare(env)
        os.environ.update(env)
        django_setup()
        from django.utils import timezone

        from organisation.models import User as Person
        from tests.factories import VisitFactory

        advisor = Person.objects.get(email="conseiller@demo.test")
        manager = Person.objects.get(email="manager@demo.test")
        # One visit per user, next month: the agenda of today stays the demo's.
        day = timezone.localdate() + timedelta(days=30)
        visits = [
            VisitFactory(
                prospect__agency=advisor.agencies.get(),
                advisor=advisor,
                scheduled_at=datetime.combine(
                    day, clock(8 + n % 10, 0), tzinfo=timezone.get_current_timezone()
                ),
            ).pk
            for n in range(USERS)
        ]
        anonymous = [{} for _ in range(USERS)]
        advisors = sessions([advisor] * USERS)
        managers = sessions([manager] * USERS)
        phases: list[tuple[str, User, list[dict[str, str]]]] = [
            ("bare Django", get("/bench/ok", "bare Django (/bench/ok)"), anonymous),
            ("login page", get("/accounts/login/", "login page"), anonymous),
            ("agenda", get("/agenda/", "agenda"), advisors),
            ("visit step", step_get_post(visits), advisors),
            ("dashboard", get("/tableau-de-bord/", "manager dashboard"), managers),
        ]
        with gunicorn(env, workers=2) as base:
            print(f"  gunicorn 2 workers, {USERS} users, {SECONDS:.0f} s per page", flush=True)
            busy = cpu_busy()
            record(
                "load.machine_cpu_busy_before",
                busy,
                "%",
                f"all {os.cpu_count()} CPUs, 2 s with the server idle",
                "other work on the machine skews these figures" if busy > 10 else "",
            )
            bare_p95: float | None = None
            for label, user, cookies in phases:
                print(f"  == {label}", flush=True)
                phase = asyncio.run(run_phase(base, label, user, cookies, SECONDS))
                p95 = report(phase, bare_p95)
                if bare_p95 is None:
                    bare_p95 = p95
        scaling(env, visits, advisors)  # after the 2-worker server above has stopped
        from django.db import connections

        connections.close_all()


def scaling(env: dict[str, str], visits: list[int], advisors: list[dict[str, str]]) -> None:
    """Step GET+POST pairs a second with 1, 2, 4 workers, and the nodes the peak needs."""
    pairs: dict[int, float] = {}
    for workers in SCALING:
        with gunicorn(env, workers=workers) as base:
            label = f"visit step, {workers} worker{'s' if workers > 1 else ''}"
            print(f"  == {label}", flush=True)
            phase = asyncio.run(run_phase(base, label, step_get_post(visits), advisors, SECONDS))
        elapsed = phase.timings["_elapsed"][0]
        pairs[workers] = len(phase.timings.get("visit step POST", [])) / elapsed
        record(f"load.scaling.{workers}_workers", pairs[workers], "step GET+POST/s")
    for workers in SCALING:
        if workers != SCALING[0] and pairs[SCALING[0]]:
            record(
                f"load.scaling.{workers}_workers_over_{SCALING[0]}",
                pairs[workers] / pairs[SCALING[0]],
                "x",
                f"{SCALING[0]} worker(s), same run; {os.cpu_count()} CPUs shared with the client",
            )
    node = pairs.get(2)
    if node:
        needed = PEAK_ADVISORS / 60  # one step a minute each, a GET and a POST
        advisors_text = f"{PEAK_ADVISORS} advisors"
        record("load.peak.step_pairs_needed", needed, "step GET+POST/s", advisors_text)
        record("load.peak.share_of_one_2_worker_node", needed / node, "x")
        record("load.peak.nodes_2_workers", float(math.ceil(needed / node)), "nodes")


if __name__ == "__main__":
    main()
