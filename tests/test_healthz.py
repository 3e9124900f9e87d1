from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from nomad_web import health

pytestmark = pytest.mark.django_db

TOKEN = "healthz-test-token-0123456789"


@pytest.fixture
def client(client: Client, settings: Any) -> Client:
    """The details of each component are for the bearer of the metrics token (or staff);
    anonymous callers get ok or down only (tests/test_observability_health.py)."""
    settings.METRICS_TOKEN = TOKEN
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
    return client


def test_it_reports_every_component(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["cache"] == "ok"
    assert body["broker"] in {"ok", "eager"}
    assert body["storage"] == "ok"


def test_it_answers_503_when_the_database_is_down(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down() -> str:
        raise ConnectionError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", down)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"].startswith("down: ConnectionError")
    assert response.json()["cache"] == "ok"


def test_it_answers_503_when_the_cache_is_unreachable(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.cache.backends.redis import RedisCache

    monkeypatch.setattr(health, "cache", RedisCache("redis://127.0.0.1:1/0", {}))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["cache"].startswith("down")


def test_it_answers_503_when_the_broker_is_unreachable(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nomad_web.celery import app

    monkeypatch.setattr("django.conf.settings.CELERY_TASK_ALWAYS_EAGER", False)
    monkeypatch.setitem(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"].startswith("down")
