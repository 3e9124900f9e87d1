// @ts-check
// "Prepare my day / my week": cache every page and data file the coming visits need.
import { put, all, del } from "./store.js";

const PREPARED = "nomad-prepared";

export async function preparedVisits() {
  return Object.fromEntries((await all("prepared")).map((p) => [p.visitId, p]));
}

async function store(cache, url) {
  const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
  if (!response.ok || response.redirected) throw new Error(`${url}: ${response.status}`);
  await cache.put(url, response);
}

// A prepared page or data file weighs a few tens of KB: refuse, before downloading
// anything, a preparation the tablet's storage could not hold.
const BYTES_PER_FILE = 80 * 1024;

async function checkSpace(files) {
  if (!navigator.storage?.estimate) return;
  const { usage = 0, quota = Infinity } = await navigator.storage.estimate();
  const free = quota - usage;
  if (files * BYTES_PER_FILE > free) {
    throw Object.assign(new Error("quota"), { code: "quota", free: `${Math.max(0, Math.floor(free / 1048576))} Mo` });
  }
}

// onProgress(done, total, label) is called after each file.
export async function prepare(period, onProgress) {
  const response = await fetch(`/hors-ligne/preparation/?period=${period}`, { credentials: "same-origin", cache: "no-store" });
  if (!response.ok) throw new Error(`preparation: ${response.status}`);
  const plan = await response.json();
  const cache = await caches.open(PREPARED);
  const already = await preparedVisits();
  // Incremental: a visit prepared at its current version is only refreshed, not refetched.
  const todo = plan.visits.filter((v) => !already[v.id] || already[v.id].version !== v.version);
  // The blank pages of a new visit: a visit created offline opens them (see sw.js).
  const pages = [...plan.pages, ...(plan.templates || [])];
  const total = pages.length + todo.reduce((n, v) => n + v.urls.length, 0);
  await checkSpace(total);
  let done = 0;
  for (const url of pages) {
    await store(cache, url);
    onProgress(++done, total, "");
  }
  for (const visit of todo) {
    for (const url of visit.urls) {
      await store(cache, url);
      onProgress(++done, total, visit.label);
    }
    await put("prepared", { visitId: visit.id, version: visit.version, preparedAt: new Date().toISOString(), urls: visit.urls });
  }
  return { visits: plan.visits.length, fetched: todo.length };
}

// Privacy: what was prepared more than maxDays ago leaves the device (its IndexedDB entry
// and its cached pages). Only "prepared" is touched: the outbox of unsent writes is not,
// so nothing typed on the tablet is ever lost to this purge.
export async function purgeStale(maxDays, now = Date.now()) {
  if (!(maxDays > 0)) return 0;
  const limit = now - maxDays * 24 * 3600 * 1000;
  const stale = (await all("prepared")).filter((p) => !(Date.parse(p.preparedAt) >= limit));
  if (!stale.length) return 0;
  const cache = await caches.open(PREPARED);
  for (const entry of stale) {
    for (const url of entry.urls || []) await cache.delete(url);
    await del("prepared", entry.visitId);
  }
  return stale.length;
}
