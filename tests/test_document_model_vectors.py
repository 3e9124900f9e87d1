"""The document model, in Python and in the browser module, against the shared vectors
(``tests/vectors/document_model.json``): the hand-written checks, the SHA-256 of the
canonical JSON, the error codes and messages; and each JS model equal to the Python one."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from quotes.document_model import (
    ModelError,
    contract_model,
    model_json,
    model_sha256,
    sale_model,
    services_summary,
)
from tests.test_pricing_vectors import assert_matches

ROOT = Path(__file__).resolve().parent.parent
VECTORS = json.loads((ROOT / "tests" / "vectors" / "document_model.json").read_text())
CASES = VECTORS["cases"]
MODELS = [c for c in CASES if "error" not in c["expected"]]
SCRIPT = "tests/js/document_model_vectors.mjs"


def case_inputs(case: dict[str, Any]) -> dict[str, Any]:
    """The base inputs with the case's laid over them (what the JS runner does too)."""
    inputs = {**VECTORS["base"], **case["input"]}
    if "services_from" in case:
        source = case["services_from"]
        inputs["services"] = services_summary(
            answers=source["answers"],
            catalogues=[VECTORS["catalogues"][a] for a in source["activities"]],
        )
    return inputs


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed to run the browser document model against the vectors")
    return node


def test_it_has_the_cases_the_issue_asks_for() -> None:
    names = [c["name"] for c in CASES]
    assert len(set(names)) == len(names) and len(MODELS) >= 12
    assert sum("error" in c["expected"] for c in CASES) >= 5
    rooms = [
        len(c["services_from"]["answers"].get("rooms", [])) for c in CASES if "services_from" in c
    ]
    assert max(rooms) == 30


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_it_builds_the_model_of_the_vectors_in_python(case: dict[str, Any]) -> None:
    expected = case["expected"]
    inputs = case_inputs(case)
    if "error" in expected:
        with pytest.raises(ModelError) as raised:
            sale_model(inputs=inputs)
        assert raised.value.code == expected["error"]["code"]
        if "message" in expected["error"]:
            assert str(raised.value) == expected["error"]["message"]
        return
    model = sale_model(inputs=inputs)
    assert_matches(expected["checks"], model, case["name"])
    assert model_sha256(model) == expected["sha256"]
    if "then_contract" in case:
        quote = sale_model(inputs={**inputs, "contract": None})
        assert model_sha256(quote) == expected["quote_sha256"]
        contract = contract_model(
            quote_model=quote,
            contract_date=case["then_contract"]["contract_date"],
            early_start_requested=case["then_contract"]["early_start_requested"],
        )
        assert contract == model


def test_it_builds_the_same_models_in_the_browser_module() -> None:
    # node's own test runner checks the vectors on the JS side (checks, hashes, errors).
    completed = subprocess.run(
        [_node(), "--test", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stdout[-4000:]
    assert f"# pass {len(CASES)}" in completed.stdout


@pytest.fixture(scope="module")
def js_results() -> dict[str, Any]:
    completed = subprocess.run(
        [_node(), SCRIPT], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    return {r["name"]: r for r in json.loads(completed.stdout)}


@pytest.mark.parametrize("case", MODELS, ids=[c["name"] for c in MODELS])
def test_it_gives_the_same_whole_model_and_json_in_both(
    case: dict[str, Any], js_results: dict[str, Any]
) -> None:
    model = sale_model(inputs=case_inputs(case))
    result = js_results[case["name"]]
    assert result["model"] == model
    # Byte for byte: the canonical JSON is what the tablet hashes and the server compares.
    assert result["json"] == model_json(model)
    assert result["sha256"] == model_sha256(model)


def test_it_leaves_a_model_without_services_as_it_was() -> None:
    inputs = case_inputs(MODELS[0])
    with_empty = sale_model(inputs={**inputs, "services": []})
    assert "services" not in with_empty["quote"]
    assert with_empty == sale_model(inputs={k: v for k, v in inputs.items() if k != "services"})
