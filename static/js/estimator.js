// @ts-check
// Hour estimator, the browser twin of visits/estimator.py (rules in its docstring).
// Minutes are carried in hundredths of a minute (integers) wherever a rounding happens,
// so both implementations round the same way; tests/vectors/estimator.json binds them.
export const ESTIMATOR_VERSION = "2026.1";
const WEIGHTS = { each: 1, every_2: 0.5, every_4: 0.25, never: 0 };
const PER_WEEK = { twice_weekly: [2, 1], weekly: [1, 1], fortnightly: [1, 2], monthly: [12, 52] };
const EXTRAS = {
  oven: ["oven_minutes", "Four", "Oven"],
  fridge: ["fridge_minutes", "Réfrigérateur", "Fridge"],
  balcony: ["balcony_minutes", "Balcon ou terrasse", "Balcony or terrace"],
};

export class EstimateError extends Error {}

function num(value, what) {
  if (value === null || value === undefined || value === "") return 0;
  const n = Number(String(value).replace(",", "."));
  if (!Number.isFinite(n) || n < 0) throw new EstimateError(`${what}: must be a positive number (${value})`);
  return n;
}

function norm(norms, key) {
  if (!(key in norms)) throw new EstimateError(`missing time norm '${key}'`);
  return num(norms[key], key);
}

const weight = (frequency) => (WEIGHTS[frequency || "each"] ?? 0);
// Half up to the hundredth; the epsilon absorbs binary noise such as 28.125 → 28.12499…
const cents = (x) => Math.round(x * 100 + 1e-7) / 100;
const line = (code, fr, en, minutes) => ({ code, label_fr: fr, label_en: en, minutes: cents(minutes) });
/** A factor in a French label: 1.2 -> "1,2". */
const frenchDecimal = (value) => String(value).replace(".", ",");

function interventions(frequency) {
  if (!(frequency in PER_WEEK)) throw new EstimateError(`unknown frequency '${frequency}'`);
  return PER_WEEK[frequency];
}

function housekeeping(catalogue, answers) {
  const norms = catalogue.norms;
  const types = Object.fromEntries((catalogue.room_types || []).map((t) => [t.key, t]));
  const lines = [];
  let rooms = 0;
  (answers.rooms || []).forEach((room, index) => {
    const type = types[room.type];
    if (!type) throw new EstimateError(`room ${index + 1}: unknown room type '${room.type}'`);
    const surface = num(room.surface_m2, "surface") || num(type.default_surface_m2, "default surface");
    let minutes = 0;
    for (const task of type.tasks) {
      const w = weight((room.tasks || {})[task.key] || "never");
      if (w) minutes += w * (num(task.fixed_minutes, "task") + num(task.minutes_per_m2, "task") * surface);
    }
    const name = room.label || type.label_fr;
    const nameEn = room.label || type.label_en;
    lines.push(line("room", `${name} (${surface} m²)`, `${nameEn} (${surface} m²)`, minutes));
    rooms += minutes;
  });
  const levels = Math.trunc(num(answers.levels || 1, "levels"));
  let base = rooms;
  if (levels > 1) {
    const stairs = (levels - 1) * norm(norms, "stairs_minutes");
    lines.push(line("stairs", `Escaliers (${levels} niveaux)`, `Stairs (${levels} levels)`, stairs));
    base += stairs;
  }
  if (answers.dwelling_type === "house") {
    const f = norm(norms, "house_factor");
    lines.push(line("house", `Maison : × ${frenchDecimal(f)}`, `House: × ${f}`, base * (f - 1)));
    base *= f;
  }
  if (answers.cluttered === "yes") {
    const f = norm(norms, "clutter_factor");
    lines.push(line("clutter", `Logement encombré : × ${frenchDecimal(f)}`, `Cluttered home: × ${f}`, base * (f - 1)));
    base *= f;
  }
  let extras = 0;
  const extrasWeight = weight(answers.extras_frequency);
  for (const extra of answers.extras || []) {
    if (!(extra in EXTRAS)) throw new EstimateError(`unknown extra '${extra}'`);
    const [key, fr, en] = EXTRAS[extra];
    const minutes = norm(norms, key) * extrasWeight;
    lines.push(line(`extra_${extra}`, fr, en, minutes));
    extras += minutes;
  }
  const windowsCount = num(answers.windows_count, "windows");
  let windows = 0;
  if (windowsCount) {
    windows = windowsCount * norm(norms, "window_minutes") * weight(answers.windows_frequency);
    lines.push(line("windows", `Vitres (${windowsCount})`, `Windows (${windowsCount})`, windows));
  }
  const frequency = answers.frequency || "weekly";
  const ironingWeek = num(answers.ironing_shirts_per_week, "shirts") * norm(norms, "shirt_minutes")
    + num(answers.ironing_items_per_week, "ironing items") * norm(norms, "ironing_item_minutes");
  let ironing = 0;
  if (ironingWeek) {
    const [n, d] = interventions(frequency);
    ironing = (ironingWeek * d) / n;
    lines.push(line("ironing", "Repassage", "Ironing", ironing));
  }
  return [base + extras + windows + ironing, lines, frequency];
}

function gardening(catalogue, answers) {
  const norms = catalogue.norms;
  const lines = [];
  let total = 0;
  for (const [answer, rate, fr, en] of [
    ["lawn_m2", "lawn_m2_per_hour", "Tonte", "Mowing"],
    ["hedge_m", "hedge_m_per_hour", "Taille de haies", "Hedge trimming"],
    ["weeding_m2", "weeding_m2_per_hour", "Désherbage", "Weeding"],
  ]) {
    const amount = num(answers[answer], answer);
    if (amount) {
      const minutes = (amount / norm(norms, rate)) * 60;
      lines.push(line(answer, `${fr} (${amount})`, `${en} (${amount})`, minutes));
      total += minutes;
    }
  }
  if (answers.green_waste === "yes") {
    const minutes = norm(norms, "green_waste_minutes");
    lines.push(line("green_waste", "Évacuation des déchets verts", "Green-waste removal", minutes));
    total += minutes;
  }
  return [total, lines, answers.garden_frequency || "fortnightly"];
}

export function roundToQuarterHour(minutes) {
  return Math.floor(minutes / 15 + 0.5 + 1e-9) * 15;
}

const ESTIMATORS = { housekeeping, gardening };

export function estimate({ catalogues, answers, min_minutes: minMinutes }) {
  const activities = catalogues.map((catalogue) => {
    const run = ESTIMATORS[catalogue.activity];
    if (!run) throw new EstimateError(`no estimator for activity '${catalogue.activity}'`);
    const [total, lines, frequency] = run(catalogue, answers);
    const raw = cents(total);
    let perIntervention = roundToQuarterHour(raw);
    if (raw > 0 && perIntervention < minMinutes) {
      lines.push(line("minimum", "Durée minimale facturée", "Minimum billed duration", minMinutes - perIntervention));
      perIntervention = minMinutes;
    }
    const [n, d] = interventions(frequency);
    const perWeek = Math.floor((perIntervention * n) / d + 0.5 + 1e-9);
    return {
      activity: catalogue.activity, raw_minutes: raw, minutes_per_intervention: perIntervention,
      interventions_per_week: Math.round((n / d) * 10000) / 10000, minutes_per_week: perWeek, lines,
    };
  });
  return {
    version: ESTIMATOR_VERSION, activities,
    minutes_per_week: activities.reduce((sum, a) => sum + a.minutes_per_week, 0),
  };
}
