"""French typography of the documents, in Python and in the browser module, against the
hand-written vectors (``tests/vectors/typography.json``)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from quotes import typography

ROOT = Path(__file__).resolve().parent.parent
CASES = json.loads((ROOT / "tests" / "vectors" / "typography.json").read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_it_prints_like_the_vectors_in_python(case: dict[str, Any]) -> None:
    assert getattr(typography, case["function"])(*case["args"]) == case["expected"]


def test_it_prints_like_the_vectors_in_the_browser_module() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed to run the browser typography against the vectors")
    completed = subprocess.run(
        [node, "--test", "tests/js/typography_vectors.mjs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stdout[-4000:]
    assert f"# pass {len(CASES)}" in completed.stdout
