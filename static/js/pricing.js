// @ts-check
// Quote pricing for the offline preview: the browser twin of quotes/pricing.py.
//
// A plain ES module with no DOM dependency. The rules are those of quotes/pricing.py
// (read its docstring); both are checked against tests/vectors/pricing.json.
//
// Money is computed in whole cents (integers) and VAT rates in basis points, never in
// floating-point euros, so no binary-fraction drift can make a cent differ from the
// server's Decimal result. Every rounding is "half up" on a non-negative integer
// division: divRound(n, d) = floor((2n + d) / 2d). The largest intermediate value
// (hourly price in cents × 3,600 minutes × 52) stays far below 2^53.

export const PRICING_VERSION = "2026.2";

const WEEKS_PER_YEAR = 52;
const MONTHS_PER_YEAR = 12;
const MAX_MINUTES_PER_WEEK = 3600;
const MANDATORY_QUOTE_MONTHLY_TTC = 10000; // cents
const CAP_BASE = 1200000;
const CAP_PER_MEMBER = 150000;
const CAP_MAX = 1500000;
const CAP_DISABLED = 2000000;
const GARDENING_CAP = 500000;
const ACTIVITIES = new Set(["housekeeping", "gardening", "senior_care"]);
const FEE_RECURRENCES = new Set(["monthly", "one_off"]);

export class PricingError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

function divRound(n, d) {
  return Math.floor((2 * n + d) / (2 * d));
}

// "123.4" or 123.4 -> 12340; refuses negatives, more than two decimals, non-numbers.
function toCents(value, what, code) {
  const text = typeof value === "number" ? String(value) : value;
  if (typeof text !== "string" || !/^\d+(\.\d{1,2})?$/.test(text.trim())) {
    throw new PricingError(code, `${what}: a number, zero or more, two decimals at most (${value})`);
  }
  const [whole, fraction = ""] = text.trim().split(".");
  return Number(whole) * 100 + Number(fraction.padEnd(2, "0"));
}

function toBasisPoints(value, what) {
  const rate = toCents(value, what, "bad_vat_rate");
  if (rate > 10000) throw new PricingError("bad_vat_rate", `${what}: between 0 and 100 (${value})`);
  return rate;
}

// 12345 -> "123.45": the same text as Python's str() of a Decimal with two places.
function money(cents) {
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;
}

function vat(amountCents, basisPoints) {
  return divRound(amountCents * basisPoints, 10000);
}

function count(value, what) {
  if (!Number.isInteger(value) || value < 0) {
    throw new PricingError("bad_household", `${what}: a whole number, zero or more (${value})`);
  }
  return value;
}

export function taxCreditCapCents({ dependentChildren, membersOver65, disabled }) {
  if (disabled) return CAP_DISABLED;
  return Math.min(CAP_BASE + CAP_PER_MEMBER * (dependentChildren + membersOver65), CAP_MAX);
}

function priceLine(raw) {
  const activity = String(raw.activity ?? "");
  if (!ACTIVITIES.has(activity)) {
    throw new PricingError("unknown_activity", `unknown activity ${activity}`);
  }
  const minutes = raw.minutes_per_week;
  if (typeof minutes !== "number" || !Number.isInteger(minutes)) {
    throw new PricingError("bad_hours", "minutes per week must be a whole number");
  }
  if (minutes <= 0) throw new PricingError("bad_hours", "the hours per week must be more than zero");
  if (minutes > MAX_MINUTES_PER_WEEK) {
    throw new PricingError("bad_hours", "more than 60 hours a week is not a home service");
  }
  const priceHt = toCents(raw.hourly_price_ht, "hourly price", "bad_price");
  const rate = toBasisPoints(raw.vat_rate, "VAT rate");
  const monthlyHt = divRound(priceHt * minutes * WEEKS_PER_YEAR, 60 * MONTHS_PER_YEAR);
  const monthlyVat = vat(monthlyHt, rate);
  return {
    cents: { ht: monthlyHt, vat: monthlyVat, ttc: monthlyHt + monthlyVat },
    json: {
      activity,
      label: String(raw.label ?? ""),
      minutes_per_week: minutes,
      hours_per_week: money(divRound(minutes * 100, 60)),
      hours_per_month: money(divRound(minutes * 100 * WEEKS_PER_YEAR, 60 * MONTHS_PER_YEAR)),
      hourly_price_ht: money(priceHt),
      hourly_price_ttc: money(priceHt + vat(priceHt, rate)),
      vat_rate: money(rate),
      monthly_ht: money(monthlyHt),
      monthly_vat: money(monthlyVat),
      monthly_ttc: money(monthlyHt + monthlyVat),
    },
  };
}

// [activity, label, weight] per activity, in order of first appearance: its monthly HT
// in cents, or its minutes when every service is free (as quotes/pricing.py _weights).
function feeWeights(lines) {
  const byActivity = new Map();
  for (const line of lines) {
    const activity = line.json.activity;
    if (!byActivity.has(activity)) byActivity.set(activity, []);
    byActivity.get(activity).push(line);
  }
  let weights = [...byActivity].map(([activity, ls]) => [
    activity,
    ls[0].json.label,
    ls.reduce((acc, l) => acc + l.cents.ht, 0),
  ]);
  if (weights.every(([, , w]) => w === 0)) {
    weights = [...byActivity].map(([activity, ls]) => [
      activity,
      ls[0].json.label,
      ls.reduce((acc, l) => acc + l.json.minutes_per_week, 0),
    ]);
  }
  return weights;
}

