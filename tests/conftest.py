from __future__ import annotations

import os

import pytest
from django.core.cache import cache
from django.test import Client

from organisation.models import Agency, Role, User
from tests.factories import PASSWORD, AgencyFactory, UserFactory

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests
# make around it are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    # Rate limits and cached values must not leak from one test to the next (Redis in CI).
    cache.clear()


@pytest.fixture
def agency(db: None) -> Agency:
    return AgencyFactory()


@pytest.fixture
def other_agency(db: None) -> Agency:
    return AgencyFactory()


@pytest.fixture
def advisor(agency: Agency) -> User:
    return UserFactory(role=Role.ADVISOR, agencies=[agency])


@pytest.fixture
def manager(agency: Agency) -> User:
    return UserFactory(role=Role.MANAGER, agencies=[agency])


@pytest.fixture
def staff(db: None) -> User:
    return UserFactory(role=Role.STAFF)


@pytest.fixture
def csrf_client() -> Client:
    """A client that enforces CSRF, as a browser would meet it."""
    return Client(enforce_csrf_checks=True)


def login(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


__all__ = ["PASSWORD", "login"]


@pytest.fixture
def catalogues(db: None) -> list[object]:
    from visits.catalogue import catalogue_load_default

    return catalogue_load_default()


@pytest.fixture(scope="session", autouse=True)
def _seal_certificate() -> None:
    from pathlib import Path

    from django.conf import settings

    from signatures.seal import seal_certificate_generate

    cert, key = Path(settings.NOMAD_SEAL_CERT_FILE), Path(settings.NOMAD_SEAL_KEY_FILE)
    if not cert.exists():
        seal_certificate_generate(cert_path=cert, key_path=key)
