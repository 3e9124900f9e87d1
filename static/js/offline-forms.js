// Step forms that work without network: rooms edited on the device, every submit written
// to the offline queue before it is sent, drafts shown again, the estimate computed here.
import { all, del, get, put, visitKey } from "./store.js";
import { STATES, enqueue, forVisit, replay } from "./sync.js";
import { deviceView, localDay, pairsToAnswers, saleInputs } from "./device-view.js";
import { saleModel } from "./document-model.js";
import { walkInFor } from "./walk-in.js";

const ROOM_FIELD = /^rooms-(\d+|__N__)-/;

// ---- Rooms: add, duplicate, remove on the device -----------------------------------
function renumber(form) {
  const rows = [...form.querySelectorAll("[data-rooms] > [data-room]")];
  rows.forEach((row, n) => {
    for (const el of row.querySelectorAll("[name], [id], [for], button[value]")) {
      for (const attr of ["name", "id", "for"]) {
        const value = el.getAttribute(attr);
        if (value && ROOM_FIELD.test(value)) el.setAttribute(attr, value.replace(ROOM_FIELD, `rooms-${n}-`));
      }
      if (el.tagName === "BUTTON" && /^(duplicate|remove):/.test(el.value)) el.value = el.value.replace(/:.*/, `:${n}`);
    }
  });
  form.querySelector("[data-rooms-total]").value = rows.length;
  const empty = form.querySelector("[data-rooms-empty]");
  if (empty) empty.hidden = rows.length > 0;
}

function addRoom(form, type) {
  const template = form.querySelector(`template[data-room-template="${type}"]`);
  if (!template) return null;
  const row = template.content.firstElementChild.cloneNode(true);
  row.querySelector('[name$="-uid"]').value = crypto.randomUUID();
  form.querySelector("[data-rooms]").append(row);
  renumber(form);
  return row;
}

function roomOp(form, op) {
  const [action, arg] = op.split(":");
  const rows = [...form.querySelectorAll("[data-rooms] > [data-room]")];
  if (action === "add") {
    addRoom(form, arg)?.querySelector("input[type=text]")?.focus();
  } else if (action === "remove" && rows[arg]) {
    rows[arg].remove();
    renumber(form);
  } else if (action === "duplicate" && rows[arg]) {
    const copy = rows[arg].cloneNode(true);
    // cloneNode copies attributes, not what was typed or chosen: carry the values over.
    const source = rows[arg].querySelectorAll("input, select, textarea");
    copy.querySelectorAll("input, select, textarea").forEach((el, i) => { el.value = source[i].value; });
    copy.querySelector('[name$="-uid"]').value = crypto.randomUUID();
    rows[arg].after(copy);
    renumber(form);
  }
}

// ---- Drafts: what was entered on the device, shown again -----------------------------
function fill(form, pairs) {
  const rooms = form.querySelector("[data-rooms]");
  if (rooms) {
    rooms.querySelectorAll("[data-room]").forEach((row) => row.remove());
    const types = pairs.filter(([name]) => /^rooms-\d+-type$/.test(name));
    for (const [, type] of types) addRoom(form, type);
  }
  const values = new Map();
  for (const [name, value] of pairs) values.set(name, [...(values.get(name) || []), value]);
  for (const el of form.elements) {
    if (!el.name || el.type === "hidden" && !ROOM_FIELD.test(el.name) || el.name === "csrfmiddlewaretoken") continue;
    const given = values.get(el.name) || [];
    if (el.type === "checkbox" || el.type === "radio") el.checked = given.includes(el.value);
    else if (given.length) el.value = given[0];
    else if (el.tagName !== "SELECT") el.value = "";
  }
}

async function latestDraft(visitId, step) {
  const mine = (await forVisit(visitId)).filter((r) => r.step === step && r.state !== STATES.CONFLICT);
  return mine[mine.length - 1] || null;
}

// ---- Submitting: the device first, then the network ---------------------------------
function showMessage(form, html) {
  const box = form.querySelector("[data-step-message]") || form.closest("#step")?.querySelector("[data-step-message]");
  if (!box) return;
  box.innerHTML = html;
  box.hidden = false;
  box.scrollIntoView({ block: "center" });
}

// What the server refused, next to the fields, with the advisor's data left in place.
function showRefusal(form, record) {
  form.querySelectorAll("[data-refusal]").forEach((el) => el.remove());
  for (const [name, messages] of Object.entries(record.errors || {})) {
    const field = form.elements.namedItem(name);
    const anchor = field?.closest?.(".field, fieldset") || (field instanceof RadioNodeList ? field[0]?.closest(".field, fieldset") : null);
    if (!anchor) continue;
    const p = document.createElement("p");
    p.className = "field__error";
    p.dataset.refusal = "1";
    p.setAttribute("role", "alert");
    p.textContent = [].concat(messages).join(" ");
    anchor.append(p);
  }
  const box = form.querySelector("[data-step-message]") || form.closest("#step")?.querySelector("[data-step-message]");
  if (box) {
    box.textContent = record.message || form.dataset.refusedText || "";
    box.classList.remove("message");
    box.classList.add("alert--error");
    box.hidden = false;
    box.scrollIntoView({ block: "center" });
  }
}

