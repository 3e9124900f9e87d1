// NOMAD web page glue. No inline script anywhere: the Content Security Policy forbids it.
import { getMeta, setMeta, visitKey, wipe } from "./store.js";
import { correctionUrl, earliestRetry, forVisit, records, replay, setSendTimeout, status, STATES } from "./sync.js";
import { initStepForms } from "./offline-forms.js";
import { prepare, preparedVisits, purgeStale } from "./prepare.js";
import { initWalkInForm, listWalkIns } from "./walk-in.js";
import { initSummary } from "./summary.js";
import { initValidation } from "./validation.js";
import { initPending } from "./pending.js";

const indicator = document.getElementById("sync");
const texts = indicator ? JSON.parse(indicator.dataset.texts) : {};
/** Fills a text's %(name)s slots; a counted text ({one, other}) first takes the form its
 * count has in the page's language. */
const fmt = (template, values) => {
  const text = typeof template === "string"
    ? template
    : template[new Intl.PluralRules(document.documentElement.lang || "fr").select(Number(values.n))] ?? template.other;
  return text.replace(/%\((\w+)\)s/g, (_, k) => values[k]);
};
let retryTimer = null;

async function refreshIndicator() {
  if (!indicator) return;
  const s = await status();
  const online = navigator.onLine;
  const slow = online && s.slowNetwork;
  indicator.dataset.state = s.needsLogin ? "login" : !online ? "offline" : slow ? "slow" : "online";
  const parts = [!online ? texts.offline : slow ? texts.slow : texts.online, fmt(texts.waiting, { n: s.waiting })];
  if (s.lastSuccess) parts.push(fmt(texts.lastSuccess, { time: new Date(s.lastSuccess).toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" }) }));
  indicator.querySelector("[data-sync-text]").textContent = parts.join(" · ");
  const problem = indicator.querySelector("[data-sync-problem]");
  problem.replaceChildren();
  if (s.needsLogin) {
    const a = document.createElement("a");
    a.href = `/accounts/login/?next=${encodeURIComponent(location.pathname)}`;
    a.textContent = texts.needsLogin;
    problem.append(a);
  } else if (s.conflicts.length || s.rejected.length) {
    const a = document.createElement("a");
    a.href = s.conflicts[0]?.conflictUrl || correctionUrl(s.rejected[0]);
    a.textContent = s.conflicts.length ? fmt(texts.conflicts, { n: s.conflicts.length }) : fmt(texts.rejected, { n: s.rejected.length });
    problem.append(a);
  } else if (s.serverErrors.length) {
    const a = document.createElement("a");
    a.href = correctionUrl(s.serverErrors[0]);
    a.textContent = texts.serverError;
    problem.append(a);
  } else if (s.lastError && s.waiting) {
    problem.textContent = fmt(texts.lastError, { error: s.lastError });
  }
  if (s.waiting || s.conflicts.length || s.rejected.length) {
    const list = document.createElement("a");
    list.href = "/hors-ligne/en-attente/";
    list.textContent = texts.pendingList;
    const panel = document.getElementById("sync-panel");
    if (panel && pendingPanel) {
      // Opens the list under the indicator; the full page stays a link inside it.
      list.setAttribute("aria-controls", panel.id);
      list.setAttribute("aria-expanded", String(!panel.hidden));
      list.addEventListener("click", (event) => {
        event.preventDefault();
        togglePanel(panel, list);
      });
    }
    problem.append(" ", list);
  }
  indicator.hidden = false;
  await decorateVisits();
}

// One refresh at a time for the channel's messages: one that comes during a refresh asks
// for one more after it (which shows it and any other that came meanwhile), instead of
// refreshes piling up, each reading the whole queue.
let refreshing = null;
let refreshAgain = false;

function refreshSoon() {
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      refreshAgain = false;
      await refreshIndicator().catch((error) => console.warn("sync indicator: refresh failed", error));
    } while (refreshAgain);
  })().finally(() => { refreshing = null; });
  return refreshing;
}

let pendingPanel = null;

function togglePanel(panel, opener) {
  panel.hidden = !panel.hidden;
  opener?.setAttribute("aria-expanded", String(!panel.hidden));
  if (!panel.hidden) {
    pendingPanel.draw();
    panel.querySelector("[data-pending-retry]").focus({ preventScroll: true });
  }
}

async function decorateVisits() {
  const badges = document.querySelectorAll("[data-visit-badges]");
  if (!badges.length) return; // a page without a visit list: nothing to read
  const prepared = await preparedVisits();
  const waiting = await records();
  for (const el of badges) {
    const id = visitKey(el.dataset.visitBadges);
    el.replaceChildren();
    const add = (text, cls) => {
      const span = document.createElement("span");
      span.className = `badge ${cls}`;
      span.textContent = text;
      el.append(span);
    };
    if (prepared[id]) add(texts.prepared, "badge--offline");
    const mine = waiting.filter((r) => r.visitId === id);
    const pending = mine.filter((r) => r.state === STATES.PENDING).length;
    if (pending) add(fmt(texts.waiting, { n: pending }), "badge--waiting");
    if (mine.some((r) => r.state === STATES.CONFLICT)) add(texts.conflict, "badge--conflict");
  }
}

