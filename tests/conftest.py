from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from nomad_web import request_cache
from organisation.models import Agency, Role, User
from tests.factories import PASSWORD, AgencyFactory, UserFactory

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests
# make around it are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    # Rate limits and cached values must not leak from one test to the next (Redis in CI).
    cache.clear()
    request_cache.local_clear()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    # A request in English activates English for the rest of the thread (the locale
    # middleware never switches back): each test starts and ends in the default language.
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


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


__all__ = ["PASSWORD", "login", "postgresql_required", "wait_until"]


@pytest.fixture
def catalogues(db: None) -> list[object]:
    from visits.catalogue import catalogue_load_default

    return catalogue_load_default()


@pytest.fixture(scope="session")
def kafka_mock_cluster() -> Iterator[str]:
    """librdkafka's mock cluster: three brokers on loopback speaking the Kafka protocol.

    It lives as long as the client that created it; its bootstrap address is what the
    app's real publisher and consumer are given.
    """
    from confluent_kafka import Producer

    holder = Producer({"test.mock.num.brokers": 3, "log_level": 3})
    brokers = holder.list_topics(timeout=10).brokers.values()
    yield ",".join(f"{b.host}:{b.port}" for b in brokers)
    holder.flush(1)


@pytest.fixture
def kafka(settings: Any, kafka_mock_cluster: str) -> str:
    """The app pointed at the mock cluster, with topics and a group of this test only."""
    run = uuid.uuid4().hex[:8]
    settings.KAFKA_BOOTSTRAP_SERVERS = kafka_mock_cluster
    settings.KAFKA_TOPIC_PREFIX = f"t{run}.nomad"
    settings.KAFKA_BACKOFFICE_TOPIC_PREFIX = f"t{run}.backoffice"
    settings.KAFKA_CONSUMER_GROUP = f"nomad-test-{run}"
    # The KIP-848 protocol joins a group at once (the classic one waits 3 s on the mock).
    settings.KAFKA_GROUP_PROTOCOL = "consumer"
    settings.KAFKA_DELIVERY_TIMEOUT_SECONDS = 5
    return kafka_mock_cluster


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """URL of a running S3 server (moto's, in its own process)."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(endpoint, timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the S3 server did not start")
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


def postgresql_required(why: str) -> None:
    """Skips the test outside PostgreSQL (fails it in CI, which must run it)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        if os.environ.get("CI"):
            pytest.fail("CI must run this test against PostgreSQL (DATABASE_URL)")
        pytest.skip(why)


def wait_until(condition: Any, seconds: float, what: str) -> None:
    """Polls ``condition()`` until it is true; fails saying ``what`` did not happen."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")