// The fee split between the quote's activities pro rata of their weight, each part at
// its activity's rate; the last part takes the remainder (rules in quotes/pricing.py).
function priceFee(raw, weights) {
  const recurrence = String(raw.recurrence ?? "");
  if (!FEE_RECURRENCES.has(recurrence)) {
    throw new PricingError("bad_fee", `a fee is monthly or one_off (${recurrence})`);
  }
  const code = String(raw.code ?? "");
  const label = String(raw.label ?? "");
  const ht = toCents(raw.amount_ht, "fee", "bad_fee");
  const given = raw.vat_rates;
  const rates = given !== null && typeof given === "object" && !Array.isArray(given) ? given : {};
  const total = weights.reduce((acc, [, , w]) => acc + w, 0);
  let left = ht;
  return weights.map(([activity, lineLabel, weight], index) => {
    if (!Object.prototype.hasOwnProperty.call(rates, activity)) {
      throw new PricingError("no_fee_rate", `the fee ${code} has no VAT rate for ${activity}`);
    }
    const rate = toBasisPoints(rates[activity], "fee VAT rate");
    // Never more than what is left, so no part is negative (a free activity weighs 0).
    const share = index === weights.length - 1 ? left : divRound(ht * weight, total);
    const part = Math.min(share, left);
    left -= part;
    const partVat = vat(part, rate);
    return {
      recurrence,
      activity,
      cents: { ht: part, vat: partVat, ttc: part + partVat },
      json: {
        code,
        label: weights.length === 1 ? label : `${label} (${lineLabel})`,
        recurrence,
        activity,
        amount_ht: money(part),
        vat_rate: money(rate),
        amount_vat: money(partVat),
        amount_ttc: money(part + partVat),
      },
    };
  });
}

function sum(items) {
  const ht = items.reduce((acc, item) => acc + item.ht, 0);
  const itemsVat = items.reduce((acc, item) => acc + item.vat, 0);
  return { ht, vat: itemsVat, ttc: ht + itemsVat };
}

function totalsJson(t) {
  return { ht: money(t.ht), vat: money(t.vat), ttc: money(t.ttc) };
}

/** Price a quote: the same input and output (amounts as strings) as quotes/pricing.py. */
export function price(input) {
  const rawLines = input.lines ?? [];
  if (rawLines.length === 0) throw new PricingError("no_lines", "a quote needs at least one service");
  const lines = rawLines.map(priceLine);
  const weights = feeWeights(lines);
  const fees = (input.fees ?? []).flatMap((raw) => priceFee(raw, weights));
  const household = input.household ?? {};
  const cap = taxCreditCapCents({
    dependentChildren: count(household.dependent_children ?? 0, "children"),
    membersOver65: count(household.members_over_65 ?? 0, "members over 65"),
    disabled: Boolean(household.disabled_member),
  });

  const monthly = sum([
    ...lines.map((l) => l.cents),
    ...fees.filter((f) => f.recurrence === "monthly").map((f) => f.cents),
  ]);
  const annual = {
    ht: monthly.ht * MONTHS_PER_YEAR,
    vat: monthly.vat * MONTHS_PER_YEAR,
    ttc: monthly.ttc * MONTHS_PER_YEAR,
  };
  const oneOff = sum(fees.filter((f) => f.recurrence === "one_off").map((f) => f.cents));

  // The gardening lines and the gardening parts of the monthly fees: the sub-cap's base.
  const gardening =
    MONTHS_PER_YEAR *
    [
      ...lines.filter((l) => l.json.activity === "gardening"),
      ...fees.filter((f) => f.recurrence === "monthly" && f.activity === "gardening"),
    ].reduce((acc, item) => acc + item.cents.ttc, 0);
  const eligible = annual.ttc;
  const base = Math.min(eligible - gardening + Math.min(gardening, GARDENING_CAP), cap);
  const creditAnnual = divRound(base, 2);
  const creditMonthly = divRound(creditAnnual, MONTHS_PER_YEAR);
  const immediateAdvance = Boolean(input.immediate_advance);
  return {
    version: PRICING_VERSION,
    lines: lines.map((l) => l.json),
    fees: fees.map((f) => f.json),
    monthly: totalsJson(monthly),
    annual: totalsJson(annual),
    one_off: totalsJson(oneOff),
    tax_credit: {
      rate: "50.00",
      cap: money(cap),
      gardening_expenses: money(gardening),
      eligible_expenses: money(eligible),
      base: money(base),
      annual: money(creditAnnual),
      monthly: money(creditMonthly),
    },
    immediate_advance: immediateAdvance,
    remaining_monthly: immediateAdvance ? money(monthly.ttc - creditMonthly) : null,
    quote_mandatory: monthly.ttc >= MANDATORY_QUOTE_MONTHLY_TTC,
  };
}
