"""Shared helpers for benchmarks: set Django up on a scratch database, record figures.

Each benchmark prints its figures as it goes and adds them to ``bench/results.json``
(one entry per figure, replacing an older entry of the same name). Figures vary with
the machine; the machine is recorded beside each one.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"


def django_setup() -> None:
    """Django on the configured database, or on a scratch SQLite file when none is set."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nomad_web.settings")
    os.environ.setdefault("DEBUG", "false")  # as served: no query log, no debug pages
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # no request log line on the console
    if not os.environ.get("DATABASE_URL"):
        os.environ["SQLITE_PATH"] = str(Path(tempfile.mkdtemp()) / "bench.sqlite3")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def machine() -> str:
    cpus = os.cpu_count()
    return (
        f"{platform.system()} {platform.machine()}, {cpus} CPUs, Python {platform.python_version()}"
    )


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values)


def record(name: str, value: float, unit: str, compared_with: str = "", note: str = "") -> None:
    """Adds one figure; ``note`` (optional) says what explains it, shown in RESULTS.md."""
    print(f"  {name}: {value:.3f} {unit}" + (f" (vs {compared_with})" if compared_with else ""))
    entries = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    entries = [e for e in entries if e["name"] != name]
    entries.append(
        {
            "name": name,
            "value": round(value, 3),
            "unit": unit,
            "compared_with": compared_with,
            "machine": machine(),
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            **({"note": note} if note else {}),
        }
    )
    RESULTS.write_text(json.dumps(sorted(entries, key=lambda e: e["name"]), indent=2) + "\n")