// Said as soon as the write is in IndexedDB, whatever the network does next.
function showSaved(form) {
  const box = form.querySelector("[data-step-message]") || form.closest("#step")?.querySelector("[data-step-message]");
  if (!box) return;
  box.textContent = form.dataset.savedText;
  box.classList.remove("alert--error");
  box.classList.add("message");
  box.hidden = false;
}

const SUBMIT_WAIT_MS = 800; // online, how long a submit waits for the server's answer

async function submit(form, submitter) {
  if (form.dataset.submitting) return; // a double tap queues one write
  if (!form.checkValidity()) {
    form.reportValidity();
    return;
  }
  form.dataset.submitting = "1";
  const buttons = [...form.querySelectorAll("button[type=submit], button:not([type])")];
  buttons.forEach((b) => { b.disabled = true; });
  let done = false; // the page moves on (or the form is spent): it stays disabled
  try {
    const visitId = visitKey(form.dataset.visitId);
    const pairs = [...new FormData(form, submitter)].filter(([name]) => name !== "op" && name !== "csrfmiddlewaretoken");
    let record;
    try {
      record = await enqueue({ url: form.action, visitId, step: form.dataset.offlineStep, pairs });
    } catch (error) {
      showDraftError(form, error); // storage full: said, and what is typed stays on screen
      return;
    }
    // Now in the outbox: a draft left behind is only a stale copy.
    await del("drafts", draftKey(form)).catch((error) => console.warn("drafts: removing the submitted draft failed", error));
    if (form.dataset.savedText) showSaved(form);
    // Saved on the tablet already; the network gets a short chance to answer, never more.
    if (navigator.onLine) {
      await Promise.race([replay({ wait: true }).catch((error) => console.warn("outbox: replay after submit failed", error)), new Promise((r) => setTimeout(r, SUBMIT_WAIT_MS))]);
    }
    const after = await get("outbox", record.id);
    if (after?.state === STATES.REJECTED) {
      showRefusal(form, after); // kept on the tablet until corrected
    } else if (after?.state === STATES.CONFLICT) {
      showMessage(form, `<p>${form.dataset.conflictText || ""}</p><p><a href="${after.conflictUrl}">${form.dataset.conflictLink || "→"}</a></p>`);
    } else if (after && form.dataset.queuedMessage) {
      showQueued(form);
      done = true;
    } else {
      // Sent, or not answered yet (no network, slow network, server down): kept; carry on.
      done = true;
      window.location.assign(form.dataset.nextUrl);
    }
  } finally {
    if (!done) {
      delete form.dataset.submitting;
      buttons.forEach((b) => { b.disabled = false; });
    }
  }
}

// ---- The estimate, from the prepared norms and the answers on the device ------------
async function offlineEstimate(form) {
  const box = document.querySelector("[data-offline-estimate]");
  if (!box) return;
  const visitId = visitKey(form.dataset.visitId);
  const local = (await forVisit(visitId)).filter((r) => r.state === STATES.PENDING);
  if (navigator.onLine && !local.length) return; // the server's figure is up to date
  let data;
  try {
    data = await (await fetch(form.dataset.dataUrl, { credentials: "same-origin" })).json();
  } catch (error) {
    console.warn("device view: visit not prepared on this tablet", error);
    return; // the page says what the server knew
  }
  const view = deviceView(data, local);
  if (!view.estimate.result) return;
  const result = view.estimate.result;
  const english = document.documentElement.lang.startsWith("en");
  const hours = (m) => (m >= 60 ? `${Math.floor(m / 60)} h${m % 60 ? ` ${String(m % 60).padStart(2, "0")}` : ""}` : `${m} min`);
  const body = box.querySelector("[data-offline-estimate-body]");
  body.replaceChildren();
  for (const a of result.activities) {
    const p = document.createElement("p");
    p.className = "estimate__figure";
    p.innerHTML = `<strong>${hours(a.minutes_per_intervention)}</strong> / intervention · <strong>${hours(a.minutes_per_week)}</strong> / ${english ? "week" : "semaine"}`;
    const table = document.createElement("table");
    table.className = "breakdown";
    for (const l of a.lines) {
      const row = table.insertRow();
      const label = document.createElement("th");
      label.scope = "row";
      label.textContent = english ? l.label_en : l.label_fr;
      row.append(label);
      row.insertCell().textContent = `${String(l.minutes).replace(".", english ? "." : ",")} min`;
    }
    body.append(p, table);
  }
  box.dataset.minutesPerWeek = result.minutes_per_week;
  document.querySelectorAll("[data-estimate-week]").forEach((el) => { el.textContent = hours(result.minutes_per_week); });
  if (data.sale?.price_list) {
    // The preview follows the figure the advisor types, as the quote will.
    const proposed = form.querySelector("[name=proposed_minutes]");
    const update = () => quotePreview(box, data, view, proposed?.value, english);
    proposed?.addEventListener("input", update);
    update();
  }
  box.hidden = false;
  document.querySelectorAll(".estimate:not([data-offline-estimate])").forEach((el) => { el.hidden = true; });
}

