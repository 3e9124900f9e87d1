// NOMAD web service worker (served at the site root by a Django view).
// GET only: writes never go through a cache, they live in IndexedDB until a 2xx.
import { replay, setSendTimeout } from "/static/js/sync.js";
import { get, setMeta } from "/static/js/store.js";

const VERSION = "{{ version }}";
const SHELL = `nomad-shell-${VERSION}`;
const PREPARED = "nomad-prepared"; // pages and data of prepared visits, kept across releases
const SHELL_URLS = [{% for url in shell %}"{{ url }}"{% if not forloop.last %}, {% endif %}{% endfor %}];
const OFFLINE_PAGE = "{% url 'visits:offline_page' %}";
// Poor network ("lie-fi"): past this, a page or a data file comes from the prepared copy.
const NETWORK_TIMEOUT_MS = {{ network_timeout_ms }};
setSendTimeout({{ send_timeout_ms }});

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(SHELL).then((cache) => cache.addAll(SHELL_URLS)).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("nomad-shell-") && name !== SHELL) await caches.delete(name);
    }
    await self.clients.claim();
    replay().catch((error) => console.warn("outbox: replay on worker start failed", error)); // on worker start: send what waits
  })());
});

self.addEventListener("message", (event) => {
  if (event.data === "replay") event.waitUntil(replay().catch((error) => console.warn("outbox: replay asked by a page failed", error)));
});

const AGENDA = "{% url 'visits:agenda' %}";

async function fromCaches(request) {
  // Prepared pages belong to the signed-in person (wiped at logout): Vary does not matter.
  const options = { ignoreVary: true };
  const hit = (await caches.match(request, { ...options, cacheName: PREPARED })) || (await caches.match(request, options));
  if (hit) return hit;
  // The installed app starts at "/", which is the agenda.
  if (new URL(request.url).pathname === "/") return caches.match(AGENDA, { ...options, cacheName: PREPARED });
  return undefined;
}

// A visit created on this tablet and not yet on the server: its pages are the prepared
// blank ones of its agency and activities, with the blank id replaced by its own.
const TEMPLATE_VISIT = "{{ template_visit }}";
const OWN_VISIT = /^\/visites\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(\/.*)$/;

async function walkInPage(request) {
  const url = new URL(request.url);
  const match = OWN_VISIT.exec(url.pathname);
  if (!match || match[1] === TEMPLATE_VISIT) return undefined;
  const walkIn = await get("walkins", match[1]).catch(() => undefined);
  if (!walkIn) return undefined;
  const blank = `/visites/${TEMPLATE_VISIT}${match[2]}?modele=${walkIn.agencyId}:${walkIn.activities.join(",")}`;
  const hit = await caches.match(blank, { ignoreVary: true, cacheName: PREPARED });
  if (!hit) return undefined;
  const body = (await hit.text()).replaceAll(TEMPLATE_VISIT, walkIn.uuid);
  return new Response(body, { status: 200, headers: hit.headers });
}

async function keep(request, response) {
  if (!response.ok || response.redirected) return;
  const prepared = await caches.open(PREPARED);
  // Keep prepared pages fresh; the agenda is always worth having offline.
  if ((await prepared.match(request, { ignoreVary: true })) || new URL(request.url).pathname === AGENDA) {
    await prepared.put(request, response.clone());
  }
}

async function tellPages(message) {
  for (const client of await self.clients.matchAll()) client.postMessage(message);
}

// Network first, but never longer than NETWORK_TIMEOUT_MS when a prepared copy exists: the
// copy is shown and the network's answer, if it comes later, refreshes it for next time.
// (Rather than stale-while-revalidate: on a good network the page is the server's own,
// never yesterday's; only a slow or hanging one falls back.)
async function networkFirst(event, request, isPage) {
  const network = fetch(request).then(async (response) => {
    await keep(request, response);
    return response;
  });
  let timer;
  const late = new Promise((resolve) => { timer = setTimeout(() => resolve("late"), NETWORK_TIMEOUT_MS); });
  let answer;
  try {
    answer = await Promise.race([network, late]);
  } catch (error) {
    answer = "down";
  }
  clearTimeout(timer);
  if (answer !== "late" && answer !== "down") {
    if (answer.status === 404) {
      // Created here, refused or not sent yet: the tablet still has its pages.
      const own = await walkInPage(request);
      if (own) return own;
    }
    if (answer.status >= 500) {
      // The server failed on this page: its prepared copy serves better than an error.
      const copy = (await fromCaches(request)) || (await walkInPage(request));
      if (copy) return copy;
    }
    return answer;
  }
  const cached = (await fromCaches(request)) || (await walkInPage(request));
  if (answer === "late") {
    // Read by the next page's sync indicator ("réseau lent"), told to the open ones now.
    await setMeta("slowNetwork", Date.now()).catch((error) => console.warn("store: noting the slow network failed", error));
    tellPages("slow-network");
    // The late answer is still awaited (the page may use it); a failure is only noted.
    event.waitUntil(network.catch((error) => console.warn(`network: late answer to ${request.url} failed`, error)));
    if (cached) return cached;
    try {
      return await network; // nothing prepared: the network is all there is
    } catch (error) { /* fall through */ }
  }
  if (cached) return cached;
  if (isPage) return (await caches.match(OFFLINE_PAGE)) || Response.error();
  return Response.error();
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  // htmx partials are fragments, never pages: straight to the network.
  if (request.headers.get("HX-Request")) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
    return;
  }
  if (url.pathname.startsWith("/admin/") || url.pathname.startsWith("/accounts/")) return;
  event.respondWith(networkFirst(event, request, request.mode === "navigate"));
});
