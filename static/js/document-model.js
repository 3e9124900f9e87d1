// @ts-check
// The document model of a sale, on the tablet: the browser twin of quotes/document_model.py.
//
// A plain ES module with no DOM dependency (Node 20 imports it for the tests). Read the
// Python module's docstring for the inputs; both are checked against
// tests/vectors/document_model.json (same model, same SHA-256 of its canonical JSON).
// Where Python's built-ins decide a value (str(), str.strip(), bool(), splitlines()),
// the small helpers below do what they do, so odd inputs give the same text.
import { PricingError, price } from "./pricing.js";

export const MODEL_VERSION = 1;
export const TEMPLATE_VERSION = "2027.1";
export const LEGAL_KINDS = [
  "precontract",
  "withdrawal",
  "no_payment",
  "early_start",
  "general_terms",
  "withdrawal_form",
  "consent",
];
export const CIVILITIES = { mrs: "Mme", mr: "M." };
const PLACEHOLDER = /\{(company\.[a-z_]+)\}/g;
const FIELD = /^_{3,}$/;

export class ModelError extends Error {
  constructor(message, code = "bad_input") {
    super(message);
    this.name = "ModelError";
    this.code = code;
  }
}

// --- What Python's built-ins do -------------------------------------------------------

// str.isspace(): the characters str.strip() removes.
const PY_SPACE = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, "g");
// eslint-disable-next-line no-control-regex -- the separators Python's str.splitlines() breaks on
const PY_LINES = /\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]/;

function pyStrip(text) {
  return text.replace(PY_STRIP, "");
}

function pyStr(value) {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  return String(value);
}

// Python's truth of a JSON value ("", 0, null, [] and {} are false).
function pyTruthy(value) {
  if (Array.isArray(value)) return value.length > 0;
  if (value && typeof value === "object") return Object.keys(value).length > 0;
  return Boolean(value);
}

function pyOr(value, fallback) {
  return pyTruthy(value) ? value : fallback;
}