async function sync() {
  clearTimeout(retryTimer);
  if (navigator.onLine) await replay().catch((error) => console.warn("outbox: replay failed", error));
  await refreshIndicator();
  const wait = await earliestRetry();
  if (wait !== null && navigator.onLine) retryTimer = setTimeout(sync, Math.max(wait, 500));
}

function setUpPreparation() {
  const box = document.querySelector("[data-prepare]");
  if (!box) return;
  const bar = box.querySelector("progress");
  const label = box.querySelector("[data-prepare-status]");
  const idle = label.textContent;
  // Preparing downloads the day: it needs the network, and says so in French when it is not there.
  const follow = () => {
    box.querySelectorAll("button[data-period]").forEach((b) => { b.disabled = !navigator.onLine; });
    if (!navigator.onLine) label.textContent = texts.prepareNeedsNetwork;
    else if (label.textContent === texts.prepareNeedsNetwork) label.textContent = idle;
  };
  window.addEventListener("online", follow);
  window.addEventListener("offline", follow);
  follow();
  for (const button of box.querySelectorAll("button[data-period]")) {
    button.addEventListener("click", async () => {
      box.querySelectorAll("button").forEach((b) => { b.disabled = true; });
      bar.hidden = false;
      bar.value = 0;
      label.textContent = texts.preparing;
      try {
        const result = await prepare(button.dataset.period, (done, total, who) => {
          bar.max = total;
          bar.value = done;
          label.textContent = `${texts.preparing} ${done}/${total}${who ? ` · ${who}` : ""}`;
        });
        label.textContent = fmt(texts.prepared_n, { n: result.visits });
      } catch (error) {
        // Never the browser's own (English) words: what happened, in the app's language.
        console.warn("preparation", error);
        label.textContent = error.code === "quota"
          ? fmt(texts.prepareNoSpace, { free: error.free })
          : texts.prepareFailed;
      }
      box.querySelectorAll("button").forEach((b) => { b.disabled = false; });
      follow();
      await decorateVisits();
    });
  }
}

function setUpLogout() {
  for (const form of document.querySelectorAll("form[data-logout]")) {
    form.addEventListener("submit", async (event) => {
      if (form.dataset.confirmed) return;
      event.preventDefault();
      // Never wipe what has not reached the server: send it first, else keep it all.
      if (!navigator.onLine) {
        window.alert(texts.logoutOffline);
        return;
      }
      await replay({ wait: true, force: true }).catch((error) => console.warn("outbox: replay before logout failed", error));
      const left = (await records()).length;
      if (left) {
        window.alert(fmt(texts.logoutWaiting, { n: left }));
        await refreshIndicator();
        return;
      }
      await wipe().catch((error) => console.warn("logout: wiping the local store failed", error));
      for (const name of await caches.keys()) if (name.startsWith("nomad-")) await caches.delete(name);
      form.dataset.confirmed = "1";
      form.submit();
    });
  }
}

async function start() {
  initValidation(); // first: no browser bubble, even before the rest is ready
  pendingPanel = initPending();
  document.querySelector("[data-pending-close]")?.addEventListener("click", () => {
    togglePanel(document.getElementById("sync-panel"), indicator?.querySelector("[aria-controls]"));
  });
  setSendTimeout(Number(document.body.dataset.sendTimeoutMs));
  // Ask the browser to keep our data under storage pressure (a day of work lives here).
  navigator.storage?.persist?.().catch((error) => console.warn("storage: persistence refused", error));
  // The service worker says when the network was too slow and a prepared copy was shown.
  navigator.serviceWorker?.addEventListener("message", async (event) => {
    if (event.data === "slow-network") {
      await setMeta("slowNetwork", Date.now());
      await refreshIndicator();
    }
  });
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { type: "module", scope: "/" })
      .catch((error) => console.warn("service worker: registration failed", error));
  }
  await purgeStale(Number(document.body.dataset.offlineMaxDays))
    .catch((error) => console.warn("store: purging stale visits failed", error));
  setUpPreparation();
  setUpLogout();
  window.addEventListener("online", sync);
  window.addEventListener("offline", refreshIndicator);
  try {
    new BroadcastChannel("nomad-sync").onmessage = refreshSoon;
  } catch (error) {
    // Older browsers: the indicator refreshes on the next event.
    console.warn("sync indicator: no live updates", error);
  }
  if (document.body.dataset.authenticated) {
    initWalkInForm();
    await listWalkIns().catch((error) => console.warn("walk-ins: listing failed", error));
    await initStepForms();
    await initSummary().catch((error) => console.warn("summary: drawing failed", error));
    // Not awaited: with a hanging network the page is usable long before the sync gives up.
    sync().catch((error) => console.warn("sync: failed", error));
  }
  document.documentElement.dataset.offlineReady = "1";
}

// An htmx navigation that cannot reach the network (offline, or the network gave up)
// becomes a full page load, which the service worker answers from the prepared copy.
document.addEventListener("htmx:sendError", (event) => {
  const config = event.detail.requestConfig;
  if (config && config.verb === "get" && config.path) window.location.assign(config.path);
});

// Move focus to the swapped region after an htmx swap, for screen readers.
document.addEventListener("htmx:afterSwap", (event) => {
  const heading = event.detail.target.querySelector("h2, h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
});

start();
export { forVisit, getMeta };
