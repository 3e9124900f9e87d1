// A visit created on the tablet, with or without network: ids made here, the creation
// written to the outbox first, then the visit's (prepared, blank) pages opened at once.
import { all, get, put } from "./store.js";
import { enqueue, replay, uuid } from "./sync.js";
import { showError } from "./validation.js";

export async function walkIns() {
  return (await all("walkins")).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

export function walkInFor(visitId) {
  return typeof visitId === "string" ? get("walkins", visitId) : Promise.resolve(undefined);
}

async function create(form, submitter) {
  if (!form.checkValidity()) {
    form.reportValidity();
    return;
  }
  const id = uuid();
  const pairs = [...new FormData(form, submitter)]
    .filter(([name]) => name !== "csrfmiddlewaretoken" && name !== "client_uuid");
  pairs.push(["client_uuid", id]);
  const values = Object.fromEntries(pairs);
  const activities = pairs.filter(([name]) => name === "activities").map(([, v]) => v);
  const agencyId = values.agency || form.elements.namedItem("agency")?.value;
  if (!activities.length) {
    const first = form.querySelector("input[name=activities]");
    if (first) showError(first, JSON.parse(document.body.dataset.validationTexts || "{}").chooseOne);
    return;
  }
  if (!agencyId) {
    form.reportValidity();
    return;
  }
  const label = `${values.first_name || ""} ${values.last_name || ""}`.trim();
  await put("walkins", {
    uuid: id, agencyId: String(agencyId), activities, label, pairs,
    scheduledAt: values.scheduled_at || "", createdAt: new Date().toISOString(),
  });
  await enqueue({ id, kind: "visit", step: "visit", visitId: id, url: form.action || location.pathname, pairs, label });
  if (navigator.onLine) replay().catch((error) => console.warn("outbox: replay after walk-in failed", error));
  window.location.assign(`/visites/${id}/etapes/prospect/`);
}

// The new-visit form: always through the device, so it works the same offline.
export function initWalkInForm() {
  const form = document.querySelector("form[data-walk-in]");
  if (!form) return;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    create(form, event.submitter).catch((error) => {
      const box = form.querySelector("[data-walk-in-error]");
      if (box) {
        box.textContent = String(error.message || error);
        box.hidden = false;
      }
    });
  });
}

// The agenda lists the visits created on this tablet that the server has not shown yet.
export async function listWalkIns() {
  const box = document.querySelector("[data-walk-ins]");
  if (!box) return;
  const list = box.querySelector("ul");
  const known = new Set([...document.querySelectorAll("[data-visit-uuid]")].map((el) => el.dataset.visitUuid));
  const mine = (await walkIns()).filter((w) => !known.has(w.uuid));
  list.replaceChildren(...mine.map((w) => {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = `/visites/${w.uuid}/etapes/prospect/`;
    a.textContent = w.label || w.uuid;
    li.append(a);
    if (w.scheduledAt) li.append(` · ${w.scheduledAt.replace("T", " ")}`);
    return li;
  }));
  box.hidden = !mine.length;
}
