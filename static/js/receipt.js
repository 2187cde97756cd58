// Receipts: the print links and buttons open the browser's print dialog. The
// links work without this script (they open the print version of the receipt).
(function () {
  "use strict";
  document.querySelectorAll(".print-button[hidden]").forEach(function (holder) {
    holder.hidden = false;
  });
  document.addEventListener("click", function (event) {
    var trigger = event.target.closest("[data-print]");
    if (!trigger) { return; }
    event.preventDefault();
    window.print();
  });
  // A kiosk's slip: once printed, end the visit (signing out resets the kiosk).
  var leave = document.querySelector("form[data-after-print]");
  if (leave) {
    window.addEventListener("afterprint", function () { leave.requestSubmit(); });
  }
})();
