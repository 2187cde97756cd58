// The brigade pages' service worker (scope /oficina/brigada; portal/field/views.py).
// The page is fetched from the network while there is one and from the copy
// with no signal; the page's own files (hashed names, so a copy never goes
// stale) from the copy first. Nothing else is kept: the records live
// encrypted in IndexedDB, and the sync and session answers are never cached.
"use strict";
var CACHE = "brigada-v1";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== CACHE && n.indexOf("brigada-") === 0; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  var page = new URL(self.registration.scope).pathname;
  if (url.pathname === page) {
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok && response.type === "basic" && !response.redirected) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(page, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(page).then(function (kept) { return kept || Response.error(); });
    }));
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(request).then(function (kept) {
      return kept || fetch(request).then(function (response) {
        if (response.ok) {
          var copy = response.clone();
          caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
        }
        return response;
      });
    }));
  }
});
