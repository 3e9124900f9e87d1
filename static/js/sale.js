// The sale on the tablet: make the quote, issue it, make the contract, have it signed,
// all on the device (the network is not needed), each action a write in the outbox
// that waits for the ones it depends on. Drawn from the prepared data, the outbox and
// what the server answered (static/js/device-view.js), never from the page's HTML.
import { get, put, visitKey } from "./store.js";
import { STATES, deviceId, enqueue, forVisit, replay, results, uuid, waitingFor } from "./sync.js";
import { deviceView, localDay, saleInputs } from "./device-view.js";
import { contractModel, modelJson, modelSha256, saleModel, servicesSummary } from "./document-model.js";
import { renderDocument } from "./document-render.js";
import { attachPad, deviceFacts } from "./signature.js";

const root = document.querySelector("[data-sale]");
const texts = root ? JSON.parse(root.dataset.texts) : {};
const fmt = (template, values) => template.replace(/%\((\w+)\)s/g, (_, k) => values[k] ?? "");
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// Eight characters from the device id: the tablet's part of its quote references.
export function deviceCode(id) {
  let bits = BigInt(`0x${id.replace(/-/g, "").slice(0, 10)}`);
  let out = "";
  for (let i = 0; i < 8; i += 1) {
    out = CROCKFORD[Number(bits & 31n)] + out;
    bits >>= 5n;
  }
  return out;
}

async function nextReference(prefix) {
  const seq = ((await get("meta", "quoteSeq"))?.value || 0) + 1;
  await put("meta", { key: "quoteSeq", value: seq });
  return `${prefix}-T${deviceCode(await deviceId())}-${String(seq).padStart(4, "0")}`;
}

function pairsOf(values) {
  return Object.entries(values).filter(([, v]) => v !== undefined && v !== null && v !== false)
    .map(([k, v]) => [k, v === true ? "on" : String(v)]);
}

async function load() {
  const visitId = visitKey(root.dataset.visitId);
  const response = await fetch(root.dataset.dataUrl, { credentials: "same-origin" });
  if (!response.ok) throw new Error(texts.notPrepared);
  const data = await response.json();
  const list = await forVisit(visitId);
  const sale = (await get("sales", visitId)) || { visitId };
  const answers = Object.fromEntries((await results(visitId)).map((r) => [r.id, r.data]));
  return { visitId, data, list, sale, answers, view: deviceView(data, list) };
}

// What became of one of the sale's writes: on the device, refused, in conflict, accepted.
function progress(state, id) {
  if (!id) return null;
  const record = state.list.find((r) => r.id === id);
  if (!record) return { done: true, answer: state.answers[id] || {} };
  if (record.state === STATES.CONFLICT) return { conflict: record };
  if (record.state === STATES.REJECTED) return { rejected: record };
  const blockers = waitingFor(record, state.list);
  return { pending: record, blockers };
}

function line(label, text, extra) {
  const li = document.createElement("li");
  const strong = document.createElement("strong");
  strong.textContent = `${label} : `;
  li.append(strong, document.createTextNode(text));
  if (extra) li.append(" ", extra);
  return li;
}

function describe(p, here, done) {
  if (!p) return [texts.draft, null];
  if (p.done) return [done, null];
  if (p.conflict) {
    const a = document.createElement("a");
    a.href = p.conflict.conflictUrl || "/conflits/";
    a.textContent = texts.openConflict;
    return [fmt(texts.conflict, { message: p.conflict.message }), a];
  }
  if (p.rejected) return [fmt(texts.refused, { message: p.rejected.message }), null];
  if (p.blockers.length) {
    const what = p.blockers.map((b) => b.label || b.step).join(", ");
    return [`${here} · ${fmt(texts.waitingFor, { what })}`, null];
  }
  return [here, null];
}

function button(text, onClick, primary = true) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = `button ${primary ? "button--primary button--large" : ""}`;
  b.textContent = text;
  b.addEventListener("click", async () => {
    b.disabled = true; // one tap, one write
    try {
      await onClick();
    } finally {
      await draw();
    }
  });
  return b;
}

function link(text, href) {
  const a = document.createElement("a");
  a.className = "button";
  a.href = href;
  a.textContent = text;
  return a;
}

