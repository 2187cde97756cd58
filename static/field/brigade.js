// The brigade page offline (templates/field/brigade.html; docs/field.md).
//
// Records live in IndexedDB, each one encrypted with AES-GCM under a key
// derived (PBKDF2-SHA-256) from the PIN the staff member types. The key is
// non-extractable and kept only in this page's memory: locking or closing
// the page forgets it. Only the salt and a check value (a known text
// encrypted under the key) are stored, so a wrong PIN is told apart without
// storing anything that gives the PIN away faster than guessing it.
//
// "Sincronizar" sends one record per request, with the UUID made when it was
// captured, and marks it done only once the server answered: a retry resends
// the same UUID and the server answers what it stored (portal/field/sync.py).
(function () {
  "use strict";
  var body = document.getElementById("brigada");
  if (!body || !window.indexedDB || !window.crypto || !window.crypto.subtle) { return; }
  var urls = body.dataset;
  var CACHE = "brigada-v1";
  var ITERATIONS = 600000;
  var CHECK_TEXT = "brigada-ventanilla-unica";
  var PHOTO_SIDE = 1600; // photos are shrunk on the device: they travel over weak signal
  var key = null;        // the derived key: memory only
  var catalog = null;
  var records = [];      // decrypted while unlocked: [{uuid, state, data}]
  var syncing = false;

  function $(id) { return document.getElementById(id); }
  function text(el, value) { el.textContent = value; }
  // The page's texts in the language it was served in (data-textos, from
  // portal/field/texts.py), keyed by their Spanish; %(name)s filled in.
  var TEXTS = JSON.parse(urls.textos || "{}");
  function t(spanish, values) { return fill(TEXTS[spanish] || spanish, values); }
  function fill(said, values) {
    Object.keys(values || {}).forEach(function (name) {
      said = said.split("%(" + name + ")s").join(String(values[name]));
    });
    return said;
  }
  window.brigadeText = t; // curp.js says its refusals through it

  // IndexedDB -------------------------------------------------------------
  var dbPromise = new Promise(function (resolve, reject) {
    var open = indexedDB.open("brigada", 1);
    open.onupgradeneeded = function () {
      open.result.createObjectStore("meta");
      open.result.createObjectStore("records", { keyPath: "uuid" });
    };
    open.onsuccess = function () { resolve(open.result); };
    open.onerror = function () { reject(open.error); };
  });

  function store(name, mode, work) {
    return dbPromise.then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var result = work(tx.objectStore(name));
        tx.oncomplete = function () { resolve(result instanceof IDBRequest ? result.result : undefined); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }
  function getMeta(name) { return store("meta", "readonly", function (s) { return s.get(name); }); }
  function putMeta(name, value) { return store("meta", "readwrite", function (s) { s.put(value, name); }); }
  function allRows() { return store("records", "readonly", function (s) { return s.getAll(); }); }
  function putRow(row) { return store("records", "readwrite", function (s) { s.put(row); }); }

  // Crypto ----------------------------------------------------------------
  var encoder = new TextEncoder();
  var decoder = new TextDecoder();

  function derive(pin, salt) {
    return crypto.subtle.importKey("raw", encoder.encode(pin), "PBKDF2", false, ["deriveKey"])
      .then(function (material) {
        return crypto.subtle.deriveKey(
          { name: "PBKDF2", salt: salt, iterations: ITERATIONS, hash: "SHA-256" },
          material, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
      });
  }
  function seal(value) {
    var iv = crypto.getRandomValues(new Uint8Array(12));
    return crypto.subtle.encrypt({ name: "AES-GCM", iv: iv }, key, encoder.encode(JSON.stringify(value)))
      .then(function (box) { return { iv: iv, box: box }; });
  }
  function open(row) {
    return crypto.subtle.decrypt({ name: "AES-GCM", iv: row.iv }, key, row.box)
      .then(function (plain) { return JSON.parse(decoder.decode(plain)); });
  }
  function saveRecord(entry) {
    return seal(entry.data).then(function (sealed) {
      return putRow({ uuid: entry.uuid, state: entry.state, created: entry.created, iv: sealed.iv, box: sealed.box });
    });
  }

  // Network state ---------------------------------------------------------
  function showNetwork() {
    text($("red"), navigator.onLine
      ? t("Con conexión: puede sincronizar.")
      : t("Sin conexión: los registros se guardan cifrados en este dispositivo."));
  }
  window.addEventListener("online", function () { showNetwork(); refreshCatalog(); });
  window.addEventListener("offline", showNetwork);

  function installWorker() {
    if (!("serviceWorker" in navigator)) { return; }
    navigator.serviceWorker.register(urls.sw, { scope: urls.scope }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function () {
      // The page and its files, so the next visit opens with no signal.
      var files = [urls.scope];
      document.querySelectorAll("link[rel=stylesheet], script[src], link[rel=icon], link[rel=manifest]")
        .forEach(function (el) { files.push(el.getAttribute("href") || el.getAttribute("src")); });
      return caches.open(CACHE).then(function (cache) { return cache.addAll(files); });
    }).then(function () { body.dataset.offlineReady = "true"; })
      .catch(function () { body.dataset.offlineReady = "false"; });
  }

  // Catalog ---------------------------------------------------------------
  function refreshCatalog() {
    return getMeta("catalog").then(function (kept) {
      if (!navigator.onLine) { return kept; }
      var headers = kept && kept.etag ? { "If-None-Match": kept.etag } : {};
      return fetch(urls.catalog, { headers: headers, credentials: "same-origin", cache: "no-cache" })
        .then(function (response) {
          if (response.status === 304) { return kept; }
          var type = response.headers.get("Content-Type") || "";
          if (!response.ok || type.indexOf("application/json") < 0) { return kept; }
          return response.json().then(function (data) {
            var fresh = { etag: response.headers.get("ETag"), data: data };
            return putMeta("catalog", fresh).then(function () { return fresh; });
          });
        }).catch(function () { return kept; });
    }).then(function (kept) {
      catalog = kept ? kept.data : null;
      fillCatalog();
      return catalog;
    });
  }

  function option(select, value, label) {
    var el = document.createElement("option");
    el.value = value;
    el.textContent = label;
    select.appendChild(el);
  }
  function resetSelect(select) {
    while (select.options.length > 1) { select.remove(1); }
  }

  function fillCatalog() {
    if (!catalog) { return; }
    var t = catalog.territory;
    [["municipality", t.municipalities], ["id_type", catalog.id_types]].forEach(function (pair) {
      var select = $(pair[0]);
      var chosen = select.value;
      resetSelect(select);
      pair[1].forEach(function (row) { option(select, row[0], row[1]); });
      select.value = chosen;
    });
    var road = $("road_type");
    resetSelect(road);
    t.road_types.forEach(function (name) { option(road, name, name); });
    var program = $("program");
    resetSelect(program);
    catalog.programs.forEach(function (p) { option(program, p.slug, p.name + " · " + p.agency); });
    fillLocalities();
    fillSettlements();
  }

  function fillLocalities() {
    var select = $("locality_code");
    resetSelect(select);
    if (!catalog) { return; }
    var municipality = $("municipality").value;
    catalog.territory.localities.forEach(function (row) {
      if (row[1] === municipality) { option(select, row[0], row[2]); }
    });
  }

  function fillSettlements() {
    var select = $("settlement");
    resetSelect(select);
    if (!catalog) { return; }
    (catalog.territory.postal_codes[$("postal_code").value.trim()] || []).forEach(function (row) {
      option(select, row[0] + "|" + row[1], row[0] + " " + row[1]);
    });
  }

  function currentProgram() {
    var slug = $("program").value;
    return (catalog && catalog.programs.filter(function (p) { return p.slug === slug; })[0]) || null;
  }

  function field(container, id, labelText, input) {
    var wrap = document.createElement("div");
    wrap.className = "field";
    var label = document.createElement("label");
    label.className = "label";
    label.htmlFor = id;
    label.textContent = labelText;
    var error = document.createElement("p");
    error.className = "error-message";
    error.id = id + "-error";
    error.hidden = true;
    input.id = id;
    input.name = id;
    wrap.appendChild(label);
    wrap.appendChild(error);
    wrap.appendChild(input);
    container.appendChild(wrap);
  }

  function showProgram() {
    var questions = $("preguntas");
    var documents = $("documentos");
    questions.textContent = "";
    documents.textContent = "";
    var program = currentProgram();
    if (!program) { return; }
    program.fields.forEach(function (name) {
      var q = catalog.questions[name];
      if (!q) { return; }
      var input;
      if (q.options.length || q.input === "yes_no") {
        input = document.createElement("select");
        option(input, "", t("Elija"));
        var options = q.options.length ? q.options : [["si", t("Sí")], ["no", t("No")]];
        options.forEach(function (o) { option(input, o[0], o[1]); });
        if (q.dont_know) { option(input, "no-se", t("No sé")); }
      } else {
        input = document.createElement("input");
        input.type = q.input === "date" ? "date" : "text";
        if (q.input === "number") { input.inputMode = "numeric"; }
        input.autocomplete = "off";
      }
      field(questions, "answers." + name, q.text, input);
    });
    program.requirements.forEach(function (r) {
      var input = document.createElement("input");
      input.type = "file";
      input.accept = "image/*";
      input.setAttribute("capture", "environment");
      field(documents, "doc-" + r.id, t(r.optional ? "Foto: %(name)s (opcional)" : "Foto: %(name)s", { name: r.name }), input);
    });
  }

  // Capture ---------------------------------------------------------------
  var PERSON = ["curp", "given_names", "first_surname", "second_surname", "birth_date", "sex", "id_type", "id_number"];
  var ADDRESS = ["municipality", "locality_code", "postal_code", "settlement", "road_type", "road_name", "exterior_number"];

  function value(id) { var el = $(id); return el ? el.value.trim() : ""; }

  function clearErrors() {
    document.querySelectorAll("#form-registro .error-message").forEach(function (el) {
      el.hidden = true;
      el.textContent = "";
      el.parentNode.classList.remove("field-error");
    });
    $("captura-errores").hidden = true;
  }
  function showError(name, message, errors) {
    errors[name] = message;
    var el = $(name + "-error");
    if (!el) { return; }
    el.textContent = message;
    el.hidden = false;
    el.parentNode.classList.add("field-error");
    var input = $(name);
    if (input) { input.setAttribute("aria-describedby", el.id); }
  }

  // The checks the server makes again (portal/field/sync.py), where the
  // device has what they need.
  function check(data) {
    var errors = {};
    var p = data.person;
    var required = {
      curp: t("Escriba la CURP."), given_names: t("Escriba el nombre o los nombres."),
      first_surname: t("Escriba el primer apellido."), birth_date: t("Escriba la fecha de nacimiento."),
      sex: t("Elija el sexo."), id_type: t("Elija la identificación que presentó la persona."),
      id_number: t("Escriba el número de la identificación.")
    };
    Object.keys(required).forEach(function (name) { if (!p[name]) { showError(name, required[name], errors); } });
    if (p.curp) {
      var curp = window.Curp.validate(p.curp, catalog && catalog.curp);
      if (!curp.ok) { showError("curp", curp.message, errors); }
      else {
        p.curp = curp.value;
        var problems = window.Curp.consistency(curp.value, p.birth_date, p.sex);
        if (problems.length) { showError("curp", problems.join(" "), errors); }
      }
    }
    var a = data.address;
    if (!a.municipality) { showError("municipality", t("Elija el municipio donde vive la persona."), errors); }
    if (a.postal_code && catalog) {
      var settlements = catalog.territory.postal_codes[a.postal_code];
      if (!settlements) { showError("postal_code", t("Ese código postal no es de Querétaro. Revise los 5 dígitos."), errors); }
      else if (a.municipality && !settlements.some(function (s) { return s[2] === a.municipality; })) {
        showError("postal_code", t("Ese código postal no es del municipio que eligió."), errors);
      }
    }
    if (data.phone && data.phone.replace(/\D/g, "").length !== 10) {
      showError("phone", t("Escriba el teléfono con sus 10 dígitos."), errors);
    }
    var contact = data.phone || a.locality_code || a.postal_code || a.road_name || a.exterior_number;
    if (contact && !data.consent) {
      showError("consent", t("Para guardar el domicilio o el teléfono, la persona debe dar su consentimiento."), errors);
    }
    Object.keys(data.answers).forEach(function (name) {
      if (!data.answers[name]) { showError("answers." + name, t("Responda la pregunta o elija «No sé»."), errors); }
    });
    return errors;
  }

  function uuid4() {
    if (crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function toBase64(buffer) {
    var bytes = new Uint8Array(buffer);
    var out = "";
    for (var i = 0; i < bytes.length; i += 0x8000) {
      out += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(out);
  }
  function fromBase64(textValue) {
    var raw = atob(textValue);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  // A photo, shrunk to PHOTO_SIDE as a JPEG (the original when it cannot be read).
  function readPhoto(file) {
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, PHOTO_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", 0.85); });
    }).catch(function () { return file; }).then(function (blob) { return blob.arrayBuffer(); });
  }

  function capture(event) {
    event.preventDefault();
    clearErrors();
    var data = { uuid: uuid4(), person: {}, address: {}, answers: {}, photos: [] };
    PERSON.forEach(function (name) { data.person[name] = value(name); });
    ADDRESS.forEach(function (name) { data.address[name] = value(name); });
    data.phone = value("phone");
    data.consent = $("consent").checked;
    data.program = value("program");
    var program = currentProgram();
    if (program) {
      program.fields.forEach(function (name) {
        if (catalog.questions[name]) { data.answers[name] = value("answers." + name); }
      });
    }
    var errors = check(data);
    if (Object.keys(errors).length) {
      var summary = $("captura-errores");
      text(summary, t("Revise %(count)s dato(s) marcados abajo antes de guardar.", { count: Object.keys(errors).length }));
      summary.hidden = false;
      summary.focus();
      return;
    }
    var inputs = program ? program.requirements.map(function (r) { return [r, $("doc-" + r.id)]; }) : [];
    Promise.all(inputs.filter(function (pair) { return pair[1] && pair[1].files.length; }).map(function (pair) {
      return readPhoto(pair[1].files[0]).then(function (buffer) {
        return { requirement_id: pair[0].id, name: "foto-" + pair[0].id + ".jpg", data: toBase64(buffer) };
      });
    })).then(function (photos) {
      data.photos = photos;
      var entry = { uuid: data.uuid, state: "pendiente", created: Date.now(), data: { record: data, label: data.person.given_names + " " + data.person.first_surname } };
      return saveRecord(entry).then(function () {
        records.push(entry);
        $("form-registro").reset();
        showProgram();
        fillLocalities();
        fillSettlements();
        renderQueue(t("Registro guardado y cifrado en este dispositivo."));
        $("curp").focus();
      });
    });
  }

  // Queue -----------------------------------------------------------------
  var STATE_LABELS = { pendiente: t("Pendiente"), sincronizado: t("Sincronizado"), conflicto: t("Conflicto"),
    rechazado: t("Rechazado"), descartado: t("Descartado") };

  function renderQueue(message) {
    var list = $("cola");
    list.textContent = "";
    var counts = { pendiente: 0, sincronizado: 0, conflicto: 0, rechazado: 0, descartado: 0 };
    records.slice().sort(function (a, b) { return a.created - b.created; }).forEach(function (entry) {
      counts[entry.state] += 1;
      var item = document.createElement("li");
      item.dataset.uuid = entry.uuid;
      item.dataset.state = entry.state;
      var tag = document.createElement("span");
      tag.className = "tag" + (entry.state === "sincronizado" ? " tag-ok" : entry.state === "pendiente" ? "" : " tag-error");
      tag.textContent = STATE_LABELS[entry.state];
      item.appendChild(tag);
      item.appendChild(document.createTextNode(entry.data.label));
      var result = entry.data.result;
      if (result) {
        var p = document.createElement("p");
        p.className = "brigade-result";
        p.textContent = result.mensaje;
        item.appendChild(p);
        var fields = Object.keys(result.campos || {});
        if (fields.length) {
          var ul = document.createElement("ul");
          fields.forEach(function (name) {
            var li = document.createElement("li");
            li.textContent = name + ": " + result.campos[name];
            ul.appendChild(li);
          });
          item.appendChild(ul);
        }
        if (result.resolver && entry.state === "conflicto") {
          var a = document.createElement("a");
          a.href = result.resolver;
          a.textContent = t("Resolver este conflicto");
          item.appendChild(a);
        }
      }
      list.appendChild(item);
    });
    text($("cola-resumen"), (message ? message + " " : "") + t(
      "%(pending)s pendiente(s), %(synced)s sincronizado(s), %(conflicts)s en conflicto.",
      { pending: counts.pendiente, synced: counts.sincronizado, conflicts: counts.conflicto }));
  }

  function formFor(record) {
    var form = new FormData();
    var plain = Object.assign({}, record);
    delete plain.photos;
    form.append("registro", JSON.stringify(plain));
    record.photos.forEach(function (photo) {
      form.append("doc-" + photo.requirement_id, new Blob([fromBase64(photo.data)], { type: "image/jpeg" }), photo.name);
    });
    return form;
  }

  function settle(entry, state, result) {
    // Once the server holds the record, the device keeps only its outcome.
    entry.state = state;
    entry.data = state === "sincronizado" || state === "descartado"
      ? { label: entry.data.label, result: result }
      : { label: entry.data.label, record: entry.data.record, result: result };
    return saveRecord(entry);
  }

  function syncAll() {
    if (syncing) { return; }
    if (!navigator.onLine) { renderQueue(t("Sin conexión: sincronice cuando tenga señal.")); return; }
    syncing = true;
    $("sincronizar").disabled = true;
    fetch(urls.session, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (!response.ok || type.indexOf("application/json") < 0) { throw new Error("sesion"); }
      return response.json();
    }).then(function (session) {
      var queue = records.filter(function (e) { return e.state === "pendiente" || e.state === "conflicto"; })
        .sort(function (a, b) { return a.created - b.created; });
      var sent = 0;
      function next() {
        var entry = queue.shift();
        if (!entry) { return Promise.resolve(); }
        var record = entry.data.record;
        if (!record) { return next(); }
        return fetch(urls.sync, {
          method: "POST", body: formFor(record), credentials: "same-origin",
          headers: { "X-CSRFToken": session.csrf, "Accept": "application/json" }
        }).then(function (response) {
          if (response.status === 429) { throw new Error("espera"); }
          if (response.status === 413) {
            return settle(entry, "rechazado", { mensaje: t("Las fotos son demasiado grandes para enviarse."), campos: {} });
          }
          var type = response.headers.get("Content-Type") || "";
          if (type.indexOf("application/json") < 0) { throw new Error("sesion"); }
          return response.json().then(function (result) {
            var state = result.estado === "aplicado" ? "sincronizado"
              : result.estado === "conflicto" ? "conflicto"
                : result.estado === "descartado" ? "descartado" : "rechazado";
            sent += 1;
            return settle(entry, state, result);
          });
        }).then(function () { renderQueue(); return next(); });
      }
      return next().then(function () { renderQueue(t("Sincronización terminada (%(count)s enviado(s)).", { count: sent })); });
    }).catch(function (error) {
      var why = error && error.message === "sesion"
        ? t("Su sesión terminó: entre de nuevo a la oficina y vuelva a esta página. Los registros siguen guardados.")
        : error && error.message === "espera"
          ? t("Demasiados envíos seguidos: espere un minuto y vuelva a sincronizar.")
          : t("La sincronización se interrumpió. Lo enviado quedó guardado; vuelva a sincronizar para enviar el resto.");
      renderQueue(why);
    }).then(function () {
      syncing = false;
      $("sincronizar").disabled = false;
    });
  }

  // Lock ------------------------------------------------------------------
  function pinError(message) {
    var el = $("pin-error");
    el.textContent = message;
    el.hidden = !message;
    $("pin-field").classList.toggle("field-error", !!message);
  }

  function unlock(event) {
    event.preventDefault();
    var pin = $("pin").value;
    if (pin.length < 6) { pinError(t("Escriba al menos 6 caracteres.")); return; }
    getMeta("lock").then(function (lock) {
      if (!lock) {
        if ($("pin2").value !== pin) {
          $("pin2-field").hidden = false;
          pinError($("pin2").value ? t("Los dos PIN no coinciden.") : t("Escriba el PIN otra vez para confirmarlo."));
          $("pin2").focus();
          return null;
        }
        var salt = crypto.getRandomValues(new Uint8Array(16));
        return derive(pin, salt).then(function (derived) {
          key = derived;
          return seal(CHECK_TEXT).then(function (sealed) {
            return putMeta("lock", { salt: salt, iv: sealed.iv, check: sealed.box, iterations: ITERATIONS });
          });
        }).then(function () { return true; });
      }
      return derive(pin, lock.salt).then(function (derived) {
        return crypto.subtle.decrypt({ name: "AES-GCM", iv: lock.iv }, derived, lock.check)
          .then(function () { key = derived; return true; }, function () { return false; });
      });
    }).then(function (opened) {
      if (opened === null) { return; }
      if (!opened) { pinError(t("El PIN no es correcto.")); return; }
      $("pin").value = "";
      $("pin2").value = "";
      pinError("");
      return allRows().then(function (rows) {
        return Promise.all(rows.map(function (row) {
          return open(row).then(function (data) { return { uuid: row.uuid, state: row.state, created: row.created, data: data }; });
        }));
      }).then(function (opened) {
        records = opened;
        $("candado").hidden = true;
        $("trabajo").hidden = false;
        renderQueue();
        return refreshCatalog();
      }).then(function () {
        return fetch(urls.session, { credentials: "same-origin" }).then(function (r) { return r.json(); })
          .then(function (s) { text($("quien"), t("Brigada de %(name)s", { name: s.staff })); }, function () { text($("quien"), t("Brigada (sin conexión)")); });
      });
    });
  }

  function lock() {
    key = null;
    records = [];
    $("cola").textContent = "";
    $("form-registro").reset();
    $("trabajo").hidden = true;
    $("candado").hidden = false;
    $("pin").focus();
  }

  getMeta("lock").then(function (lockValue) {
    $("pin2-field").hidden = !!lockValue;
    text($("abrir"), lockValue ? t("Abrir") : t("Crear el PIN y abrir"));
    body.dataset.ready = "true";
  });
  $("form-pin").addEventListener("submit", unlock);
  $("form-registro").addEventListener("submit", capture);
  $("bloquear").addEventListener("click", lock);
  $("sincronizar").addEventListener("click", syncAll);
  $("municipality").addEventListener("change", fillLocalities);
  $("postal_code").addEventListener("input", fillSettlements);
  $("program").addEventListener("change", showProgram);
  window.addEventListener("pagehide", function () { key = null; records = []; });
  showNetwork();
  installWorker();
})();
