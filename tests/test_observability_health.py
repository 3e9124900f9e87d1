"""/healthz/live and /healthz/ready (issue 19): no details for anonymous callers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings

from nomad_web import health
from organisation.models import User

pytestmark = pytest.mark.django_db
TOKEN = {"Authorization": "Bearer ready-token-0123"}


@pytest.fixture(autouse=True)
def _token(settings: Any) -> None:
    settings.METRICS_TOKEN = "ready-token-0123"


def _broken_storage(tmp_path: Path) -> dict[str, Any]:
    """The documents' storage under a file instead of a folder: nothing can be written
    there, even by root (which permission bits would not stop)."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    return {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(blocker / "documents"), "base_url": None},
    }


def test_liveness_checks_no_dependency(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    def down() -> str:
        raise ConnectionError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", down)
    response = client.get("/healthz/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert client.get("/healthz/ready").status_code == 503


def test_readiness_tells_anonymous_callers_only_ok(client: Client) -> None:
    response = client.get("/healthz/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    detailed = client.get("/healthz/ready", headers=TOKEN).json()
    assert detailed["database"] == detailed["cache"] == detailed["storage"] == "ok"
    assert detailed["signed_waiting_documents"] == 0


def test_readiness_is_down_when_the_documents_storage_cannot_be_written(
    client: Client, tmp_path: Path, settings: Any
) -> None:
    with override_settings(STORAGES={**settings.STORAGES, "documents": _broken_storage(tmp_path)}):
        anonymous = client.get("/healthz/ready")
        detailed = client.get("/healthz/ready", headers=TOKEN)
        alias = client.get("/healthz")
    assert anonymous.status_code == detailed.status_code == alias.status_code == 503
    assert anonymous.json() == alias.json() == {"status": "down"}
    body = detailed.json()
    assert body["storage"].startswith("down: ")
    assert str(tmp_path) not in detailed.content.decode()
    assert body["database"] == body["cache"] == "ok"
    # And the storage probe leaves nothing behind when it works.
    assert client.get("/healthz/ready").status_code == 200


def test_readiness_is_down_when_the_cache_is_unreachable(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.cache.backends.redis import RedisCache

    monkeypatch.setattr(health, "cache", RedisCache("redis://127.0.0.1:1/0", {}))
    anonymous = client.get("/healthz/ready")
    assert anonymous.status_code == 503
    assert anonymous.json() == {"status": "down"}
    assert client.get("/healthz/ready", headers=TOKEN).json()["cache"].startswith("down")


def test_staff_see_the_details_and_a_wrong_token_does_not(
    client: Client, staff: User, advisor: User
) -> None:
    wrong = client.get("/healthz/ready", headers={"Authorization": "Bearer ready-token-0124"})
    assert wrong.json() == {"status": "ok"}
    client.force_login(advisor)
    assert client.get("/healthz/ready").json() == {"status": "ok"}
    client.force_login(staff)
    assert client.get("/healthz/ready").json()["storage"] == "ok"


def test_the_storage_probe_leaves_no_file(client: Client, settings: Any) -> None:
    location = Path(settings.STORAGES["documents"]["OPTIONS"]["location"])
    before = set(location.rglob("*"))
    assert client.get("/healthz/ready").status_code == 200
    assert {p for p in set(location.rglob("*")) - before if p.is_file()} == set()
