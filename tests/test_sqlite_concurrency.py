"""The embedded SQLite database makes concurrent writers wait instead of answering 500."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.test_settings import ROOT, _clean_environ

# Two threads, each in its own transaction, read then write the same table at the same time:
# the way two requests save at once. With deferred transactions the second writer fails
# with "database is locked"; with immediate ones it waits for the first to commit.
SCRIPT = """
import json, threading, time
import django
django.setup()
from django.db import connection, transaction

with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE counter (n integer)")
errors = []

def write(n):
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM counter")
                time.sleep(0.5)
                cursor.execute("INSERT INTO counter VALUES (%s)", [n])
    except Exception as exc:
        errors.append(str(exc))
    finally:
        connection.close()

threads = [threading.Thread(target=write, args=(n,)) for n in range(2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
with connection.cursor() as cursor:
    cursor.execute("SELECT count(*) FROM counter")
    print(json.dumps({"errors": errors, "rows": cursor.fetchone()[0]}))
"""


def test_two_concurrent_writers_both_succeed_on_a_sqlite_file(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env={
            **_clean_environ(),
            "DJANGO_SETTINGS_MODULE": "nomad_web.settings",
            "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"errors": [], "rows": 2}
