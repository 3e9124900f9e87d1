"""Quote pricing: from weekly hours and a price list to the figures a quote shows.

A pure function of plain data (no database, no settings), so the same rules run in the
browser for the offline preview (``static/js/pricing.js``). Both are checked against
the shared vectors in ``tests/vectors/pricing.json``. The server is the authority: an
issued quote stores the result of this function.

Rules (amounts in euros, ``Decimal`` everywhere, every rounding half up to the cent):

* **Hours.** Each line comes with its minutes per week (1 to 3,600: more than 60 hours
  a week is not a home service). Hours per month = minutes × 52 / 12 / 60, rounded to
  the hundredth of an hour (display only; amounts use the exact minutes).
* **Unit prices.** The price list gives the hourly price HT; the hourly price TTC is
  HT + VAT, the VAT rounded to the cent.
* **Lines, per month.** ``monthly HT = hourly HT × minutes per week / 60 × 52 / 12``,
  rounded once to the cent; ``monthly VAT = monthly HT × rate``, rounded to the cent;
  ``monthly TTC = monthly HT + monthly VAT``. Totals are sums of rounded lines, so a
  total always equals the sum of what the lines show.
* **Fees.** Each fee has an amount HT and a VAT rate per activity (``vat_rates``,
  activity → rate): an accessory fee follows the rate of the service it goes with. The
  fee is split between the quote's activities pro rata of each activity's monthly HT
  (pro rata of its minutes when every service is free), in the order the activities
  first appear in the lines: each part but the last is rounded half up to the cent, the
  last takes the remainder, so the parts add up to the fee exactly. Each part is one
  priced fee (its ``activity``; the label says which service when there are several),
  at its activity's rate, its VAT rounded the same way, and counts where its activity
  counts (the gardening part in the gardening sub-cap). A fee is either ``monthly``
  (added to the monthly totals) or ``one_off`` (shown and totalled apart, e.g. frais de
  dossier, paid once).
* **Per year.** Annual totals = 12 × the monthly totals (what the client pays over a
  year of monthly bills); one-off fees are not in them.
* **Quote mandatory** (arrêté du 17 mars 2015) when the monthly TTC is ≥ 100 €.
* **Tax credit** (art. 199 sexdecies CGI), estimated on a full year:
  eligible expenses = the annual TTC (services and monthly fees; one-off fees are left
  out, so the advantage shown is never overstated). The annual TTC of the gardening
  lines and of the gardening parts of the monthly fees count for at most 5,000 € (the
  gardening sub-cap); the rest counts in full; the sum
  is then limited by the household cap: 12,000 € + 1,500 € per dependent child and per
  member over 65, at most 15,000 €; 20,000 € when a member is disabled. Annual credit
  = 50 % of that base, rounded to the cent; monthly equivalent = annual / 12, rounded.
* **Avance immédiate.** When the client opts in, "reste à payer" per month = monthly
  TTC − monthly equivalent of the credit; otherwise it is ``None``.

Bad input (unknown activity code, negative or absurd hours, a negative price, a VAT
rate outside 0–100 %, a fee without a rate for one of the quote's activities) raises
``PricingError`` with a stable ``code``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, TypedDict

PRICING_VERSION = "2026.2"

CENT = Decimal("0.01")
HUNDREDTH = Decimal("0.01")
WEEKS_PER_YEAR = 52
MONTHS_PER_YEAR = 12
MAX_MINUTES_PER_WEEK = 60 * 60
MANDATORY_QUOTE_MONTHLY_TTC = Decimal(100)
TAX_CREDIT_RATE = Decimal("0.5")
CAP_BASE = Decimal("12000.00")
CAP_PER_MEMBER = Decimal("1500.00")
CAP_MAX = Decimal("15000.00")
CAP_DISABLED = Decimal("20000.00")
GARDENING_CAP = Decimal("5000.00")
GARDENING = "gardening"
ACTIVITIES = frozenset({"housekeeping", "gardening", "senior_care"})
FEE_RECURRENCES = frozenset({"monthly", "one_off"})


class PricingError(ValueError):
    """The input cannot be priced; ``code`` is stable, the message says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class PricedLine(TypedDict):
    activity: str
    label: str
    minutes_per_week: int
    hours_per_week: Decimal
    hours_per_month: Decimal
    hourly_price_ht: Decimal
    hourly_price_ttc: Decimal
    vat_rate: Decimal
    monthly_ht: Decimal
    monthly_vat: Decimal
    monthly_ttc: Decimal


class PricedFee(TypedDict):
    code: str
    label: str
    recurrence: str
    activity: str
    amount_ht: Decimal
    vat_rate: Decimal
    amount_vat: Decimal
    amount_ttc: Decimal


