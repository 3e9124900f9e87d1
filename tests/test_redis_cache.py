"""The Redis cache backend: Django's, reusing one Redis client per connection pool."""

from __future__ import annotations

import os
import threading
import uuid

import pytest

from nomad_web.redis_cache import RedisCache


@pytest.fixture
def backend() -> RedisCache:
    url = os.environ.get("REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI must run this test against Redis (REDIS_URL)")
        pytest.skip("needs Redis (set REDIS_URL)")
    return RedisCache(url, {"KEY_PREFIX": f"t-{uuid.uuid4().hex[:8]}"})


def test_it_keeps_one_client_and_behaves_as_djangos(backend: RedisCache) -> None:
    client = backend._cache.get_client()
    assert backend._cache.get_client(write=True) is client
    backend.set("a", {"x": 1}, timeout=30)
    assert backend.add("a", "other") is False
    assert backend.get("a") == {"x": 1}
    backend.set("n", 1)
    assert backend.incr("n") == 2
    assert backend.get_many(["a", "n", "missing"]) == {"a": {"x": 1}, "n": 2}
    backend.delete_many(["a", "n"])
    assert backend.get("a") is None


def test_the_shared_client_serves_threads_at_once(backend: RedisCache) -> None:
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(50):
                backend.set(f"k{n}:{i}", i)
                assert backend.get(f"k{n}:{i}") == i
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
