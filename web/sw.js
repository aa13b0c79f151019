// Offline support: every asset of the page is cached on install; requests go
// to the network first (so a rebuilt page is picked up at once) and fall
// back to the cache when offline. The page loads nothing from other origins.

const CACHE = 'ferry-preview-v1';
const ASSETS = [
  './',
  'index.html',
  'style.css',
  'icon.svg',
  'app.js',
  'worker.js',
  'lib/diff.js',
  'lib/files.js',
  'lib/planview.js',
  'lib/session.js',
  'lib/store.js',
  'lib/yaml.js',
  'pkg/ferry_planner.js',
  'pkg/ferry_planner_bg.wasm',
];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  // A preloaded bundle belongs to the server session that served it; never cache it.
  if (url.pathname.endsWith('/preload.json')) return;
  event.respondWith(
    fetch(event.request)
      .then((res) => {
        if (res.ok) {
          const copy = res.clone();
          caches.open(CACHE).then((c) => c.put(event.request, copy));
        }
        return res;
      })
      .catch(() => caches.match(event.request, { ignoreSearch: true })),
  );
});
