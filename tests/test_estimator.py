"""The estimator against the shared vectors (the browser estimator uses the same file)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from visits.estimator import EstimateError, estimate, round_to_quarter_hour

VECTORS = json.loads((Path(__file__).parent / "vectors" / "estimator.json").read_text())


def _catalogues(activities: list[str]) -> list[dict[str, Any]]:
    return [VECTORS["catalogues"][a] for a in activities]


def test_there_are_at_least_thirty_cases() -> None:
    assert len(VECTORS["cases"]) >= 30


@pytest.mark.parametrize("case", VECTORS["cases"], ids=[c["name"] for c in VECTORS["cases"]])
def test_it_gives_the_expected_minutes(case: dict[str, Any]) -> None:
    result = estimate(
        catalogues=_catalogues(case["activities"]),
        answers=case["answers"],
        min_minutes=case["min_minutes"],
    )
    got = [
        {
            k: a[k]
            for k in ("activity", "raw_minutes", "minutes_per_intervention", "minutes_per_week")
        }
        for a in result["activities"]
    ]
    assert got == case["expected"]["activities"]
    assert result["minutes_per_week"] == case["expected"]["minutes_per_week"]
    for activity in result["activities"]:
        # The breakdown explains the figure: its lines add up to it (before rounding).
        if activity["raw_minutes"]:
            shown = sum(line["minutes"] for line in activity["lines"] if line["code"] != "minimum")
            assert shown == pytest.approx(activity["raw_minutes"], abs=0.05)


@pytest.mark.parametrize("case", VECTORS["errors"], ids=[c["name"] for c in VECTORS["errors"]])
def test_it_refuses_what_it_cannot_estimate(case: dict[str, Any]) -> None:
    with pytest.raises(EstimateError):
        estimate(
            catalogues=_catalogues(case["activities"]),
            answers=case["answers"],
            min_minutes=case["min_minutes"],
        )


@pytest.mark.parametrize(
    ("minutes", "expected"), [("0", 0), ("7.49", 0), ("7.5", 15), ("22.49", 15), ("22.5", 30)]
)
def test_it_rounds_to_the_nearest_quarter_hour_half_up(minutes: str, expected: int) -> None:
    from decimal import Decimal

    assert round_to_quarter_hour(Decimal(minutes)) == expected


def test_it_names_a_missing_norm() -> None:
    catalogue = {**VECTORS["catalogues"]["housekeeping"], "norms": {}}
    with pytest.raises(EstimateError, match="shirt_minutes"):
        estimate(catalogues=[catalogue], answers={"ironing_shirts_per_week": 2}, min_minutes=0)
