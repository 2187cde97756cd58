// Idle warning and kiosk reset. Without this script the server still ends
// idle sessions; this only warns first and lets the person stay.
(function () {
  "use strict";
  var dialog = document.getElementById("session-warning");
  if (!dialog || typeof dialog.showModal !== "function") { return; }
  var data = dialog.dataset;
  var kiosk = data.kiosk === "true";
  var signedIn = data.signedIn === "true";
  var warnSeconds = parseInt(data.warnSeconds, 10);
  // A kiosk asks after a minute; elsewhere we warn shortly before the server's limit.
  var quietSeconds = kiosk ? parseInt(data.kioskIdleSeconds, 10)
    : Math.max(parseInt(data.idleSeconds, 10) - warnSeconds, 10);
  var countdown = dialog.querySelector(".session-countdown");
  var idleTimer = null;
  var tickTimer = null;
  var remaining = 0;

  function csrfToken() {
    var holder = document.querySelector("[hx-headers]");
    try { return JSON.parse(holder.getAttribute("hx-headers"))["X-CSRFToken"] || ""; }
    catch (e) { return ""; }
  }

  function post(url, fields) {
    var form = document.createElement("form");
    form.method = "post";
    form.action = url;
    var all = Object.assign({ csrf_token: csrfToken() }, fields || {});
    Object.keys(all).forEach(function (name) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = all[name];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
  }

  function end() {
    clearInterval(tickTimer);
    if (kiosk && !signedIn) {
      window.location.assign(data.resetUrl);
    } else if (kiosk || signedIn) {
      post(data.signOutUrl, { reason: "idle" });
    }
  }

  function tick() {
    remaining -= 1;
    countdown.textContent = String(Math.max(remaining, 0));
    if (remaining <= 0) { end(); }
  }

  function warn() {
    remaining = warnSeconds;
    countdown.textContent = String(remaining);
    dialog.showModal();
    tickTimer = setInterval(tick, 1000);
  }

  function restart() {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(warn, quietSeconds * 1000);
  }

  function stay() {
    clearInterval(tickTimer);
    dialog.close();
    if (signedIn) {
      fetch(data.extendUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken() }
      }).then(function (response) {
        if (response.status === 401) { window.location.assign(data.expiredUrl); }
      });
    }
    restart();
  }

  dialog.querySelector(".session-stay").addEventListener("click", stay);
  var leave = dialog.querySelector(".session-leave");
  if (leave) { leave.addEventListener("click", function () { post(data.signOutUrl); }); }
  dialog.addEventListener("cancel", function (event) { event.preventDefault(); stay(); });

  // In a kiosk any touch or key counts as presence; elsewhere only the
  // server's clock matters, which moves on page loads and htmx requests.
  if (kiosk) {
    ["pointerdown", "keydown", "touchstart", "input"].forEach(function (name) {
      document.addEventListener(name, function () { if (!dialog.open) { restart(); } }, { passive: true });
    });
  }
  document.addEventListener("htmx:afterRequest", function () { if (!dialog.open) { restart(); } });
  restart();
})();