// repr() of a str, None, a bool or a number, for the messages that quote a value.
function pyRepr(value) {
  if (typeof value !== "string") return pyStr(value);
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  const escaped = value
    .replace(/\\/g, "\\\\")
    .replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r")
    .replace(/\t/g, "\\t");
  return quote + (quote === "'" ? escaped.replace(/'/g, "\\'") : escaped) + quote;
}

// int() of a JSON value: whole numbers, floats truncated, and strings of digits.
function pyInt(value) {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number" && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === "string" && /^[+-]?\d+$/.test(pyStrip(value).replace(/_/g, ""))) {
    return Number.parseInt(pyStrip(value).replace(/_/g, ""), 10);
  }
  throw new TypeError(`invalid literal for int(): ${pyRepr(value)}`);
}

function isMapping(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function get(mapping, key, fallback = undefined) {
  return isMapping(mapping) && Object.hasOwn(mapping, key) ? mapping[key] : fallback;
}

// --- SHA-256 (FIPS 180-4), synchronous: the model hashes each legal text as it is built.
// crypto.subtle only answers with a promise; modelSha256 below uses it.

function fractionBits(root) {
  return Math.floor((root - Math.floor(root)) * 2 ** 32) >>> 0;
}

const PRIMES = [];
for (let n = 2; PRIMES.length < 64; n += 1) {
  if (PRIMES.every((p) => n % p !== 0)) PRIMES.push(n);
}
const K = Uint32Array.from(PRIMES, (p) => fractionBits(Math.cbrt(p)));
const H0 = Uint32Array.from(PRIMES.slice(0, 8), (p) => fractionBits(Math.sqrt(p)));

function rotr(x, n) {
  return (x >>> n) | (x << (32 - n));
}

/** Hex SHA-256 of a text's UTF-8 bytes (Python: hashlib.sha256(text.encode()).hexdigest()). */
export function sha256Hex(text) {
  const bytes = new TextEncoder().encode(text);
  const padded = new Uint8Array((((bytes.length + 9 + 63) / 64) | 0) * 64);
  padded.set(bytes);
  padded[bytes.length] = 0x80;
  const view = new DataView(padded.buffer);
  const bits = bytes.length * 8;
  view.setUint32(padded.length - 8, Math.floor(bits / 2 ** 32));
  view.setUint32(padded.length - 4, bits >>> 0);
  const h = Uint32Array.from(H0);
  const w = new Uint32Array(64);
  for (let offset = 0; offset < padded.length; offset += 64) {
    for (let i = 0; i < 16; i += 1) w[i] = view.getUint32(offset + 4 * i);
    for (let i = 16; i < 64; i += 1) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, k] = h;
    for (let i = 0; i < 64; i += 1) {
      const t1 = (k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      k = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    [a, b, c, d, e, f, g, k].forEach((value, i) => {
      h[i] = (h[i] + value) >>> 0;
    });
  }
  return Array.from(h, (word) => word.toString(16).padStart(8, "0")).join("");
}

// --- The model -----------------------------------------------------------------------

// Decimal(n / d).quantize(1, ROUND_HALF_UP) for integers: halves away from zero.
function divRoundHalfUp(n, d) {
  const sign = n < 0 !== d < 0 ? -1 : 1;
  const [an, ad] = [Math.abs(n), Math.abs(d)];
  return sign * Math.floor((2 * an + ad) / (2 * ad));
}

/** The advisor's weekly minutes split between activities in proportion to the estimate. */
export function minutesSplit({ total, estimate }) {
  const estimated = estimate.reduce((acc, [, minutes]) => acc + minutes, 0);
  if (total <= 0 || estimate.length === 0 || estimated <= 0) {
    throw new ModelError("the hours per week must be more than zero", "bad_hours");
  }
  const out = new Map();
  let left = total;
  estimate.forEach(([activity, minutes], index) => {
    const share = index === estimate.length - 1 ? left : divRoundHalfUp(total * minutes, estimated);
    out.set(activity, share);
    left -= share;
  });
  return Object.fromEntries([...out].filter(([, minutes]) => minutes > 0));
}

/** ["h", text] headings, ["p", text] paragraphs, ["f", ""] blanks to fill in. */
export function legalBlocks(body, company) {
  const fill = (text) =>
    text.replace(PLACEHOLDER, (_match, name) => {
      const raw = pyStr(get(company, name.slice("company.".length), ""));
      return raw
        .split(PY_LINES)
        .map(pyStrip)
        .filter((part) => part)
        .join(", ");
    });
  const out = [];
  for (const block of body.replace(/\r\n/g, "\n").split("\n\n")) {
    const lines = pyStrip(block).split("\n").map(pyStrip);
    let paragraph = [];
    for (const line of lines) {
      if (line.startsWith("#") || FIELD.test(line)) {
        if (paragraph.length) {
          out.push(["p", fill(paragraph.join(" "))]);
          paragraph = [];
        }
        if (line.startsWith("#")) out.push(["h", fill(pyStrip(line.replace(/^[# ]+/, "")))]);
        else out.push(["f", ""]);
      } else if (line) {
        paragraph.push(line);
      }
    }
    if (paragraph.length) out.push(["p", fill(paragraph.join(" "))]);
  }
  return out;
}

function legal(inputs) {
  const texts = pyOr(get(inputs, "legal_texts"), {});
  const company = pyOr(get(inputs, "company"), {});
  return LEGAL_KINDS.map((kind) => {
    const text = get(texts, kind);
    if (!pyTruthy(text)) {
      throw new ModelError(`no published legal text of kind ${pyRepr(kind)}`, "no_legal_text");
    }
    const body = pyStr(text.body);
    return {
      kind,
      version: pyStr(text.version),
      title: pyStr(get(text, "title", "")),
      sha256: sha256Hex(body),
      blocks: legalBlocks(body, company),
    };
  });
}

/** The client as the documents print them, from the prospect's recorded fields. */
export function clientParty(raw) {
  const field = (name) => pyStrip(pyStr(pyOr(get(raw, name), "")));
  const address = `${field("address")}, ${field("postal_code")} ${field("city")}`;
  let place = address;
  if (field("intervention_address")) {
    place =
      `${field("intervention_address")}, ${field("intervention_postal_code")} ` +
      `${field("intervention_city")}`;
  }
  return {
    civility: get(CIVILITIES, field("civility"), ""),
    name: pyStrip(`${field("first_name")} ${field("last_name")}`),
    address: field("address"),
    postal_code: field("postal_code"),
    city: field("city"),
    email: field("email"),
    phone: field("phone"),
    place_of_intervention: place,
  };
}

// date.fromisoformat() for the forms a JSON date takes: 2026-12-01 (or 20261201).
function day(value, what) {
  const match = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(pyStr(value));
  if (match && (match[0].length === 10 || match[0].length === 8)) {
    const [year, month, date] = match.slice(1).map(Number);
    const parsed = new Date(0);
    parsed.setUTCFullYear(year, month - 1, date);
    if (year >= 1 && parsed.getUTCMonth() === month - 1 && parsed.getUTCDate() === date) {
      return parsed;
    }
  }
  throw new ModelError(`${what}: not a date (${pyRepr(value)})`, "bad_date");
}

function iso(date) {
  return date.toISOString().slice(0, 10);
}

/** What pricing.js's price() needs: lines from the split minutes and the price list. */
export function pricingInput(inputs) {
  const priceList = pyOr(get(inputs, "price_list"), {});
  const prices = pyOr(get(priceList, "prices"), {});
  const estimate = pyOr(get(inputs, "estimate"), []).map(([a, m]) => [pyStr(a), pyInt(m)]);
  const lines = [];
  const split = minutesSplit({ total: pyInt(pyOr(get(inputs, "minutes_per_week"), 0)), estimate });
  for (const [activity, minutes] of Object.entries(split)) {
    const activityPrice = get(prices, activity);
    if (activityPrice === undefined || activityPrice === null) {
      throw new ModelError(`the price list has no price for ${activity}`, "no_price");
    }
    lines.push({
      activity,
      label: pyStr(activityPrice.label),
      minutes_per_week: minutes,
      hourly_price_ht: pyStr(activityPrice.hourly_price_ht),
      vat_rate: pyStr(activityPrice.vat_rate),
    });
  }
  return {
    lines,
    fees: pyOr(get(priceList, "fees"), []).map((fee) => ({ ...fee })),
    household: { ...pyOr(get(inputs, "household"), {}) },
    immediate_advance: pyTruthy(get(inputs, "immediate_advance", false)),
  };
}

/** The document model of a quote (contract null) or of a quote and its contract. */
export function saleModel(inputs) {
  const quoteDate = day(get(inputs, "quote_date", null), "quote date");
  const validityDays = pyInt(pyOr(get(inputs, "validity_days"), 0));
  if (validityDays <= 0) {
    throw new ModelError("the validity of a quote is at least one day", "bad_validity");
  }
  const priced = pricingInput(inputs);
  let figures;
  try {
    figures = price(priced);
  } catch (error) {
    if (error instanceof PricingError) throw new ModelError(error.message, error.code);
    throw error;
  }
  const priceList = pyOr(get(inputs, "price_list"), {});
  const contractIn = get(inputs, "contract", null);
  let contract = null;
  if (contractIn !== null) {
    contract = {
      date: iso(day(get(contractIn, "date", null), "contract date")),
      early_start_requested: pyTruthy(get(contractIn, "early_start_requested", false)),
    };
  }
  const validUntil = new Date(quoteDate.getTime() + validityDays * 86400000);
  const quote = {
    date: iso(quoteDate),
    valid_until: iso(validUntil),
    validity_days: validityDays,
    price_list: { id: get(priceList, "id", null), name: pyStr(get(priceList, "name", "")) },
    pricing_input: priced,
    figures,
  };
  const services = pyOr(get(inputs, "services"), []).map((group) => ({ ...group }));
  if (services.length) quote.services = services;
  return {
    model: MODEL_VERSION,
    template: TEMPLATE_VERSION,
    references: { device_reference: pyStr(pyOr(get(inputs, "device_reference"), "")) },
    quote,
    parties: {
      client: clientParty(pyOr(get(inputs, "client"), {})),
      company: { ...pyOr(get(inputs, "company"), {}) },
      agency: { ...pyOr(get(inputs, "agency"), {}) },
      advisor: pyStr(pyOr(get(inputs, "advisor"), "")),
    },
    legal: legal(inputs),
    contract,
  };
}

/** The model the client signs: the quote's, with the contract's part filled in. */
export function contractModel({ quoteModel, contractDate, earlyStartRequested }) {
  return {
    ...quoteModel,
    contract: {
      date: iso(day(contractDate, "contract date")),
      early_start_requested: pyTruthy(earlyStartRequested),
    },
  };
}

/** kind → version of the legal texts a model shows. */
export function modelLegalVersions(model) {
  return Object.fromEntries((model.legal ?? []).map((t) => [pyStr(t.kind), pyStr(t.version)]));
}

// Python sorts keys by code point; JS's default sort compares UTF-16 units.
function byCodePoint(a, b) {
  const [x, y] = [[...a], [...b]];
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
    const diff = x[i].codePointAt(0) - y[i].codePointAt(0);
    if (diff) return diff;
  }
  return x.length - y.length;
}

function canonical(value) {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object") {
    const keys = Object.keys(value).sort(byCodePoint);
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
  }
  if (typeof value === "number" && !Number.isFinite(value)) {
    throw new ModelError(`not a JSON number: ${value}`);
  }
  // Strings: JSON.stringify escapes exactly what json.dumps(ensure_ascii=False) does.
  // Numbers: the model holds whole numbers only (amounts are strings).
  return JSON.stringify(value);
}

/** The canonical JSON the tablet hashes: sorted keys, no spaces, UTF-8 as is. */
export function modelJson(model) {
  return canonical(model);
}

/** Hex SHA-256 of the canonical JSON, through crypto.subtle (browser and Node 20). */
export async function modelSha256(model) {
  const bytes = new TextEncoder().encode(modelJson(model));
  const digest = await globalThis.crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

// --- The nature of the services (SPEC §4: tasks, rooms, frequency) -------------------

export const ACTIVITY_LABELS = {
  housekeeping: "Entretien du logement",
  gardening: "Petits travaux de jardinage",
  senior_care: "Aide aux personnes âgées ou dépendantes",
};
const TASK_FREQUENCIES = {
  each: "à chaque intervention",
  every_2: "une intervention sur deux",
  every_4: "une intervention sur quatre",
};
const SCHEDULE_FREQUENCIES = {
  twice_weekly: "Deux fois par semaine",
  weekly: "Toutes les semaines",
  fortnightly: "Tous les quinze jours",
  monthly: "Tous les mois",
};
const DEFAULT_SCHEDULE = { housekeeping: "weekly", gardening: "fortnightly" };
const EXTRA_LABELS = {
  oven: "Four (intérieur)",
  fridge: "Réfrigérateur (intérieur)",
  balcony: "Balcon ou terrasse",
};
const GARDEN_WORK = [
  ["lawn_m2", "Tonte de la pelouse", "m²"],
  ["hedge_m", "Taille des haies", "m"],
  ["weeding_m2", "Désherbage", "m²"],
];
const DECIMAL_TEXT = /^-?\d+(\.\d+)?$/;

// A number of the answers as French prints it: 12.5 → "12,5", 3.0 → "3".
function amount(value) {
  if (value === null || value === undefined || typeof value === "boolean") return "";
  let text = pyStrip(pyStr(value));
  if (DECIMAL_TEXT.test(text) && text.includes(".")) text = text.replace(/0+$/, "").replace(/\.$/, "");
  return text.replace(/\./g, ",");
}

function isZero(text) {
  return text === "" || text === "0" || text === "-0";
}

function choiceLabels(catalogue, key) {
  for (const section of pyOr(get(catalogue, "sections"), [])) {
    for (const question of pyOr(get(section, "questions"), [])) {
      if (get(question, "key") === key) {
        return Object.fromEntries(
          pyOr(get(question, "choices"), [])
            .filter(isMapping)
            .map((c) => [pyStr(c.value), pyStr(pyOr(get(c, "label_fr"), c.value))]),
        );
      }
    }
  }
  return {};
}

function taskFrequency(value) {
  const code = pyStr(pyOr(value, "each"));
  if (code === "never") return "";
  return get(TASK_FREQUENCIES, code, "");
}

function housekeepingRows(catalogue, answers) {
  const roomTypes = new Map(
    pyOr(get(catalogue, "room_types"), [])
      .filter(isMapping)
      .map((rt) => [pyStr(rt.key), rt]),
  );
  const rows = [];
  const rooms = get(answers, "rooms");
  for (const room of Array.isArray(rooms) ? rooms : []) {
    if (!isMapping(room)) continue;
    const roomType = roomTypes.get(pyStr(room.type));
    const chosen = isMapping(room.tasks) ? room.tasks : {};
    const labels = new Map();
    const order = [];
    if (roomType !== undefined) {
      for (const task of pyOr(roomType.tasks, [])) {
        const key = pyStr(task.key);
        labels.set(key, pyStr(pyOr(get(task, "label_fr"), key)));
        order.push(key);
      }
    }
    order.push(...Object.keys(chosen).filter((key) => !labels.has(key)));
    const tasks = [];
    for (const key of order) {
      if (!Object.hasOwn(chosen, key)) continue;
      const frequency = taskFrequency(chosen[key]);
      if (frequency) tasks.push({ label: labels.get(key) ?? key, frequency });
    }
    if (!tasks.length) continue;
    const typeLabel = roomType ? pyStr(pyOr(get(roomType, "label_fr"), "")) : "";
    const name = pyStrip(pyStr(pyOr(get(room, "label"), ""))) || typeLabel || pyStr(pyOr(get(room, "type"), ""));
    let surface = amount(get(room, "surface_m2"));
    if (isZero(surface) && roomType !== undefined) surface = amount(get(roomType, "default_surface_m2"));
    rows.push({ label: name, detail: isZero(surface) ? "" : `${surface}\u00a0m²`, tasks });
  }

  const extras = get(answers, "extras");
  const extrasFrequency = taskFrequency(get(answers, "extras_frequency"));
  if (Array.isArray(extras) && extras.length && extrasFrequency) {
    const names = { ...EXTRA_LABELS, ...choiceLabels(catalogue, "extras") };
    rows.push({
      label: "Prestations complémentaires",
      detail: "",
      tasks: extras.map((extra) => ({
        label: get(names, pyStr(extra), pyStr(extra)),
        frequency: extrasFrequency,
      })),
    });
  }
  const windows = amount(get(answers, "windows_count"));
  const windowsFrequency = taskFrequency(get(answers, "windows_frequency"));
  if (!isZero(windows) && windowsFrequency) {
    rows.push({
      label: "Vitres",
      detail: `${windows} fenêtre${windows === "1" ? "" : "s"}`,
      tasks: [{ label: "Nettoyage des vitres", frequency: windowsFrequency }],
    });
  }
  const ironing = [];
  for (const [key, what] of [
    ["ironing_shirts_per_week", "chemises"],
    ["ironing_items_per_week", "autres pièces"],
  ]) {
    const count = amount(get(answers, key));
    if (!isZero(count)) ironing.push({ label: `${count} ${what} par semaine`, frequency: "" });
  }
  if (ironing.length) rows.push({ label: "Repassage", detail: "", tasks: ironing });
  return rows;
}

function gardeningRows(answers) {
  const tasks = [];
  for (const [key, label, unit] of GARDEN_WORK) {
    const value = amount(get(answers, key));
    if (!isZero(value)) tasks.push({ label: `${label} : ${value}\u00a0${unit}`, frequency: "" });
  }
  if (get(answers, "green_waste") === "yes") {
    tasks.push({ label: "Évacuation des déchets verts", frequency: "" });
  }
  if (!tasks.length) return [];
  const surface = amount(get(answers, "garden_surface_m2"));
  return [{ label: "Jardin", detail: isZero(surface) ? "" : `${surface}\u00a0m²`, tasks }];
}

/** The services of a visit as the quote describes them, one entry per activity. */
export function servicesSummary({ answers, catalogues }) {
  const given = isMapping(answers) ? answers : {};
  return catalogues.map((catalogue) => {
    const activity = pyStr(pyOr(get(catalogue, "activity"), ""));
    let rows = [];
    let frequencyKey = "";
    if (activity === "housekeeping") {
      rows = housekeepingRows(catalogue, given);
      frequencyKey = "frequency";
    } else if (activity === "gardening") {
      rows = gardeningRows(given);
      frequencyKey = "garden_frequency";
    }
    const code = pyStr(pyOr(get(given, frequencyKey), get(DEFAULT_SCHEDULE, activity, "")));
    const labels = { ...SCHEDULE_FREQUENCIES, ...choiceLabels(catalogue, frequencyKey) };
    return {
      activity,
      label: get(ACTIVITY_LABELS, activity, activity),
      frequency: frequencyKey ? get(labels, code, "") : "",
      start_date: pyStr(pyOr(get(given, "start_date"), "")),
      rows,
    };
  });
}
