"""Hour estimator: from a visit's answers and the catalogue's time norms to minutes.

A pure function of plain data (no database), so the same rules run in the browser
(``static/js/estimator.js``) from the catalogue shipped for offline work. Both are
checked against the shared vectors in ``tests/vectors/estimator.json``.

Rules, per activity and per intervention:

* housekeeping: every task of every room, weighted by its frequency (each intervention
  1, every other 0.5, every fourth 0.25, never 0), costs ``fixed + per_m2 × surface``
  (the room's surface, or its type's default); stairs add ``stairs_minutes`` per level
  above the first; a house multiplies that by ``house_factor``, a cluttered home by
  ``clutter_factor``. Extras (oven, fridge, balcony) and windows are added with their
  own frequency; the week's ironing is spread over the week's interventions.
* gardening: lawn, hedges and weeding at their hourly rates, plus green-waste removal.

Then the raw figure (rounded to the hundredth of a minute) is rounded to the nearest
quarter hour (half up), and raised to the minimum billed duration unless there is
nothing to do at all. Minutes per week = minutes per intervention × interventions per
week (monthly = 12/52), rounded half up to the minute.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypedDict

ESTIMATOR_VERSION = "2026.1"

FREQUENCY_WEIGHTS: dict[str, Decimal] = {
    "each": Decimal(1),
    "every_2": Decimal("0.5"),
    "every_4": Decimal("0.25"),
    "never": Decimal(0),
}

INTERVENTIONS_PER_WEEK: dict[str, tuple[int, int]] = {
    # (numerator, denominator) so both implementations divide the same way.
    "twice_weekly": (2, 1),
    "weekly": (1, 1),
    "fortnightly": (1, 2),
    "monthly": (12, 52),
}

# extra -> (norm key, French label, English label)
EXTRAS = {
    "oven": ("oven_minutes", "Four", "Oven"),
    "fridge": ("fridge_minutes", "Réfrigérateur", "Fridge"),
    "balcony": ("balcony_minutes", "Balcon ou terrasse", "Balcony or terrace"),
}

CENT = Decimal("0.01")


class Line(TypedDict):
    code: str
    label_fr: str
    label_en: str
    minutes: float


class ActivityEstimate(TypedDict):
    activity: str
    raw_minutes: float
    minutes_per_intervention: int
    interventions_per_week: float
    minutes_per_week: int
    lines: list[Line]


class Estimate(TypedDict):
    version: str
    activities: list[ActivityEstimate]
    minutes_per_week: int


class EstimateError(ValueError):
    """The answers or norms cannot be estimated (a missing norm, a bad number)."""


def _dec(value: Any, what: str) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    try:
        number = Decimal(str(value))
    except ArithmeticError as exc:
        raise EstimateError(f"{what}: not a number ({value!r})") from exc
    if not number.is_finite() or number < 0:
        raise EstimateError(f"{what}: must be a positive number ({value!r})")
    return number


def _norm(norms: Mapping[str, Any], key: str) -> Decimal:
    if key not in norms:
        raise EstimateError(f"missing time norm {key!r}")
    return _dec(norms[key], key)


def _weight(frequency: str | None) -> Decimal:
    return FREQUENCY_WEIGHTS.get(frequency or "each", Decimal(0))


def _round_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _factor(value: Decimal) -> str:
    """A factor in a label, as the tablet writes it: 1.20 -> "1.2"."""
    return f"{value.normalize():f}"


def _fr(value: Decimal) -> str:
    """A factor in a French label: 1.20 -> "1,2"."""
    return _factor(value).replace(".", ",")


def _line(code: str, fr: str, en: str, minutes: Decimal) -> Line:
    return {"code": code, "label_fr": fr, "label_en": en, "minutes": float(_round_cents(minutes))}


def _housekeeping(
    catalogue: Mapping[str, Any], answers: Mapping[str, Any]
) -> tuple[Decimal, list[Line], str]:
    norms = catalogue["norms"]
    room_types = {rt["key"]: rt for rt in catalogue.get("room_types", [])}
    lines: list[Line] = []

    rooms_total = Decimal(0)
    for index, room in enumerate(answers.get("rooms") or []):
        room_type = room_types.get(room.get("type"))
        if room_type is None:
            raise EstimateError(f"room {index + 1}: unknown room type {room.get('type')!r}")
        surface = _dec(room.get("surface_m2"), "surface") or _dec(
            room_type["default_surface_m2"], "default surface"
        )
        room_minutes = Decimal(0)
        tasks = room.get("tasks") or {}
        for task in room_type["tasks"]:
            weight = _weight(tasks.get(task["key"], "never"))
            if weight:
                cost = (
                    _dec(task["fixed_minutes"], "task")
                    + _dec(task["minutes_per_m2"], "task") * surface
                )
                room_minutes += weight * cost
        name = room.get("label") or room_type["label_fr"]
        name_en = room.get("label") or room_type["label_en"]
        lines.append(
            _line("room", f"{name} ({surface} m²)", f"{name_en} ({surface} m²)", room_minutes)
        )
        rooms_total += room_minutes

    levels = int(_dec(answers.get("levels") or 1, "levels"))
    base = rooms_total
    if levels > 1:
        stairs = (levels - 1) * _norm(norms, "stairs_minutes")
        lines.append(
            _line("stairs", f"Escaliers ({levels} niveaux)", f"Stairs ({levels} levels)", stairs)
        )
        base += stairs
    if answers.get("dwelling_type") == "house":
        factor = _norm(norms, "house_factor")
        lines.append(
            _line(
                "house",
                f"Maison : × {_fr(factor)}",
                f"House: × {_factor(factor)}",
                base * (factor - 1),
            )
        )
        base *= factor
    if answers.get("cluttered") == "yes":
        factor = _norm(norms, "clutter_factor")
        lines.append(
            _line(
                "clutter",
                f"Logement encombré : × {_fr(factor)}",
                f"Cluttered home: × {_factor(factor)}",
                base * (factor - 1),
            )
        )
        base *= factor

    extras_weight = _weight(answers.get("extras_frequency"))
    extras = Decimal(0)
    for extra in answers.get("extras") or []:
        if extra not in EXTRAS:
            raise EstimateError(f"unknown extra {extra!r}")
        norm_key, label_fr, label_en = EXTRAS[extra]
        minutes = _norm(norms, norm_key) * extras_weight
        lines.append(_line(f"extra_{extra}", label_fr, label_en, minutes))
        extras += minutes

    windows_count = _dec(answers.get("windows_count"), "windows")
    windows = Decimal(0)
    if windows_count:
        windows = (
            windows_count
            * _norm(norms, "window_minutes")
            * _weight(answers.get("windows_frequency"))
        )
        lines.append(
            _line("windows", f"Vitres ({windows_count})", f"Windows ({windows_count})", windows)
        )

    frequency = answers.get("frequency") or "weekly"
    ironing_week = _dec(answers.get("ironing_shirts_per_week"), "shirts") * _norm(
        norms, "shirt_minutes"
    ) + _dec(answers.get("ironing_items_per_week"), "ironing items") * _norm(
        norms, "ironing_item_minutes"
    )
    ironing = Decimal(0)
    if ironing_week:
        numerator, denominator = _interventions(frequency)
        ironing = ironing_week * denominator / numerator
        lines.append(_line("ironing", "Repassage", "Ironing", ironing))

    return base + extras + windows + ironing, lines, frequency


def _gardening(
    catalogue: Mapping[str, Any], answers: Mapping[str, Any]
) -> tuple[Decimal, list[Line], str]:
    norms = catalogue["norms"]
    lines: list[Line] = []
    total = Decimal(0)
    for answer, rate, fr, en in (
        ("lawn_m2", "lawn_m2_per_hour", "Tonte", "Mowing"),
        ("hedge_m", "hedge_m_per_hour", "Taille de haies", "Hedge trimming"),
        ("weeding_m2", "weeding_m2_per_hour", "Désherbage", "Weeding"),
    ):
        amount = _dec(answers.get(answer), answer)
        if amount:
            minutes = amount / _norm(norms, rate) * 60
            lines.append(_line(answer, f"{fr} ({amount})", f"{en} ({amount})", minutes))
            total += minutes
    if answers.get("green_waste") == "yes":
        minutes = _norm(norms, "green_waste_minutes")
        lines.append(
            _line("green_waste", "Évacuation des déchets verts", "Green-waste removal", minutes)
        )
        total += minutes
    return total, lines, answers.get("garden_frequency") or "fortnightly"


def _interventions(frequency: str) -> tuple[int, int]:
    if frequency not in INTERVENTIONS_PER_WEEK:
        raise EstimateError(f"unknown frequency {frequency!r}")
    return INTERVENTIONS_PER_WEEK[frequency]


def round_to_quarter_hour(minutes: Decimal) -> int:
    quarters = (minutes / 15).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(quarters) * 15


ESTIMATORS = {"housekeeping": _housekeeping, "gardening": _gardening}


def estimate(
    *, catalogues: Sequence[Mapping[str, Any]], answers: Mapping[str, Any], min_minutes: int
) -> Estimate:
    """Minutes per intervention and per week, for each activity of the visit."""
    results: list[ActivityEstimate] = []
    for catalogue in catalogues:
        activity = catalogue["activity"]
        if activity not in ESTIMATORS:
            raise EstimateError(f"no estimator for activity {activity!r}")
        raw, lines, frequency = ESTIMATORS[activity](catalogue, answers)
        raw = _round_cents(raw)
        per_intervention = round_to_quarter_hour(raw)
        if raw > 0 and per_intervention < min_minutes:
            lines.append(
                _line(
                    "minimum",
                    "Durée minimale facturée",
                    "Minimum billed duration",
                    Decimal(min_minutes - per_intervention),
                )
            )
            per_intervention = min_minutes
        numerator, denominator = _interventions(frequency)
        per_week = int(
            (Decimal(per_intervention) * numerator / denominator).quantize(
                Decimal(1), rounding=ROUND_HALF_UP
            )
        )
        results.append(
            {
                "activity": activity,
                "raw_minutes": float(raw),
                "minutes_per_intervention": per_intervention,
                "interventions_per_week": round(numerator / denominator, 4),
                "minutes_per_week": per_week,
                "lines": lines,
            }
        )
    return {
        "version": ESTIMATOR_VERSION,
        "activities": results,
        "minutes_per_week": sum(r["minutes_per_week"] for r in results),
    }
