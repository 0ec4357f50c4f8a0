// sw.js — pixmatch's service worker: keeps the app shell (the page, its
// modules, the recognition module and its WebAssembly) so the app starts
// and recognises in the browser with no server, and keeps the thumbnails
// it has seen. API calls always go to the network.
//
// Served at /sw.js so that its scope is the whole origin.

/** Bump when the list below or the caching rules change. */
const VERSION = 'v3';
const SHELL_CACHE = `pixmatch-shell-${VERSION}`;
const THUMB_CACHE = `pixmatch-thumbs-${VERSION}`;
/** Thumbnails kept at most; the oldest go first. */
const MAX_THUMBS = 500;

/**
 * The app shell, fetched on install: the page, every file under /app/
 * and the module (server/api/web's TestServiceWorkerShell holds this list
 * to the files the server embeds).
 */
const SHELL = [
  '/',
  '/app/app.js',
  '/app/session.js',
  '/app/crs.js',
  '/app/errors.js',
  '/app/sha256.js',
  '/app/ui.js',
  '/app/media.js',
  '/app/settings.js',
  '/app/recognise.js',
  '/app/gallery.js',
  '/app/target-form.js',
  '/app/target-editor.js',
  '/app/bulk-add.js',
  '/app/camera.js',
  '/app/pixmatch.js',
  '/app/pixmatch-worker.js',
  '/app/style.css',
  '/app/manifest.webmanifest',
  '/app/icon.svg',
  '/app/dist/pixmatch.wasm',
  '/app/dist/wasm_exec.js',
];

/**
 * GET /sync/{appId}/targets/{ref} and .../image: a target's details and
 * thumbnail, kept so that an offline match still shows them.
 */
const THUMBNAIL = /^\/sync\/[^/]+\/targets\/[^/]+(\/image)?$/;

self.addEventListener('install', (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const keep = new Set([SHELL_CACHE, THUMB_CACHE]);
      for (const name of await caches.keys()) {
        if (name.startsWith('pixmatch-') && !keep.has(name)) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (THUMBNAIL.test(url.pathname)) {
    event.respondWith(networkFirst(req));
    return;
  }
  const key = shellKey(url);
  if (key) event.respondWith(cacheFirst(event, key));
  // Anything else (the CRS API, /sync, /ping …) is left to the network.
});

/**
 * Returns the cache key of a shell request: '/' for the page, the path
 * for a static file under /app/, or '' for anything else.
 */
function shellKey(url) {
  if (url.pathname === '/' || url.pathname === '/index.html') return '/';
  if (url.pathname.startsWith('/app/')) return url.pathname;
  return '';
}

/**
 * Fetches the shell into the cache. A file that cannot be fetched now
 * (a module not built yet) does not stop the install; it is cached the
 * first time the app loads it.
 */
async function precache() {
  const cache = await caches.open(SHELL_CACHE);
  const results = await Promise.allSettled(
    SHELL.map(async (path) => {
      const res = await fetch(path, { cache: 'reload' });
      if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
      await cache.put(path, res);
    }),
  );
  const failed = results.filter((r) => r.status === 'rejected').map((r) => r.reason.message);
  if (failed.length) console.warn('pixmatch sw: not cached yet:', failed.join(', '));
}

/**
 * Answers from the cache at once when it can, and refreshes the cached
 * copy from the network in the background (stale-while-revalidate).
 */
async function cacheFirst(event, key) {
  const cache = await caches.open(SHELL_CACHE);
  const cached = await cache.match(key, { ignoreSearch: true });
  const update = fetch(key, { cache: 'no-cache' }).then(async (res) => {
    if (res.ok) await cache.put(key, res.clone());
    return res;
  });
  if (cached) {
    event.waitUntil(update.catch(() => {}));
    return cached;
  }
  return update;
}

/**
 * Asks the network first, so a replaced image shows; keeps a copy for
 * when the server cannot be reached.
 */
async function networkFirst(req) {
  const cache = await caches.open(THUMB_CACHE);
  try {
    const res = await fetch(req);
    if (res.ok) {
      await cache.put(req.url, res.clone());
      trim(cache).catch(() => {});
    }
    return res;
  } catch (err) {
    const cached = await cache.match(req.url, { ignoreVary: true });
    if (cached) return cached;
    throw err;
  }
}

/** Deletes the oldest thumbnails beyond MAX_THUMBS. */
async function trim(cache) {
  const keys = await cache.keys();
  for (const old of keys.slice(0, Math.max(0, keys.length - MAX_THUMBS))) await cache.delete(old);
}
