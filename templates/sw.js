// Service worker: the shell and the public guides a villager opened stay readable with no signal.
// Rendered by the server so the precache list carries the hashed asset URLs of this release.
const VERSION = "{{ version }}";
const SHELL = "shell-" + VERSION;
const PAGES = "pages-v1";
const SHELL_URLS = {{ shell|tojson }};
const NETWORK_WAIT_MS = 4000;
// Public pages only: nothing personal is ever written to the cache.
const CACHEABLE = [/^\/$/, /^\/s\/[a-z]+$/, /^\/items\/[0-9A-Z-]+$/, /^\/places$/];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((c) => c.addAll(SHELL_URLS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("shell-") && k !== SHELL).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(cacheFirst(req));
  } else if (req.mode === "navigate") {
    const cacheable = CACHEABLE.some((re) => re.test(url.pathname));
    event.respondWith(cacheable ? networkThenCache(req, url.pathname) : networkOrOffline(req));
  }
});

async function cacheFirst(req) {
  const hit = await caches.match(req);
  if (hit) return hit;
  const res = await fetch(req);
  if (res.ok) (await caches.open(SHELL)).put(req, res.clone());
  return res;
}

// Network first, but on a slow line show the saved copy after a few seconds.
async function networkThenCache(req, key) {
  const cache = await caches.open(PAGES);
  const network = fetch(req).then((res) => {
    if (res.ok) cache.put(key, res.clone());
    return res;
  });
  network.catch(() => {});  // a late failure after the saved copy was shown is expected
  const saved = await caches.match(key);
  try {
    if (!saved) return await network;
    const timeout = new Promise((resolve) => setTimeout(() => resolve(saved), NETWORK_WAIT_MS));
    return await Promise.race([network, timeout]);
  } catch (err) {
    return saved || offlinePage();
  }
}

async function networkOrOffline(req) {
  try {
    return await fetch(req);
  } catch (err) {
    return offlinePage();
  }
}

async function offlinePage() {
  return (await caches.match("/offline")) || new Response("没有网络", {status: 503, headers: {"Content-Type": "text/plain; charset=utf-8"}});
}
