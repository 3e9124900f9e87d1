// The summary as this tablet knows the visit: offline, or with writes still waiting, the
// answers the page was prepared with are replaced by the device's view of them.
import { forVisit } from "./sync.js";
import { visitKey } from "./store.js";
import { deviceView } from "./device-view.js";

const english = () => document.documentElement.lang.startsWith("en");
const label = (item) => (english() ? item.label_en : item.label_fr) || item.label_fr || "";
const hours = (m) => (m >= 60 ? `${Math.floor(m / 60)} h${m % 60 ? ` ${String(m % 60).padStart(2, "0")}` : ""}` : `${m} min`);

// As visits/templatetags/visit_tags.py answer_display.
export function answerDisplay(value, question, texts) {
  if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length)) return "—";
  if (question.type === "choice" || question.type === "multi_choice") {
    const labels = Object.fromEntries((question.choices || []).map((c) => [c.value, label(c)]));
    return (Array.isArray(value) ? value : [value]).map((v) => labels[v] ?? String(v)).join(", ");
  }
  if (question.type === "yes_no") return value === "yes" ? texts.yes : texts.no;
  if (question.type === "number") {
    const text = Number(value).toLocaleString(document.documentElement.lang, { maximumFractionDigits: 2 });
    return `${text} ${question.unit || ""}`.trim();
  }
  return String(value);
}

export async function initSummary() {
  const box = document.querySelector("[data-summary]");
  if (!box) return;
  const list = (await forVisit(visitKey(box.dataset.visitId))).filter((r) => r.state === "pending");
  if (navigator.onLine && !list.length) return; // the page is the server's, up to date
  let data;
  try {
    data = await (await fetch(box.dataset.dataUrl, { credentials: "same-origin" })).json();
  } catch (error) {
    console.warn("summary: visit not on this tablet", error);
    return;
  }
  const texts = JSON.parse(box.dataset.texts);
  const view = deviceView(data, list);
  const questions = {};
  for (const c of data.catalogues) for (const s of c.sections) for (const q of s.questions) questions[q.key] = q;
  for (const dd of document.querySelectorAll("[data-answer]")) {
    const question = questions[dd.dataset.answer];
    if (question) dd.textContent = answerDisplay(view.answers[dd.dataset.answer], question, texts);
  }
  const rooms = document.querySelector("[data-summary-rooms]");
  if (rooms) {
    const types = Object.fromEntries(data.catalogues.flatMap((c) => c.room_types || []).map((t) => [t.key, label(t)]));
    rooms.querySelector("ul").replaceChildren(...(view.answers.rooms || []).map((room) => {
      const li = document.createElement("li");
      li.textContent = `${room.label || types[room.type] || room.type}${room.surface_m2 ? ` (${room.surface_m2} m²)` : ""}${room.instructions ? ` — ${room.instructions}` : ""}`;
      return li;
    }));
    rooms.hidden = !(view.answers.rooms || []).length;
  }
  const who = view.prospect;
  box.querySelector("[data-summary-name]").textContent = `${who.first_name || ""} ${who.last_name || ""}`.trim();
  box.querySelector("[data-summary-place]").textContent = who.intervention_address
    ? `${who.intervention_address}, ${who.intervention_postal_code} ${who.intervention_city}`
    : `${who.address || ""}, ${who.postal_code || ""} ${who.city || ""}`;
  const line = box.querySelector("[data-summary-device]");
  // A counted text: the form of the count in the page's language ("1 saisie", "2 saisies").
  const form = new Intl.PluralRules(document.documentElement.lang || "fr").select(list.length);
  line.textContent = (texts.onDevice[form] ?? texts.onDevice.other)
    .replace("%(n)s", list.length)
    .replace("%(estimate)s", hours(view.estimate.estimated))
    .replace("%(proposed)s", hours(view.estimate.proposed));
  line.hidden = false;
  box.querySelectorAll("[data-summary-server]").forEach((el) => { el.hidden = true; });
  document.documentElement.dataset.summaryReady = "1";
}
