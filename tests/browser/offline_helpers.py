"""Shared steps of the offline browser tests."""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import Page, expect

from tests.factories import PASSWORD

RECORDS = """async () => {
  const m = await import('/static/js/sync.js');
  return (await m.records()).map(
    (r) => ({id: r.id, step: r.step, state: r.state, visitId: r.visitId}));
}"""


def sign_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Courriel").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(f"{base_url}/agenda/")
    ready(page)


def ready(page: Page) -> None:
    page.locator("html[data-offline-ready='1']").wait_for()


def wait_for_worker(page: Page) -> None:
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    # A page loaded before the worker took control is not served by it: reload once.
    if not page.evaluate("() => !!navigator.serviceWorker.controller"):
        page.reload()
        ready(page)


def prepare_day(page: Page) -> None:
    wait_for_worker(page)
    page.get_by_role("button", name="Préparer ma journée").click()
    expect(page.locator("[data-prepare-status]")).to_contain_text("disponible", timeout=30000)


def records(page: Page) -> list[dict[str, Any]]:
    return page.evaluate(RECORDS)


def wait_until_sent(page: Page, timeout: float = 60) -> list[dict[str, Any]]:
    """Nudge the replay until nothing is pending; the records left (conflicts, refusals)."""
    deadline = time.monotonic() + timeout
    while True:
        left = records(page)
        if not any(r["state"] == "pending" for r in left):
            return left
        if time.monotonic() > deadline:
            raise AssertionError(f"still pending after {timeout}s: {left}")
        page.evaluate(
            "async () => { const m = await import('/static/js/sync.js'); await m.replay(); }"
        )
        page.wait_for_timeout(300)


def submit_step(page: Page) -> None:
    """Submit a step and wait for the next one: the record is queued before it loads."""
    before = page.url
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.wait_for_url(lambda url: url != before)
    ready(page)


def draw_signature(page: Page) -> None:
    """The client signs in the pad with the mouse (a zigzag: enough ink to count)."""
    page.evaluate(
        "() => document.querySelector('#signature-pad').scrollIntoView({block: 'center'})"
    )
    box = page.locator("#signature-pad").bounding_box()
    assert box is not None
    x, y = box["x"] + 30, box["y"] + box["height"] / 3
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(30):
        page.mouse.move(x + i * 15, y + (25 if i % 2 else -25), steps=4)
    page.mouse.up()
