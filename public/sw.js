// Continuity's service worker: the offline app shell.
//
// - One cache per build (`continuity:<scope>:<version>`), filled completely at install or not
//   at all: every file is checked against the integrity the build recorded, and the page
//   against the build's version, so a deployment in progress never yields a mixed cache.
// - The app's files and its page are answered from that cache (a second visit needs no
//   network); `models.json`, which a deployment may edit, is fetched first and cached as a
//   fallback. Nothing else is touched: the API (`v1/`, `api/`, `_fake/`), other origins and
//   non-GET requests go to the network as if there were no worker.
// - A new build's worker installs beside the old one and waits; the page shows "reload to
//   update". A reload of the only tab (or opening the app with no tab open) switches to it:
//   the old worker lets the new one take over and answers with an empty page that reloads
//   itself. With other tabs open it keeps waiting, so no tab mixes two builds. The new
//   worker deletes the older caches of its scope when it takes over.
// - Kill switch: with BUILD left null (no build step ran, or deployed on purpose), the worker
//   deletes its caches and unregisters itself.
'use strict';

// Written by scripts/postbuild.mjs: { version, files: { "<path relative to this script>":
// "sha256-<base64>" | null } } (null: a data file the deployment may edit, fetched first).
const BUILD = null;

const SCOPE = new URL(self.registration.scope);
const PREFIX = `continuity:${SCOPE.pathname}:`;
const CACHE = BUILD ? PREFIX + BUILD.version : null;
// Trunk's content-hashed names: the HTTP cache already holds them (immutable), use it.
const HASHED = /-[0-9a-f]{16}(_bg)?\.[a-z0-9]+$/;
const API = /^(v1|api|_fake)(\/|$)/;

self.addEventListener('install', (event) => {
  if (!BUILD) {
    self.skipWaiting();
    return;
  }
  event.waitUntil(precache().catch(async (error) => {
    await caches.delete(CACHE);
    throw error;
  }));
});

async function precache() {
  const cache = await caches.open(CACHE);
  await Promise.all(Object.entries(BUILD.files).map(async ([path, integrity]) => {
    const url = new URL(path, SCOPE);
    const response = await fetch(new Request(url, {
      integrity: integrity || '',
      cache: HASHED.test(path) ? 'default' : 'no-cache',
    }));
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    await cache.put(url, response);
  }));
  // The page is edited by the server (its policy <meta> removed), so it has no fixed hash: it
  // must name this build's version instead.
  const page = await fetch(new Request(SCOPE, { cache: 'no-cache' }));
  const html = await page.clone().text();
  if (!page.ok || !html.includes(`content="${BUILD.version}"`)) {
    throw new Error(`the page is not from build ${BUILD.version}`);
  }
  await cache.put(SCOPE, page);
}

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
    }
    if (!BUILD) {
      await self.registration.unregister();
      return;
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') self.skipWaiting();
});

self.addEventListener('fetch', (event) => {
  if (!BUILD) return;
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== SCOPE.origin || !url.pathname.startsWith(SCOPE.pathname)) return;
  const path = decodeURIComponent(url.pathname.slice(SCOPE.pathname.length));
  if (API.test(path) || API.test(url.pathname.slice(1))) return;
  if (Object.hasOwn(BUILD.files, path)) {
    event.respondWith(BUILD.files[path] === null ? networkFirst(path, request) : cacheFirst(path, request));
  } else if (request.mode === 'navigate') {
    event.respondWith(page(request));
  }
});

async function cached(url) {
  return (await caches.open(CACHE)).match(url);
}

async function cacheFirst(path, request) {
  return (await cached(new URL(path, SCOPE))) || fetch(request);
}

async function networkFirst(path, request) {
  const url = new URL(path, SCOPE);
  try {
    const response = await fetch(request, { cache: 'no-cache' });
    if (response.ok) await (await caches.open(CACHE)).put(url, response.clone());
    return response;
  } catch (error) {
    const copy = await cached(url);
    if (copy) return copy;
    throw error;
  }
}

// When this worker first handed over to a waiting build (ms since the epoch; 0: never).
let handedOverAt = 0;

async function page(request) {
  const waiting = self.registration.waiting;
  if (waiting && waiting.state === 'installed') {
    const tabs = await self.clients.matchAll({ type: 'window' });
    // A reload of the only tab, or the app opened with no tab: hand over to the new build.
    const reload = request.cache === 'no-cache' || request.cache === 'reload';
    // The empty page's own refresh (an ordinary navigation) can come back here before the new
    // build has taken over: hand over again rather than show the old build (for 5 s at most).
    const again = handedOverAt > 0 && Date.now() - handedOverAt < 5000;
    if (tabs.length === 0 || (tabs.length === 1 && (reload || again))) {
      if (!again) handedOverAt = Date.now();
      waiting.postMessage('skip-waiting');
      return new Response('', { headers: { 'Content-Type': 'text/html', Refresh: '0' } });
    }
  }
  return (await cached(SCOPE)) || fetch(request);
}
