// What waits on this tablet, write by write, with what can be done about each: send now,
// open it to correct it, or (a refused one only) discard it after saying what is lost.
import { del } from "./store.js";
import { STATES, correctionUrl, isSending, records, replay, waitingFor } from "./sync.js";

let texts = {};
const fmt = (template, values) => template.replace(/%\((\w+)\)s/g, (_, k) => values[k] ?? "");

function what(record) {
  return texts.steps[record.step] || record.label || record.step;
}

function state(record, list) {
  if (record.state === STATES.CONFLICT) return fmt(texts.conflict, { message: record.message || "" });
  if (record.state === STATES.REJECTED) {
    const fields = Object.entries(record.errors || {}).map(([k, v]) => `${k} : ${[].concat(v).join(" ")}`);
    return [fmt(texts.refused, { message: record.message || "" }), ...fields].join(" · ");
  }
  const parents = waitingFor(record, list);
  if (parents.length) return fmt(texts.waitingFor, { what: parents.map(what).join(", ") });
  if (isSending(record)) return texts.sending;
  if (record.serverError) return texts.serverError;
  if (record.nextAttemptAt && record.nextAttemptAt > Date.now()) {
    return fmt(texts.nextTry, { time: new Date(record.nextAttemptAt).toLocaleTimeString(document.documentElement.lang) });
  }
  return texts.waiting;
}

async function discard(record, list) {
  // What waited for it cannot be sent without it: it goes too, and is named.
  const gone = [record];
  for (const other of list) if (other.dependsOn?.includes(record.id)) gone.push(other);
  const names = gone.map((r) => `${what(r)} (${texts.visit} ${r.visitId})`).join(", ");
  if (!window.confirm(fmt(texts.discardConfirm, { what: names }))) return;
  for (const r of gone) await del("outbox", r.id);
}

async function draw(box) {
  const list = await records();
  const body = box.querySelector("tbody");
  body.replaceChildren(...list.map((record) => {
    const row = body.insertRow();
    row.dataset.pendingRow = record.state;
    row.insertCell().textContent = `${texts.visit} ${record.visitId}`;
    row.insertCell().textContent = what(record);
    row.insertCell().textContent = new Date(record.createdAt).toLocaleString(document.documentElement.lang);
    row.insertCell().textContent = state(record, list);
    row.insertCell().textContent = String(record.attempts || 0);
    const actions = row.insertCell();
    const open = document.createElement("a");
    open.href = record.state === STATES.CONFLICT && record.conflictUrl ? record.conflictUrl : correctionUrl(record);
    open.textContent = texts.open;
    actions.append(open);
    if (record.state === STATES.REJECTED) {
      const drop = document.createElement("button");
      drop.type = "button";
      drop.className = "button button--ghost";
      drop.textContent = texts.discard;
      drop.addEventListener("click", async () => { await discard(record, await records()); await draw(box); });
      actions.append(" ", drop);
    }
    return row;
  }));
  box.querySelector("[data-pending-table]").hidden = !list.length;
  box.querySelector("[data-pending-empty]").hidden = !!list.length;
  if (navigator.storage?.estimate) {
    const { usage = 0, quota = 0 } = await navigator.storage.estimate();
    const mb = (n) => (n / 1048576).toLocaleString(document.documentElement.lang, { maximumFractionDigits: 1 });
    box.querySelector("[data-pending-storage]").textContent = fmt(texts.storage, { used: mb(usage), quota: mb(quota) });
  }
  document.documentElement.dataset.pendingReady = "1";
}

// The pending page, and the panel the sync indicator opens on every other page.
export function initPending() {
  const box = document.querySelector("[data-pending]");
  if (!box) return null;
  texts = JSON.parse(box.dataset.texts);
  box.querySelector("[data-pending-retry]").addEventListener("click", async (event) => {
    event.target.disabled = true;
    await replay({ wait: true, force: true }).catch((error) => console.warn("outbox: replay on demand failed", error));
    event.target.disabled = false;
    await draw(box);
  });
  // One drawing at a time: a message during one asks for one more after it.
  let drawing = null;
  let again = false;
  const redraw = () => {
    if (box.closest("[hidden]")) return;
    if (drawing) {
      again = true;
      return;
    }
    drawing = (async () => {
      do {
        again = false;
        await draw(box).catch((error) => console.warn("pending list: drawing failed", error));
      } while (again && !box.closest("[hidden]"));
    })().finally(() => { drawing = null; });
  };
  try {
    new BroadcastChannel("nomad-sync").addEventListener("message", redraw);
  } catch (error) {
    console.warn("pending list: no live updates, it redraws when opened again", error);
  }
  redraw();
  return { box, draw: () => draw(box) };
}
