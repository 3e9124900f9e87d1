// @ts-check
// The offline queue: every step submit is written here first, then sent. A record leaves
// the queue only after a 2xx. Used by the pages and by the service worker.
import { all, allBy, del, getMeta, put, setMeta, tx, txMany } from "./store.js";

const MAX_BACKOFF_MS = 60000;
const SERVER_ERROR_AFTER = 5; // failed sends of one record before it is shown as a server error
// A send that gets no answer in this long is kept for later (the page sets the figure).
let sendTimeoutMs = 15000;

export function setSendTimeout(ms) {
  if (ms > 0) sendTimeoutMs = ms;
}

// A request and its JSON answer, given up after sendTimeoutMs: a hanging network never
// holds the queue (nor a page waiting for it). {status, data}; throws when no answer.
async function timedJson(url, options) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), sendTimeoutMs);
  try {
    const response = await fetch(url, { ...options, signal: controller.signal });
    let data = {};
    try {
      data = await response.json();
    } catch (error) {
      console.warn(`sync: answer ${response.status} is not JSON (a proxy or a crash)`, error);
    }
    return { status: response.status, data };
  } catch (error) {
    if (controller.signal.aborted) await setMeta("slowNetwork", Date.now());
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
// A send under way: its answer is awaited (never longer than the send timeout).
export function isSending(record) {
  return !!record.sendingSince && Date.now() - record.sendingSince < sendTimeoutMs + 1000;
}

export const STATES = { PENDING: "pending", CONFLICT: "conflict", REJECTED: "rejected" };

export function uuid() {
  return crypto.randomUUID();
}

export async function deviceId() {
  let id = await getMeta("device");
  if (!id) {
    id = uuid();
    await setMeta("device", id);
  }
  return id;
}

async function nextSeq() {
  const seq = (await getMeta("seq", 0)) + 1;
  await setMeta("seq", seq);
  return seq;
}

// pairs: [[name, value], ...] exactly as the form would post them. id: the write's
// client id (the quote's, the contract's…) when the caller made one; dependsOn: ids of
// earlier writes that must have succeeded before this one is sent; label: what the
// pages call it ("Quote MN-T…-0001") when a later write waits for it.
export async function enqueue({ url, visitId, step, pairs, answers, id, kind, dependsOn, label }) {
  // Nothing of a visit created on this tablet is sent before the visit itself.
  const creation = kind === "visit" ? [] : (await forVisit(visitId)).filter((r) => r.kind === "visit").map((r) => r.id);
  const record = {
    id: id || uuid(), seq: await nextSeq(), url, visitId, step, pairs, answers,
    kind: kind || "", dependsOn: [...new Set([...creation, ...(dependsOn || [])])], label: label || "",
    createdAt: new Date().toISOString(), state: STATES.PENDING, attempts: 0,
  };
  // A newer edit of a step replaces a refused one: the advisor has corrected it, and
  // what waited for the refused one now waits for the correction. The refused one goes
  // last: at every moment what waited for it waits for it or for the correction, so a
  // replay running meanwhile never sends it early (a sale signed before its correction).
  const replaced = (await forVisit(visitId))
    .filter((old) => old.step === step && old.state === STATES.REJECTED && !old.kind)
    .map((old) => old.id);
  await put("outbox", record);
  if (replaced.length) {
    for (const other of await records()) {
      if (!other.dependsOn?.some((d) => replaced.includes(d))) continue;
      const dependsOn = [...new Set(other.dependsOn.map((d) => (replaced.includes(d) ? record.id : d)))];
      await put("outbox", { ...other, dependsOn });
    }
    for (const id of replaced) await del("outbox", id);
  }
  notify();
  return record;
}

// Where a write is corrected: its step, the sale page, or a new visit's first step.
export function correctionUrl(record) {
  if (["quote", "contract", "signature"].includes(record.kind)) return `/visites/${record.visitId}/vente/`;
  if (record.kind === "visit") return `/visites/${record.visitId}/etapes/prospect/`;
  return `/visites/${record.visitId}/etapes/${record.step}/`;
}

// The earlier writes a record still waits for (still on the device: not yet accepted).
export function waitingFor(record, list) {
  const present = new Map(list.map((r) => [r.id, r]));
  return (record.dependsOn || []).map((id) => present.get(id)).filter(Boolean);
}

export async function records() {
  return (await all("outbox")).sort((a, b) => a.seq - b.seq);
}

export async function forVisit(visitId) {
  if (visitId === undefined || visitId === null) return [];
  return (await allBy("outbox", "visit", visitId)).sort((a, b) => a.seq - b.seq);
}

export async function status() {
  const list = await records();
  return {
    waiting: list.filter((r) => r.state === STATES.PENDING).length,
    conflicts: list.filter((r) => r.state === STATES.CONFLICT),
    serverErrors: list.filter((r) => r.state === STATES.PENDING && r.serverError),
    rejected: list.filter((r) => r.state === STATES.REJECTED),
    lastSuccess: await getMeta("lastSuccess"),
    lastError: await getMeta("lastError"),
    // A send or a page gave up on the network less than a minute ago.
    slowNetwork: Date.now() - (await getMeta("slowNetwork", 0)) < 60000,
    needsLogin: await getMeta("needsLogin", false),
  };
}

// Pages listen to this channel to refresh the sync indicator, and each refresh reads the
// outbox: a replay says "changed" at most every NOTIFY_EVERY_MS (the last change is always
// said, at the end of that interval), and once more, at once, when it ends. Without that,
// n writes replayed made 2n refreshes, each reading the n records.
const NOTIFY_EVERY_MS = 100;
let channel = null;
let notifiedAt = 0;
let notifyTimer = null;

function post() {
  clearTimeout(notifyTimer);
  notifyTimer = null;
  notifiedAt = Date.now();
  try {
    channel = channel || new BroadcastChannel("nomad-sync");
    channel.postMessage("changed");
  } catch (error) {
    console.warn("sync: no broadcast channel, the next page load shows the state", error);
  }
}

function notify({ now = false } = {}) {
  if (now) return post();
  if (notifyTimer) return undefined; // a message is already due: it will say this change too
  const wait = notifiedAt + NOTIFY_EVERY_MS - Date.now();
  if (wait <= 0) post();
  else notifyTimer = setTimeout(post, wait);
  return undefined;
}

async function csrfToken() {
  const { status, data } = await timedJson("/hors-ligne/jeton/", {
    credentials: "same-origin", headers: { "X-Nomad-Sync": "1" }, cache: "no-store",
  });
  if (status === 401 || status === 403) throw Object.assign(new Error("login"), { login: true });
  if (status !== 200 || !data.csrf) throw new Error(`token: ${status}`);
  return data.csrf;
}

export async function send(record, token, device) {
  const body = new URLSearchParams(record.pairs.filter(([name]) => name !== "csrfmiddlewaretoken"));
  body.append("csrfmiddlewaretoken", token);
  body.set("submission_id", record.id);
  // When it was recorded on the tablet: the time of the fact (a consent, a signature…).
  body.set("captured_at", record.createdAt);
  return timedJson(record.url, {
    method: "POST", body, credentials: "same-origin", cache: "no-store",
    headers: { "X-Nomad-Sync": "1", "X-Nomad-Device": device, "X-CSRFToken": token },
  });
}

// What one answer does to its record; returns false when the replay must stop.
export async function settle(record, { status, data }) {
  if (status >= 200 && status < 300) {
    // One transaction: the record leaves the queue together with what its answer says.
    const now = new Date().toISOString();
    await txMany(record.kind ? ["results", "outbox", "meta"] : ["outbox", "meta"], (stores, done) => {
      // What the server made of a sale's write (its number, its documents) stays readable.
      if (record.kind) stores.results.put({ id: record.id, visitId: record.visitId, kind: record.kind, data, at: now });
      stores.outbox.delete(record.id);
      stores.meta.put({ key: "lastSuccess", value: now });
      stores.meta.put({ key: "needsLogin", value: false });
      return done(stores.meta.put({ key: "slowNetwork", value: 0 }));
    });
    return true;
  }
  if (status === 409) {
    // Stored on the server with both versions; kept here too, not sent again.
    await put("outbox", { ...record, state: STATES.CONFLICT, conflictUrl: data.conflict_url || "", message: data.message || "" });
    return true;
  }
  if (status === 422 || status === 400) {
    await txMany(["outbox", "meta"], (stores, done) => {
      stores.outbox.put({ ...record, state: STATES.REJECTED, message: data.message || "", errors: data.errors || {} });
      return done(stores.meta.put({ key: "lastError", value: data.message || `HTTP ${status}` }));
    });
    return true;
  }
  if (status === 401 || status === 403) {
    await setMeta("needsLogin", true);
    return false;
  }
  const attempts = record.attempts + 1;
  const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (attempts - 1));
  // The server failed on this very record again and again: say so; it is still kept and
  // retried, but only its own visit's later writes wait behind it.
  const serverError = status >= 500 && attempts >= SERVER_ERROR_AFTER;
  await txMany(["outbox", "meta"], (stores, done) => {
    stores.outbox.put({ ...record, attempts, serverError, nextAttemptAt: Date.now() + delay });
    return done(stores.meta.put({ key: "lastError", value: `HTTP ${status}` }));
  });
  return status >= 500 ? "visit" : false;
}

