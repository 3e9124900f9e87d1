"""A production-like NOMAD web for the benchmarks: its own PostgreSQL database, Redis,
gunicorn with DEBUG off and static files through whitenoise, on loopback over plain HTTP.

PostgreSQL: with ``DATABASE_URL`` set that database is used as it is (migrated, demo data
added); otherwise a fresh database ``nomad_bench_<random>`` is created on ``BENCH_PG_URL``
(default ``postgresql://postgres@127.0.0.1:5432/postgres``) and dropped at the end.
Redis: ``REDIS_URL``, default database 9 of a Redis on 127.0.0.1:6379.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from _common import ROOT

BIN = Path(sys.executable).parent


@contextmanager
def bench_database() -> Iterator[str]:
    """URL of a PostgreSQL database for this run (created and dropped unless given)."""
    given = os.environ.get("DATABASE_URL", "")
    if given.startswith("postgres"):
        yield given
        return
    import psycopg

    admin = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"nomad_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(admin)
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def production_env(database_url: str) -> dict[str, str]:
    """Environment of the served app: production settings, plain HTTP on loopback."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "nomad_web.settings",
        "NOMAD_ENV": "production",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Plain HTTP on loopback: no redirect to HTTPS, cookies not limited to HTTPS.
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "NOMAD_BENCH_URLS": "true",
        "DATABASE_URL": database_url,
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9"),
        "LOG_LEVEL": "WARNING",
    }


def prepare(env: dict[str, str]) -> None:
    """Migrate, add the demo data, collect static files (whitenoise's manifest), analyze."""
    for command in (
        ["migrate", "--noinput", "-v0"],
        ["seed_demo"],
        ["collectstatic", "--noinput", "-v0"],
    ):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    import psycopg

    # Planner statistics, as autovacuum would gather them later on a live database.
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("ANALYZE")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def gunicorn(env: dict[str, str], workers: int = 2) -> Iterator[str]:
    """Base URL of gunicorn serving the app with ``workers`` sync workers."""
    import httpx

    port = free_port()
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "nomad_web.wsgi:application",
            f"--workers={workers}",
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/bench/ok", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not answer")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
