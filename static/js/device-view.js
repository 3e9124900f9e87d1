// @ts-check
// The device's view of a visit: the prepared data (donnees.json) with every write still
// waiting in the outbox applied on top, in order, the way the server applies them. The
// pages that show derived state (summary, estimate, quote, contract) draw from it.
import { estimate } from "./estimator.js";

// The prospect step's fields (visits/models/visit.py PROSPECT_FIELDS), by kind.
const PROSPECT_TEXT = [
  "civility", "first_name", "last_name", "email", "phone", "address", "postal_code", "city",
  "intervention_address", "intervention_postal_code", "intervention_city",
];
const PROSPECT_COUNTS = ["adults", "dependent_children", "members_over_65"];
const PROSPECT_FLAGS = ["disabled_member", "wants_immediate_advance"];
const NOT_ANSWERS = new Set(["prospect", "estimate", "summary", "quote", "contract", "signature"]);
const APPLIED = "pending"; // sync.js STATES.PENDING: refused and conflicting writes are not applied

// A step's posted pairs → its answers, as visits/forms.py cleans them.
export function pairsToAnswers(pairs, catalogues) {
  const types = {};
  for (const c of catalogues) for (const s of c.sections) for (const q of s.questions) types[q.key] = q.type;
  const answers = {};
  const rooms = {};
  for (const [name, value] of pairs) {
    const room = /^rooms-(\d+)-(.+)$/.exec(name);
    if (room) {
      const r = (rooms[room[1]] ||= { tasks: {} });
      if (room[2].startsWith("task-")) r.tasks[room[2].slice(5)] = value;
      else r[room[2]] = value;
      continue;
    }
    const type = types[name];
    if (!type) continue;
    if (type === "multi_choice") answers[name] = [...(answers[name] || []), value];
    else if (type === "number") answers[name] = value === "" ? null : Number(value.replace(",", "."));
    else answers[name] = value;
  }
  if (pairs.some(([name]) => name === "rooms-TOTAL")) {
    answers.rooms = Object.keys(rooms).sort((a, b) => Number(a) - Number(b)).map((k) => rooms[k]);
  }
  return answers;
}

function prospectFrom(pairs, before) {
  const values = new Map(pairs);
  const out = { ...before };
  for (const name of PROSPECT_TEXT) if (values.has(name)) out[name] = String(values.get(name)).trim();
  for (const name of PROSPECT_COUNTS) out[name] = Number(values.get(name) || 0);
  for (const name of PROSPECT_FLAGS) out[name] = values.get(name) === "on";
  return out;
}

// data: the visit's donnees.json; list: the outbox records of this visit, oldest first.
export function deviceView(data, list) {
  const sale = data.sale || {};
  const mine = list.filter((r) => r.state === APPLIED);
  let answers = { ...data.visit.answers };
  let prospect = {
    ...sale.client,
    dependent_children: sale.household?.dependent_children || 0,
    members_over_65: sale.household?.members_over_65 || 0,
    disabled_member: !!sale.household?.disabled_member,
    wants_immediate_advance: !!sale.immediate_advance,
  };
  const estimateOf = (values) => {
    try {
      return estimate({ catalogues: data.catalogues, answers: values, min_minutes: data.min_minutes });
    } catch {
      return null; // no estimate for these answers (an activity without a price): none shown
    }
  };
  // The estimate confirmed last (on the server at preparation, or here), as the server
  // keeps it: the visit stays "needs captured" while the answers still give it.
  let confirmedAs = sale.estimate?.confirmed ? JSON.stringify(sale.estimate.activities) : null;
  let proposed = sale.estimate?.proposed_minutes ?? null;
  let reason = "";
  let changed = false;
  const minutesOf = (result) => (result ? JSON.stringify(result.activities.map((a) => [a.activity, a.minutes_per_week])) : "");
  for (const record of mine) {
    if (record.step === "prospect") {
      prospect = prospectFrom(record.pairs, prospect);
    } else if (record.step === "estimate") {
      const values = new Map(record.pairs);
      const given = String(values.get("proposed_minutes") ?? "").trim();
      proposed = given === "" ? null : Number(given);
      reason = String(values.get("override_reason") ?? "").trim();
      confirmedAs = minutesOf(estimateOf(answers));
    } else if (!NOT_ANSWERS.has(record.step)) {
      answers = { ...answers, ...pairsToAnswers(record.pairs, data.catalogues) };
      changed = true;
    }
  }
  let result = null;
  let error = "";
  try {
    result = estimate({ catalogues: data.catalogues, answers, min_minutes: data.min_minutes });
  } catch (e) {
    error = e.message;
  }
  const confirmed = confirmedAs !== null && confirmedAs === minutesOf(result);
  const estimated = result ? result.minutes_per_week : 0;
  // As visits.services.visit_confirm_estimate: no figure, or the same, keeps the estimate.
  const minutes = proposed === null || proposed === estimated ? estimated : proposed;
  return {
    answers,
    prospect,
    changed,
    estimate: {
      result, error, estimated, proposed: minutes, reason, confirmed: confirmed && estimated > 0,
      activities: result ? result.activities.map((a) => [a.activity, a.minutes_per_week]) : [],
    },
  };
}

// The inputs of document-model.js saleModel from the device's view (quotes.selectors.sale_inputs).
export function saleInputs(data, view, { deviceReference, quoteDate, services, contract = null }) {
  const sale = data.sale;
  const client = Object.fromEntries(PROSPECT_TEXT.map((k) => [k, view.prospect[k] ?? ""]));
  return {
    device_reference: deviceReference,
    quote_date: quoteDate,
    validity_days: sale.price_list.validity_days,
    minutes_per_week: view.estimate.proposed,
    estimate: view.estimate.activities,
    price_list: sale.price_list,
    client,
    company: sale.company,
    agency: sale.agency,
    advisor: sale.advisor,
    household: {
      dependent_children: view.prospect.dependent_children,
      members_over_65: view.prospect.members_over_65,
      disabled_member: view.prospect.disabled_member,
    },
    immediate_advance: view.prospect.wants_immediate_advance,
    legal_texts: sale.legal_texts,
    services,
    contract,
  };
}

// The calendar day of an instant in the company's time zone (what the server's localdate gives).
export function localDay(when, timeZone) {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(when);
}
