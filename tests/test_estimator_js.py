"""The browser estimator (static/js/estimator.js) against the same vectors, run by Node."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from visits.estimator import estimate

ROOT = Path(__file__).resolve().parent.parent
VECTORS = json.loads((ROOT / "tests" / "vectors" / "estimator.json").read_text())
NODE = shutil.which("node")


def _run(cases: list[dict[str, Any]], tmp_path: Path) -> dict[str, dict[str, Any]]:
    if NODE is None:
        pytest.fail("Node.js is needed to run the browser estimator")
    inputs = [
        {
            "name": case["name"],
            "input": {
                "catalogues": [VECTORS["catalogues"][a] for a in case["activities"]],
                "answers": case["answers"],
                "min_minutes": case["min_minutes"],
            },
        }
        for case in cases
    ]
    path = tmp_path / "cases.json"
    path.write_text(json.dumps({"cases": inputs}))
    out = subprocess.run(
        [NODE, "tests/js/run_vectors.mjs", "static/js/estimator.js", str(path), "estimate"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return {r["name"]: r for r in json.loads(out.stdout)}


def test_the_browser_estimator_gives_the_same_minutes(tmp_path: Path) -> None:
    results = _run(VECTORS["cases"], tmp_path)
    assert len(results) == len(VECTORS["cases"]) >= 30
    for case in VECTORS["cases"]:
        result = results[case["name"]]
        assert "error" not in result, (case["name"], result)
        got = [
            {
                k: a[k]
                for k in ("activity", "raw_minutes", "minutes_per_intervention", "minutes_per_week")
            }
            for a in result["output"]["activities"]
        ]
        assert got == case["expected"]["activities"], case["name"]
        assert result["output"]["minutes_per_week"] == case["expected"]["minutes_per_week"]


def test_the_browser_estimator_explains_the_same_way(tmp_path: Path) -> None:
    # Not only the totals: the breakdown the advisor reads (each line's code, French and
    # English label, minutes) and the estimator's version are the server's own.
    results = _run(VECTORS["cases"], tmp_path)
    for case in VECTORS["cases"]:
        server = estimate(
            catalogues=[VECTORS["catalogues"][a] for a in case["activities"]],
            answers=case["answers"],
            min_minutes=case["min_minutes"],
        )
        browser = results[case["name"]]["output"]
        assert browser["version"] == server["version"]
        for ours, theirs in zip(browser["activities"], server["activities"], strict=True):
            assert ours["lines"] == [dict(line) for line in theirs["lines"]], case["name"]


def test_the_browser_estimator_refuses_the_same_inputs(tmp_path: Path) -> None:
    results = _run(VECTORS["errors"], tmp_path)
    for case in VECTORS["errors"]:
        assert "error" in results[case["name"]], case["name"]
