"""The environment decides the settings; production is secure or refuses to start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _clean_environ() -> dict[str, str]:
    # The browser tests allow async-unsafe ORM calls in this process; a deployment never does.
    dropped = {"DATABASE_URL", "REDIS_URL", "NOMAD_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {k: v for k, v in os.environ.items() if k not in dropped}


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = _clean_environ()
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "nomad_web.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_uses_postgresql_and_redis_when_their_urls_are_set() -> None:
    out = _run(
        "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE']);"
        "print(s.CACHES['default']['BACKEND']);"
        "print(s.CELERY_BROKER_URL, s.CELERY_TASK_ALWAYS_EAGER)",
        DATABASE_URL="postgres://u@127.0.0.1:5432/x",
        REDIS_URL="redis://127.0.0.1:6379/3",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:3] == [
        "django.db.backends.postgresql",
        "nomad_web.redis_cache.RedisCache",
        "redis://127.0.0.1:6379/3 False",
    ]


def test_it_defaults_to_the_embedded_mode() -> None:
    out = _run(
        "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE']);"
        "print(s.CACHES['default']['BACKEND']); print(s.CELERY_TASK_ALWAYS_EAGER, s.EMAIL_BACKEND)"
    )
    assert out.stdout.split("\n")[:3] == [
        "django.db.backends.sqlite3",
        "django.core.cache.backends.locmem.LocMemCache",
        "True django.core.mail.backends.console.EmailBackend",
    ]


def test_it_refuses_production_without_a_secret_key() -> None:
    out = _run(
        "import django; django.setup()", NOMAD_ENV="production", ALLOWED_HOSTS="nomad.example"
    )
    assert out.returncode != 0
    assert "SECRET_KEY must be set in production" in out.stderr


def test_it_reads_secrets_from_files(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s" * 60 + "\n")
    out = _run(
        "from django.conf import settings as s; print(len(s.SECRET_KEY))",
        SECRET_KEY_FILE=str(secret),
    )
    assert out.stdout.strip() == "60"


def test_it_passes_the_deployment_checklist_in_production() -> None:
    out = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **_clean_environ(),
            "DJANGO_SETTINGS_MODULE": "nomad_web.settings",
            "NOMAD_ENV": "production",
            "SECRET_KEY": "k" * 30 + "Zq9!x" * 10,
            "ALLOWED_HOSTS": "nomad.example",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues" in out.stdout


def test_it_reads_the_sso_secret_from_a_file_and_keeps_the_session_limits(tmp_path: Path) -> None:
    secret = tmp_path / "oidc-secret"
    secret.write_text("from-a-mounted-secret\n")
    out = _run(
        "import django; django.setup(); from django.conf import settings as s;"
        "from organisation.oidc import oidc_enabled;"
        "print(s.OIDC_RP_CLIENT_SECRET, oidc_enabled(), s.SESSION_COOKIE_AGE,"
        " s.NOMAD_SESSION_IDLE_MINUTES)",
        OIDC_ISSUER="https://sso.example.test/realms/nomad",
        OIDC_RP_CLIENT_ID="nomad-web",
        OIDC_RP_CLIENT_SECRET_FILE=str(secret),
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["from-a-mounted-secret", "True", "43200", "30"]


def test_it_serves_the_bench_url_only_when_asked() -> None:
    code = (
        "import django; django.setup(); from django.urls import resolve, Resolver404\n"
        "try:\n    print(resolve('/bench/ok').url_name)\n"
        "except Resolver404:\n    print('absent')"
    )
    assert _run(code).stdout.strip() == "absent"
    assert _run(code, NOMAD_BENCH_URLS="true").stdout.strip() == "bench_ok"


def test_production_cookies_are_secure_unless_turned_off_for_the_bench() -> None:
    code = (
        "from django.conf import settings as s;print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    )
    production = {
        "NOMAD_ENV": "production",
        "SECRET_KEY": "k" * 50,
        "ALLOWED_HOSTS": "x",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    assert _run(code, **production).stdout.strip() == "True True"
    off = {"SESSION_COOKIE_SECURE": "false", "CSRF_COOKIE_SECURE": "false"}
    assert _run(code, **production, **off).stdout.strip() == "False False"


def test_it_refuses_production_with_a_per_process_cache() -> None:
    # The login rate limits count in the cache: one count per worker would multiply them.
    production = {"NOMAD_ENV": "production", "SECRET_KEY": "k" * 50, "ALLOWED_HOSTS": "x"}
    out = _run("import django; django.setup()", **production)
    assert out.returncode != 0
    assert "REDIS_URL must be set in production" in out.stderr
    code = "from django.conf import settings as s; print(s.CACHES['default']['BACKEND'])"
    with_redis = _run(code, **production, REDIS_URL="redis://127.0.0.1:6379/0")
    assert with_redis.stdout.strip() == "nomad_web.redis_cache.RedisCache"


def test_it_reads_the_number_of_trusted_proxies() -> None:
    code = "from django.conf import settings as s; print(s.NOMAD_TRUSTED_PROXIES)"
    assert _run(code).stdout.strip() == "0"
    assert _run(code, NOMAD_TRUSTED_PROXIES="2").stdout.strip() == "2"


def test_it_keeps_files_on_the_object_store_when_asked() -> None:
    show = (
        "from django.conf import settings as s;"
        "print(s.STORAGES['documents']['BACKEND'], s.STORAGES['default']['BACKEND']);"
        "o = s.STORAGES['documents']['OPTIONS'];"
        "print(o['bucket_name'], o['endpoint_url'], o['location'], o['default_acl'])"
    )
    embedded = _run(show.split(";o =")[0])
    assert embedded.stdout.split() == [
        "django.core.files.storage.FileSystemStorage",
        "django.core.files.storage.FileSystemStorage",
    ]
    s3 = _run(
        show,
        DOCUMENTS_STORAGE="s3",
        S3_BUCKET="nomad-documents",
        S3_ENDPOINT_URL="http://127.0.0.1:9000",
    )
    assert s3.returncode == 0, s3.stderr
    assert s3.stdout.split("\n")[:2] == [
        "storages.backends.s3.S3Storage storages.backends.s3.S3Storage",
        "nomad-documents http://127.0.0.1:9000 documents None",
    ]
    for env, message in (
        ({"DOCUMENTS_STORAGE": "s3"}, "S3_BUCKET must be set"),
        ({"DOCUMENTS_STORAGE": "ftp"}, "DOCUMENTS_STORAGE must be filesystem or s3"),
    ):
        refused = _run("import django; django.setup()", **env)
        assert refused.returncode != 0 and message in refused.stderr


def test_it_reads_the_previous_secret_keys_for_a_rotation() -> None:
    out = _run(
        "from django.conf import settings as s; print(s.SECRET_KEY_FALLBACKS)",
        SECRET_KEY_FALLBACKS="old-key-1,old-key-2",
    )
    assert out.stdout.strip() == "['old-key-1', 'old-key-2']"
    assert (
        _run("from django.conf import settings as s; print(s.SECRET_KEY_FALLBACKS)").stdout.strip()
        == "[]"
    )