// Conflicts resolved on the server (by the advisor or the manager) leave the tablet; a
// sale set aside takes with it what waited for it, and the sale starts again.
async function dropResolved() {
  const list = await records();
  const conflicts = list.filter((r) => r.state === STATES.CONFLICT);
  if (!conflicts.length) return;
  let answer;
  try {
    answer = await timedJson(`/hors-ligne/conflits-resolus/?ids=${conflicts.map((r) => r.id).join(",")}`, {
      credentials: "same-origin", headers: { "X-Nomad-Sync": "1" }, cache: "no-store",
    });
  } catch (error) {
    console.warn("sync: conflict check failed", error);
    return;
  }
  const resolved = new Set(answer.data.resolved || []);
  const gone = new Set();
  for (const record of conflicts.filter((r) => resolved.has(r.id))) {
    gone.add(record.id);
    if (record.kind) {
      // Everything of that sale after it goes too (it was built on the document set aside).
      let more = true;
      while (more) {
        more = false;
        for (const other of list) {
          if (!gone.has(other.id) && other.dependsOn?.some((d) => gone.has(d))) {
            gone.add(other.id);
            more = true;
          }
        }
      }
      await del("sales", record.visitId);
    }
  }
  for (const id of gone) await del("outbox", id);
  if (gone.size) notify();
}