class Totals(TypedDict):
    ht: Decimal
    vat: Decimal
    ttc: Decimal


class TaxCredit(TypedDict):
    rate: Decimal
    cap: Decimal
    gardening_expenses: Decimal
    eligible_expenses: Decimal
    base: Decimal
    annual: Decimal
    monthly: Decimal


class Priced(TypedDict):
    version: str
    lines: list[PricedLine]
    fees: list[PricedFee]
    monthly: Totals
    annual: Totals
    one_off: Totals
    tax_credit: TaxCredit
    immediate_advance: bool
    remaining_monthly: Decimal | None
    quote_mandatory: bool


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _money(value: Any, what: str, code: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise PricingError(code, f"{what}: not a number ({value!r})") from None
    if not number.is_finite() or number < 0:
        raise PricingError(code, f"{what}: must be zero or more ({value!r})")
    if number != number.quantize(CENT):
        # Cents at most, so the browser can compute in whole cents and agree exactly.
        raise PricingError(code, f"{what}: at most two decimals ({value!r})")
    return number.quantize(CENT)


def _rate(value: Any, what: str) -> Decimal:
    rate = _money(value, what, "bad_vat_rate")
    if rate > 100:
        raise PricingError("bad_vat_rate", f"{what}: a VAT rate is between 0 and 100 ({value!r})")
    return rate


def _vat(amount_ht: Decimal, rate: Decimal) -> Decimal:
    return _round(amount_ht * rate / 100)


def _minutes(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PricingError("bad_hours", f"minutes per week must be a whole number ({value!r})")
    if value <= 0:
        raise PricingError("bad_hours", "the hours per week must be more than zero")
    if value > MAX_MINUTES_PER_WEEK:
        raise PricingError("bad_hours", "more than 60 hours a week is not a home service")
    return value


def _count(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PricingError("bad_household", f"{what}: a whole number, zero or more ({value!r})")
    return value


def tax_credit_cap(*, dependent_children: int, members_over_65: int, disabled: bool) -> Decimal:
    """The household's yearly ceiling of eligible expenses (art. 199 sexdecies CGI)."""
    if disabled:
        return CAP_DISABLED
    return min(CAP_BASE + CAP_PER_MEMBER * (dependent_children + members_over_65), CAP_MAX)


def _line(raw: Mapping[str, Any]) -> PricedLine:
    activity = str(raw.get("activity", ""))
    if activity not in ACTIVITIES:
        raise PricingError("unknown_activity", f"unknown activity {activity!r}")
    minutes = _minutes(raw.get("minutes_per_week"))
    price_ht = _money(raw.get("hourly_price_ht"), "hourly price", "bad_price")
    rate = _rate(raw.get("vat_rate"), "VAT rate")
    monthly_ht = _round(price_ht * minutes * WEEKS_PER_YEAR / (60 * MONTHS_PER_YEAR))
    monthly_vat = _vat(monthly_ht, rate)
    return {
        "activity": activity,
        "label": str(raw.get("label", "")),
        "minutes_per_week": minutes,
        "hours_per_week": (Decimal(minutes) / 60).quantize(HUNDREDTH, rounding=ROUND_HALF_UP),
        "hours_per_month": (Decimal(minutes) * WEEKS_PER_YEAR / (60 * MONTHS_PER_YEAR)).quantize(
            HUNDREDTH, rounding=ROUND_HALF_UP
        ),
        "hourly_price_ht": price_ht,
        "hourly_price_ttc": price_ht + _vat(price_ht, rate),
        "vat_rate": rate,
        "monthly_ht": monthly_ht,
        "monthly_vat": monthly_vat,
        "monthly_ttc": monthly_ht + monthly_vat,
    }


def _weights(lines: Sequence[PricedLine]) -> list[tuple[str, str, Decimal]]:
    """(activity, label, weight) per activity, in order: its monthly HT, or its minutes
    when every service is free."""
    by_activity: dict[str, list[PricedLine]] = {}
    for line in lines:
        by_activity.setdefault(line["activity"], []).append(line)
    amounts = {a: sum((x["monthly_ht"] for x in ls), Decimal(0)) for a, ls in by_activity.items()}
    if not any(amounts.values()):
        amounts = {
            a: Decimal(sum(x["minutes_per_week"] for x in ls)) for a, ls in by_activity.items()
        }
    return [(a, ls[0]["label"], amounts[a]) for a, ls in by_activity.items()]


def _fee(raw: Mapping[str, Any], weights: Sequence[tuple[str, str, Decimal]]) -> list[PricedFee]:
    """The fee split between the quote's activities, one priced part per activity."""
    recurrence = str(raw.get("recurrence", ""))
    if recurrence not in FEE_RECURRENCES:
        raise PricingError("bad_fee", f"a fee is monthly or one_off ({recurrence!r})")
    code, label = str(raw.get("code", "")), str(raw.get("label", ""))
    amount_ht = _money(raw.get("amount_ht"), "fee", "bad_fee")
    rates = raw.get("vat_rates")
    if not isinstance(rates, Mapping):
        rates = {}
    total = sum((weight for _, _, weight in weights), Decimal(0))
    parts: list[PricedFee] = []
    left = amount_ht
    for index, (activity, line_label, weight) in enumerate(weights):
        if activity not in rates:
            raise PricingError("no_fee_rate", f"the fee {code} has no VAT rate for {activity}")
        rate = _rate(rates[activity], "fee VAT rate")
        # Never more than what is left, so no part is negative (a free activity weighs 0).
        part = left if index == len(weights) - 1 else min(_round(amount_ht * weight / total), left)
        left -= part
        vat = _vat(part, rate)
        parts.append(
            {
                "code": code,
                "label": label if len(weights) == 1 else f"{label} ({line_label})",
                "recurrence": recurrence,
                "activity": activity,
                "amount_ht": part,
                "vat_rate": rate,
                "amount_vat": vat,
                "amount_ttc": part + vat,
            }
        )
    return parts


def _totals(items: Sequence[tuple[Decimal, Decimal]]) -> Totals:
    ht = sum((ht for ht, _ in items), Decimal("0.00"))
    vat = sum((vat for _, vat in items), Decimal("0.00"))
    return {"ht": ht, "vat": vat, "ttc": ht + vat}


def price(data: Mapping[str, Any]) -> Priced:
    """Price a quote. ``data``: ``lines`` (activity, label, minutes_per_week,
    hourly_price_ht, vat_rate), ``fees`` (code, label, recurrence, amount_ht, vat_rates),
    ``household`` (dependent_children, members_over_65, disabled_member) and
    ``immediate_advance``. Decimal amounts may be given as strings."""
    raw_lines = data.get("lines") or []
    if not raw_lines:
        raise PricingError("no_lines", "a quote needs at least one service")
    lines = [_line(raw) for raw in raw_lines]
    weights = _weights(lines)
    fees = [part for raw in data.get("fees") or [] for part in _fee(raw, weights)]
    household = data.get("household") or {}
    cap = tax_credit_cap(
        dependent_children=_count(household.get("dependent_children", 0), "children"),
        members_over_65=_count(household.get("members_over_65", 0), "members over 65"),
        disabled=bool(household.get("disabled_member", False)),
    )

    monthly_fees = [f for f in fees if f["recurrence"] == "monthly"]
    monthly = _totals(
        [(line["monthly_ht"], line["monthly_vat"]) for line in lines]
        + [(f["amount_ht"], f["amount_vat"]) for f in monthly_fees]
    )
    annual: Totals = {
        "ht": monthly["ht"] * MONTHS_PER_YEAR,
        "vat": monthly["vat"] * MONTHS_PER_YEAR,
        "ttc": monthly["ttc"] * MONTHS_PER_YEAR,
    }
    one_off = _totals(
        [(f["amount_ht"], f["amount_vat"]) for f in fees if f["recurrence"] == "one_off"]
    )

    gardening = MONTHS_PER_YEAR * sum(
        [line["monthly_ttc"] for line in lines if line["activity"] == GARDENING]
        + [f["amount_ttc"] for f in monthly_fees if f["activity"] == GARDENING],
        Decimal("0.00"),
    )
    eligible = annual["ttc"]
    base = min(eligible - gardening + min(gardening, GARDENING_CAP), cap)
    credit_annual = _round(base * TAX_CREDIT_RATE)
    credit_monthly = _round(credit_annual / MONTHS_PER_YEAR)
    immediate_advance = bool(data.get("immediate_advance", False))
    return {
        "version": PRICING_VERSION,
        "lines": lines,
        "fees": fees,
        "monthly": monthly,
        "annual": annual,
        "one_off": one_off,
        "tax_credit": {
            "rate": (TAX_CREDIT_RATE * 100).quantize(CENT),
            "cap": cap,
            "gardening_expenses": gardening,
            "eligible_expenses": eligible,
            "base": base,
            "annual": credit_annual,
            "monthly": credit_monthly,
        },
        "immediate_advance": immediate_advance,
        "remaining_monthly": monthly["ttc"] - credit_monthly if immediate_advance else None,
        "quote_mandatory": monthly["ttc"] >= MANDATORY_QUOTE_MONTHLY_TTC,
    }


def priced_as_json(priced: Priced) -> dict[str, Any]:
    """The result with every Decimal as a string ("123.45"), for JSON and the vectors."""

    def convert(value: Any) -> Any:
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value

    result: dict[str, Any] = convert(dict(priced))
    return result
