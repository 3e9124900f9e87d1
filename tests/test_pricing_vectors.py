"""The pricing function, in Python and in the browser, against the shared hand-computed
vectors (``tests/vectors/pricing.json``)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from quotes.pricing import PricingError, price, priced_as_json

ROOT = Path(__file__).resolve().parent.parent
VECTORS_PATH = ROOT / "tests" / "vectors" / "pricing.json"
VECTORS = json.loads(VECTORS_PATH.read_text())
CASES = VECTORS["cases"]


def assert_matches(expected: Any, actual: Any, where: str = "") -> None:
    """Every figure in ``expected`` is in ``actual`` with the same value (a subset check)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: {actual!r}"
        for key, value in expected.items():
            assert key in actual, f"{where}.{key} missing"
            assert_matches(value, actual[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{where}: {actual!r}"
        for index, (e, a) in enumerate(zip(expected, actual, strict=True)):
            assert_matches(e, a, f"{where}[{index}]")
    else:
        assert actual == expected, f"{where}: expected {expected!r}, got {actual!r}"


def test_it_has_enough_hand_computed_cases() -> None:
    names = [case["name"] for case in CASES]
    assert len(names) >= 30 and len(set(names)) == len(names)
    assert sum("error" not in case["expected"] for case in CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_it_prices_like_the_vectors_in_python(case: dict[str, Any]) -> None:
    expected = case["expected"]
    if "error" in expected:
        with pytest.raises(PricingError) as raised:
            price(case["input"])
        assert raised.value.code == expected["error"]
        return
    assert_matches(expected, priced_as_json(price(case["input"])), case["name"])


@pytest.fixture(scope="module")
def js_results() -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed to run the browser pricing against the vectors")
    completed = subprocess.run(
        [node, "tests/js/run_vectors.mjs", "static/js/pricing.js", str(VECTORS_PATH), "price"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return {r["name"]: r for r in json.loads(completed.stdout)}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_it_prices_like_the_vectors_in_the_browser(
    case: dict[str, Any], js_results: dict[str, Any]
) -> None:
    result = js_results[case["name"]]
    expected = case["expected"]
    if "error" in expected:
        assert result.get("error") == expected["error"], result
        return
    assert "error" not in result, result
    assert_matches(expected, result["output"], case["name"])


PRICED = [c for c in CASES if "error" not in c["expected"]]


@pytest.mark.parametrize("case", PRICED, ids=[c["name"] for c in PRICED])
def test_it_gives_the_same_whole_output_in_both(
    case: dict[str, Any], js_results: dict[str, Any]
) -> None:
    # Beyond the hand-checked figures: the two implementations agree on every field.
    assert js_results[case["name"]]["output"] == priced_as_json(price(case["input"]))
