"""Test-only fault injection for offline replays (enabled by the test settings only).

The browser tests set ``CHAOS`` from the test thread; the live server, in the same
process, then answers sync requests late, with a 500 before doing anything, or with a
500 *after* committing the write (the answer is lost, the work is done), so the tests
can prove that replays lose nothing and apply nothing twice.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpRequest, HttpResponse, JsonResponse

from nomad_web.http import SYNC_HEADER


@dataclass
class ChaosConfig:
    fail_before: float = 0.0
    fail_after: float = 0.0
    max_delay_ms: int = 0
    # A path whose first sync POST is refused (422) as a server-side validation would.
    refuse_once: str = ""
    # A path whose every sync POST fails (500) before doing anything: a record the server
    # cannot take, whatever the number of tries.
    fail_path: str = ""
    # A path whose pages (GET) fail (500): a server that breaks while the tablet browses.
    fail_page: str = ""
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    injected: list[str] = field(default_factory=list)


CHAOS = ChaosConfig()
_lock = threading.Lock()


def chaos_reset(
    *,
    seed: int = 0,
    fail_before: float = 0,
    fail_after: float = 0,
    max_delay_ms: int = 0,
    refuse_once: str = "",
    fail_path: str = "",
    fail_page: str = "",
) -> None:
    # In place: the tests hold a reference to CHAOS to read what was injected.
    with _lock:
        CHAOS.fail_before, CHAOS.fail_after, CHAOS.max_delay_ms = (
            fail_before,
            fail_after,
            max_delay_ms,
        )
        CHAOS.refuse_once = refuse_once
        CHAOS.fail_path = fail_path
        CHAOS.fail_page = fail_page
        CHAOS.rng = random.Random(seed)
        CHAOS.injected = []


class ChaosMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "GET" and CHAOS.fail_page and CHAOS.fail_page in request.path:
            CHAOS.injected.append("page")
            return HttpResponse("injected page failure", status=500)
        if request.method != "POST" or request.headers.get(SYNC_HEADER) != "1":
            return self.get_response(request)
        with _lock:
            refuse = bool(CHAOS.refuse_once) and CHAOS.refuse_once in request.path
            if refuse:
                CHAOS.refuse_once = ""
            delay = CHAOS.rng.uniform(0, CHAOS.max_delay_ms) / 1000
            before = CHAOS.rng.random() < CHAOS.fail_before
            before = before or (bool(CHAOS.fail_path) and CHAOS.fail_path in request.path)
            after = CHAOS.rng.random() < CHAOS.fail_after
        if refuse:
            CHAOS.injected.append("refused")
            body = {"status": 422, "message": "Refusé (test)", "errors": {"priorities": ["Refusé"]}}
            return JsonResponse(body, status=422)
        time.sleep(delay)
        if before:
            CHAOS.injected.append("before")
            return HttpResponse("injected failure", status=500)
        response = self.get_response(request)
        if after:
            CHAOS.injected.append("after")
            return HttpResponse("injected failure after the write", status=500)
        return response