// "Sending" is said on the pending list while an answer is awaited; settle() writes the
// record back without the mark (a tab killed meanwhile leaves one that expires by itself).
async function markSending(record) {
  await put("outbox", { ...record, sendingSince: Date.now() });
  notify();
}

function withoutMark(record) {
  const copy = { ...record };
  delete copy.sendingSince;
  return copy;
}

// The replay's next write, read again and marked "sending" in one transaction (nothing
// can change it between the check and the mark): {record} to send it, {hold} when it
// waits for its backoff (its visit's later writes wait too), {} to pass it over (gone,
// no longer pending, its visit held, or a write it depends on still on the tablet).
function claim(id, held, due) {
  return txMany(["outbox"], async ({ outbox }, done) => {
    const stored = await done(outbox.get(id));
    if (!stored || stored.state !== STATES.PENDING) return {};
    const record = withoutMark(stored);
    if (held.has(record.visitId)) return {};
    if (!due(record)) return { hold: record.visitId };
    // Never before what it depends on has been accepted; the others go on meanwhile. (Read
    // one by one: cheap with a long queue, where reading the whole queue each time is not.)
    for (const parent of record.dependsOn || []) if (await done(outbox.get(parent))) return {};
    outbox.put({ ...record, sendingSince: Date.now() });
    return { record };
  });
}

// The write the replay sends first: the oldest that is due, not held behind an earlier
// write of its visit waiting for its backoff, and not waiting for another write.
function nextToSend(pending, everything, due) {
  const held = new Set();
  for (const record of pending) {
    if (held.has(record.visitId)) continue;
    if (!due(record)) {
      held.add(record.visitId);
      continue;
    }
    if (!waitingFor(record, everything).length) return record;
  }
  return undefined;
}

async function replayLocked(force) {
  if ((await records()).some((r) => r.state === STATES.CONFLICT)) await dropResolved();
  const pending = (await records()).filter((r) => r.state === STATES.PENDING);
  const due = (r) => force || (r.nextAttemptAt || 0) <= Date.now();
  if (!pending.some(due)) return;
  // The first write to go is "sending" from the moment the replay reaches for the network;
  // when the network does not answer, that counts as its try (and it backs off).
  const first = nextToSend(pending, await records(), due);
  if (first) await markSending(first);
  let token;
  let device;
  try {
    token = await csrfToken();
    device = await deviceId();
  } catch (error) {
    if (error.login) {
      if (first) await put("outbox", withoutMark(first));
      await setMeta("needsLogin", true);
    } else {
      if (first) await settle(withoutMark(first), { status: 0, data: {} });
      await setMeta("lastError", String(error.message || error));
    }
    notify({ now: true });
    return;
  }
  // Oldest first. A record waiting for its backoff holds back the later writes of its own
  // visit (they may change the same answers), not the other visits'.
  const held = new Set();
  for (const stale of pending) {
    const { record, hold } = await claim(stale.id, held, due);
    if (hold !== undefined) held.add(hold);
    if (!record) continue;
    notify();
    let answer;
    try {
      answer = await send(record, token, device);
    } catch (error) {
      console.warn(`sync: ${record.url} got no answer`, error);
      answer = { status: 0, data: {} }; // no network, or no answer in time
    }
    const goOn = await settle(record, answer);
    notify();
    if (goOn === "visit") held.add(record.visitId);
    else if (!goOn) break;
  }
  notify({ now: true }); // the replay is over: the pages show where it ended at once
}

// wait: queue behind a replay already running (a submit the advisor waits for);
// otherwise give up at once, that replay will send everything.
export async function replay({ wait = false, force = false } = {}) {
  if (typeof navigator !== "undefined" && navigator.locks) {
    // One replay at a time across the pages and the worker.
    const options = wait ? {} : { ifAvailable: true };
    return navigator.locks.request("nomad-replay", options, (lock) => (lock ? replayLocked(force) : null));
  }
  return replayLocked(force);
}

export async function results(visitId) {
  return (await all("results")).filter((r) => r.visitId === visitId);
}

// In how long a retry is worth it (null: nothing sendable: done, or all held behind a
// refused or conflicting write that only the advisor can move).
export async function earliestRetry() {
  const list = await records();
  const sendable = list.filter((r) => r.state === STATES.PENDING && !waitingFor(r, list).length);
  const waits = sendable.map((r) => (r.nextAttemptAt || 0) - Date.now());
  return waits.length ? Math.max(0, Math.min(...waits)) : null;
}

export { tx };
