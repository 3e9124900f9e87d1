"""Browser tests: Debian's Chromium driven by Playwright against a live server."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test.testcases import LiveServerThread

from nomad_web.devserver.nodelay import NoDelayThreadedWSGIServer
from tests.oidc.server import TestProvider

# The live server answers without the 40 ms delayed-ACK wait on each kept-alive request,
# as gunicorn does in production (see nomad_web.devserver.nodelay).
LiveServerThread.server_class = NoDelayThreadedWSGIServer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "locale": "fr-FR", "viewport": {"width": 768, "height": 1024}}


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def oidc_provider(live_server: Any, settings: Any, tmp_path: Path) -> Iterator[TestProvider]:
    """A real OpenID Connect provider on loopback, and NOMAD's SSO pointed at it."""
    provider = TestProvider(app_url=live_server.url, accounts_file=tmp_path / "accounts.json")
    provider.start()
    try:
        for name, value in provider.django_settings().items():
            setattr(settings, name, value)
        yield provider
    finally:
        provider.stop()