function quotePreview(box, data, view, typed, english) {
  const given = String(typed ?? "").trim();
  const figure = given === "" ? view.estimate.estimated : Number(given);
  if (!(figure > 0)) return;
  const inputs = saleInputs(data, { ...view, estimate: { ...view.estimate, proposed: figure } }, {
    deviceReference: "", quoteDate: localDay(new Date(), data.sale.time_zone), services: [],
  });
  let priced;
  try {
    priced = saleModel(inputs).quote.figures;
  } catch (error) {
    console.warn("quote: nothing to price yet", error);
    return; // nothing to price yet (no price for an activity): the quote page says why
  }
  const locale = english ? "en-GB" : "fr-FR";
  const euros = (amount) => `${Number(amount).toLocaleString(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 })} €`;
  const target = box.querySelector("[data-offline-quote]");
  target.querySelector('[data-quote="monthly_ttc"]').textContent = euros(priced.monthly.ttc);
  target.querySelector('[data-quote="credit_monthly"]').textContent = euros(priced.tax_credit.monthly);
  target.querySelector('[data-quote="remaining"]').textContent = priced.remaining_monthly === null ? "—" : euros(priced.remaining_monthly);
  target.hidden = false;
}

// A form whose record waits on the device says so and is not filled again (a signature).
function showQueued(form) {
  const box = form.querySelector("[data-step-message]") || form.closest("#step")?.querySelector("[data-step-message]");
  if (box) {
    box.textContent = form.dataset.queuedMessage;
    box.classList.remove("alert--error");
    box.classList.add("message");
    box.hidden = false;
  }
  form.querySelectorAll("button, input, select, textarea").forEach((el) => { el.disabled = true; });
}

// ---- Drafts as typed: saved to IndexedDB while the advisor types -------------------
const DRAFT_DELAY_MS = 400;
const draftKey = (form) => `${form.dataset.visitId}|${form.dataset.offlineStep}`;

function formPairs(form) {
  return [...new FormData(form)].filter(([name]) => name !== "op" && name !== "csrfmiddlewaretoken");
}

function keepDrafts(form) {
  let timer = null;
  const save = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      put("drafts", { key: draftKey(form), pairs: formPairs(form), savedAt: new Date().toISOString() })
        .catch((error) => showDraftError(form, error));
    }, DRAFT_DELAY_MS);
  };
  form.addEventListener("input", save);
  form.addEventListener("change", save);
  form.addEventListener("nomad:rooms", save);
  // A tab closed or sent to the background: write what is there now.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden" && timer) {
      clearTimeout(timer);
      put("drafts", { key: draftKey(form), pairs: formPairs(form), savedAt: new Date().toISOString() })
        .catch((error) => console.warn("drafts: saving failed", error));
    }
  });
}

// A full disk is said, never swallowed: what is typed is still on the screen.
function showDraftError(form, error) {
  const box = form.querySelector("[data-step-message]") || form.closest("#step")?.querySelector("[data-step-message]");
  if (!box) return;
  box.textContent = `${form.dataset.draftErrorText || ""} (${error?.name || error})`;
  box.hidden = false;
}

export async function initStepForms() {
  for (const form of document.querySelectorAll("form[data-offline-step]")) {
    const visitId = visitKey(form.dataset.visitId);
    const draft = await latestDraft(visitId, form.dataset.offlineStep);
    if (draft && form.dataset.queuedMessage) {
      if (draft.state === STATES.REJECTED) showMessage(form, "");
      else showQueued(form);
      if (draft.state === STATES.REJECTED) form.querySelector("[data-step-message]").textContent = draft.message;
    } else if (draft) {
      fill(form, draft.pairs);
      if (draft.state === STATES.REJECTED) showRefusal(form, draft);
    }
    const typed = form.dataset.queuedMessage ? null : await get("drafts", draftKey(form)).catch(() => null);
    if (typed && (!draft || typed.savedAt > draft.createdAt)) fill(form, typed.pairs);
    else if (!draft && form.dataset.offlineStep === "prospect") {
      // A visit created on this tablet: what its creation form said, given again.
      const walkIn = await walkInFor(visitId);
      for (const [name, value] of walkIn?.pairs || []) {
        const el = form.elements.namedItem(name);
        if (el && "value" in el && el.type !== "hidden" && !el.value) el.value = value;
      }
    }
    form.addEventListener("click", (event) => {
      const button = event.target.closest("button[name=op]");
      if (!button) return;
      event.preventDefault();
      roomOp(form, button.value);
      form.dispatchEvent(new Event("nomad:rooms"));
    });
    if (!form.dataset.queuedMessage) keepDrafts(form);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submit(form, event.submitter);
    });
    if (form.dataset.offlineStep === "estimate") offlineEstimate(form).catch((error) => console.warn("estimate: offline drawing failed", error));
    form.dataset.offlineReady = "1";
  }
}

export { all, pairsToAnswers };
