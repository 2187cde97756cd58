// The delivery page: read the QR code with the camera or from a photo (jsQR),
// check its Ed25519 signature here with WebCrypto against the portal's
// published key, show the result at once, then submit the same form a person
// without JavaScript types into. The server checks everything again; the
// early check only tells the operator sooner, even on a slow connection.
(function () {
  "use strict";

  var TOKEN_BYTES = 88;
  var PAYLOAD_BYTES = 24;
  var CONTEXT = new TextEncoder().encode("ventanilla-unica/credencial\0");
  var SCAN_EVERY_MS = 250;

  // A refusal comes back as 422 (swapped by the page's htmx config) or, for a
  // credential already delivered, as 409 with a verdict worth showing here.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 409) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  // Move focus to the verdict so screen readers and keyboards follow the swap.
  document.addEventListener("htmx:afterSwap", function (event) {
    var heading = event.detail.target.querySelector("#veredicto, #error-summary-title");
    if (heading) {
      (heading.closest("[tabindex]") || heading).focus();
    }
  });

  var section = document.getElementById("escaner");
  if (!section || typeof jsQR !== "function") {
    return;
  }
  section.hidden = false;
  var results = document.getElementById("resultado");
  var status = document.getElementById("firma");
  var video = document.getElementById("camara");
  var startButton = document.getElementById("usar-camara");
  var stopButton = document.getElementById("detener-camara");
  var photo = document.getElementById("foto-qr");
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var stream = null;
  var lastScan = 0;
  var keys = fetch(results.dataset.jwks, { credentials: "same-origin" })
    .then(function (response) { return response.json(); })
    .then(function (jwks) {
      return Promise.all(jwks.keys.map(function (jwk) {
        return crypto.subtle.importKey("jwk", jwk, { name: "Ed25519" }, false, ["verify"]);
      }));
    });
  // An unsupported browser still scans; only the early check is skipped.
  keys.catch(function () {});

  function say(text, kind) {
    status.textContent = text;
    status.className = "signature-status" + (kind ? " signature-" + kind : "");
  }

  function tokenBytes(text) {
    var digits = text.trim().replace(/[?#].*$/, "").split("/").pop();
    if (!/^[0-9]{212}$/.test(digits)) {
      return null;
    }
    var value = BigInt(digits);
    if (value >> BigInt(8 * TOKEN_BYTES)) {
      return null;
    }
    var bytes = new Uint8Array(TOKEN_BYTES);
    for (var i = TOKEN_BYTES - 1; i >= 0; i--) {
      bytes[i] = Number(value & 0xffn);
      value >>= 8n;
    }
    return bytes;
  }

  function signatureValid(bytes) {
    var message = new Uint8Array(CONTEXT.length + PAYLOAD_BYTES);
    message.set(CONTEXT);
    message.set(bytes.slice(0, PAYLOAD_BYTES), CONTEXT.length);
    var signature = bytes.slice(PAYLOAD_BYTES);
    return keys.then(function (list) {
      return Promise.all(list.map(function (key) {
        return crypto.subtle.verify("Ed25519", key, signature, message);
      }));
    }).then(function (answers) { return answers.indexOf(true) !== -1; });
  }

  function submit(text) {
    var form = document.getElementById("buscar");
    form.querySelector("[name=codigo]").value = text;
    form.requestSubmit();
  }

  function handle(text) {
    stopCamera();
    var bytes = tokenBytes(text);
    if (!bytes) {
      say("El código no es una credencial del portal.", "bad");
      submit(text);
      return;
    }
    say("Código leído. Revisando la firma…");
    signatureValid(bytes).then(function (valid) {
      say(valid
        ? "Firma válida: la credencial la emitió el portal. Consultando su estado…"
        : "Firma no válida: la credencial es falsa o fue alterada.", valid ? "ok" : "bad");
    }, function () {
      say("Este navegador no puede revisar la firma; la revisa el portal.");
    }).then(function () { submit(text); });
  }

  function decode(source, width, height) {
    canvas.width = width;
    canvas.height = height;
    context.drawImage(source, 0, 0, width, height);
    var image = context.getImageData(0, 0, width, height);
    var code = jsQR(image.data, width, height, { inversionAttempts: "dontInvert" });
    return code ? code.data : null;
  }

  photo.addEventListener("change", function () {
    var file = photo.files && photo.files[0];
    if (!file) {
      return;
    }
    // Cleared, so choosing the same photo again reads it again.
    photo.value = "";
    createImageBitmap(file).then(function (bitmap) {
      var text = decode(bitmap, bitmap.width, bitmap.height);
      if (text) {
        handle(text);
      } else {
        say("No se encontró un código QR en la foto. Tome otra más cerca y con buena luz.", "bad");
      }
    }, function () {
      say("No se pudo abrir la imagen.", "bad");
    });
  });

  function scanFrame(now) {
    if (!stream) {
      return;
    }
    if (now - lastScan >= SCAN_EVERY_MS && video.readyState >= video.HAVE_ENOUGH_DATA) {
      lastScan = now;
      var text = decode(video, video.videoWidth, video.videoHeight);
      if (text) {
        handle(text);
        return;
      }
    }
    requestAnimationFrame(scanFrame);
  }

  function stopCamera() {
    if (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
    }
    video.hidden = true;
    stopButton.hidden = true;
    startButton.hidden = false;
  }

  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    startButton.hidden = true;
  }
  startButton.addEventListener("click", function () {
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        video.hidden = false;
        stopButton.hidden = false;
        startButton.hidden = true;
        say("Apunte la cámara al código QR.");
        return video.play();
      })
      .then(function () { requestAnimationFrame(scanFrame); })
      .catch(function () {
        stopCamera();
        say("No se pudo usar la cámara. Lea una foto del código o escriba el folio.", "bad");
      });
  });
  stopButton.addEventListener("click", stopCamera);
})();