function show(el, content) {
  el.replaceChildren(...[content].flat().filter(Boolean));
  el.hidden = !el.childNodes.length;
}

async function quoteModelNow(state, reference, when) {
  const { data, view } = state;
  const inputs = saleInputs(data, view, {
    deviceReference: reference,
    quoteDate: localDay(when, data.sale.time_zone),
    services: servicesSummary({ answers: view.answers, catalogues: data.catalogues }),
  });
  return saleModel(inputs);
}

async function issueQuote(state) {
  const when = new Date();
  const reference = await nextReference(state.data.sale.quote_prefix);
  const model = await quoteModelNow(state, reference, when);
  const sha = await modelSha256(model);
  const id = uuid();
  // Everything this visit still has to send comes first: the figures derive from it.
  const dependsOn = state.list.map((r) => r.id);
  await enqueue({
    id, kind: "quote", step: "quote", visitId: state.visitId, url: root.dataset.quoteUrl,
    label: `${texts.stepQuote} ${reference}`, dependsOn,
    pairs: pairsOf({
      device_reference: reference, issued_at: when.toISOString(), price_list: model.quote.price_list.id,
      document_sha256: sha, model: modelJson(model),
    }),
  });
  await put("sales", { ...state.sale, quote: { id, reference, issuedAt: when.toISOString(), model, sha } });
}

// The client's express request to start early is theirs, made at signature (L221-25):
// the contract is made without it.
async function makeContract(state) {
  const early = false;
  const when = new Date();
  const quote = state.sale.quote;
  const model = contractModel({
    quoteModel: quote.model, contractDate: localDay(when, state.data.sale.time_zone), earlyStartRequested: early,
  });
  const sha = await modelSha256(model);
  const id = uuid();
  await enqueue({
    id, kind: "contract", step: "contract", visitId: state.visitId, url: root.dataset.contractUrl,
    label: texts.stepContract, dependsOn: [quote.id],
    pairs: pairsOf({
      quote: quote.id, made_at: when.toISOString(),
      document_sha256: sha, model: modelJson(model),
    }),
  });
  await put("sales", { ...state.sale, contract: { id, madeAt: when.toISOString(), early, model, sha } });
}

let signing = null;

async function sign(state, form) {
  if (!form.checkValidity()) {
    form.reportValidity();
    return;
  }
  if (!signing.check()) return;
  const contract = state.sale.contract;
  const id = uuid();
  const signedAt = (signing.lastStroke() || new Date()).toISOString();
  const values = Object.fromEntries(new FormData(form));
  await enqueue({
    id, kind: "signature", step: "signature", visitId: state.visitId, url: root.dataset.signatureUrl,
    label: texts.stepSignature, dependsOn: [contract.id],
    pairs: pairsOf({
      contract: contract.id,
      signer_first_name: values.signer_first_name, signer_last_name: values.signer_last_name,
      identity_confirmed: values.identity_confirmed, documents_read: values.documents_read,
      withdrawal_information: values.withdrawal_information,
      identity_document: values.identity_document, signature_place: values.signature_place,
      // Unticked unless the client ticked them.
      consents_at_signature: values.consents_at_signature,
      early_start_requested: values.early_start_requested,
      durable_medium_consent: values.durable_medium_consent,
      signature: signing.pad.toDataURL("image/png"), document_hash: contract.sha,
      presented_at: contract.presentedAt || contract.madeAt, signed_at: signedAt,
      device: JSON.stringify(deviceFacts()),
    }),
  });
  await put("sales", { ...state.sale, signature: { id, signedAt } });
}

async function draw() {
  const state = await load().catch((error) => ({ error }));
  const error = root.querySelector("[data-sale-error]");
  root.querySelector("[data-sale-loading]").hidden = true;
  if (state.error) {
    error.textContent = state.error.message || texts.notPrepared;
    error.hidden = false;
    return;
  }
  const { data, sale, view } = state;
  const steps = root.querySelector("[data-sale-steps]");
  const actions = root.querySelector("[data-sale-actions]");
  const documentBox = root.querySelector("[data-sale-document]");
  const form = root.querySelector("[data-sale-signature]");
  form.hidden = true;
  error.hidden = true;
  const server = data.sale?.server;

  if (!sale.quote && server?.quote) {
    // Issued on the server (at the agency, or by another tablet): its own pages.
    show(steps, line(texts.stepQuote, fmt(texts.issued, { number: server.quote.number, ref: server.quote.device_reference || "—" })));
    show(actions, [link(texts.seePdf, server.quote.pdf_url), server.contract && link(texts.signedDocuments, server.contract.signed_url)]);
    root.querySelector("[data-sale-status]").hidden = false;
    return;
  }
  if (!sale.quote) {
    show(steps, []);
    root.querySelector("[data-sale-status]").hidden = true;
    if (data.sale?.legal_identity_missing) {
      // Never a half-empty document: the brand's legal details come first.
      error.textContent = data.sale.legal_identity_missing;
      error.hidden = false;
      show(actions, []);
      documentBox.hidden = true;
      return;
    }
    if (!data.sale?.price_list || !view.estimate.confirmed) {
      error.textContent = data.sale?.price_list ? texts.notConfirmed : texts.notPrepared;
      error.hidden = false;
      show(actions, link(texts.openEstimate, root.dataset.estimateUrl));
      documentBox.hidden = true;
      return;
    }
    const draft = await quoteModelNow(state, "", new Date());
    documentBox.innerHTML = renderDocument("quote", draft, { number: "" });
    documentBox.hidden = false;
    show(actions, button(texts.issueQuote, () => issueQuote(state)));
    return;
  }

  const quoteP = progress(state, sale.quote.id);
  const number = quoteP.done ? quoteP.answer.quote?.number : "";
  const items = [line(texts.stepQuote, ...describe(quoteP, fmt(texts.issuedHere, { ref: sale.quote.reference }), fmt(texts.issued, { number, ref: sale.quote.reference })))];
  const contractP = sale.contract ? progress(state, sale.contract.id) : null;
  const signatureP = sale.signature ? progress(state, sale.signature.id) : null;
  if (sale.contract) items.push(line(texts.stepContract, ...describe(contractP, texts.madeHere, texts.made)));
  if (sale.signature) items.push(line(texts.stepSignature, ...describe(signatureP, texts.signedHere, texts.signed)));
  show(steps, items);
  root.querySelector("[data-sale-status]").hidden = false;

  if (!sale.contract) {
    documentBox.innerHTML = renderDocument("quote", sale.quote.model, { number });
    documentBox.hidden = false;
    show(actions, button(texts.makeContract, () => makeContract(state)));
    return;
  }
  // The client reads both before signing both: the quote (its acceptance) and the contract.
  documentBox.innerHTML = renderDocument("quote", sale.quote.model, { number })
    + renderDocument("contract", sale.contract.model, { number });
  documentBox.hidden = false;
  if (!sale.signature) {
    show(actions, []);
    form.hidden = false;
    if (!signing) {
      signing = attachPad(form);
      form.elements.namedItem("signer_first_name").value = view.prospect.first_name || "";
      form.elements.namedItem("signer_last_name").value = view.prospect.last_name || "";
      // "Fait à": the intervention's town, which the advisor may change.
      form.elements.namedItem("signature_place").value = view.prospect.intervention_city
        || view.prospect.city || "";
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        // An incomplete form (e.g. no identity document chosen) says so and stays as it is.
        if (!form.checkValidity()) {
          form.reportValidity();
          return;
        }
        const submit = form.querySelector("button[type=submit]");
        submit.disabled = true;
        try {
          await sign(await load(), form);
        } finally {
          submit.disabled = false;
          await draw();
        }
      });
      // What the client reads from now on is what they sign.
      await put("sales", { ...sale, contract: { ...sale.contract, presentedAt: new Date().toISOString() } });
    }
    signing.resize();
    return;
  }
  const links = [];
  if (signatureP?.done && signatureP.answer.signed_url) links.push(link(texts.signedDocuments, signatureP.answer.signed_url));
  show(actions, links);
}

if (root) {
  draw().then(() => {
    document.documentElement.dataset.saleReady = "1";
    if (navigator.onLine) replay().catch((error) => console.warn("outbox: replay after sale failed", error));
  });
  try {
    new BroadcastChannel("nomad-sync").addEventListener("message", () => draw());
  } catch (error) {
    console.warn("sale: no live updates, the page redraws on its next load", error);
  }
}
