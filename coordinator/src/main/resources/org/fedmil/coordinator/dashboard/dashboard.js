// FedMIL dashboard: fetches the live part of the page from this server every 2 s. The server renders it with every
// string HTML-escaped; this script only swaps it in. Nothing is loaded from anywhere else.
"use strict";
(function () {
  var live = document.getElementById("live");
  var failures = 0;
  function refresh() {
    fetch("fragment", { cache: "no-store", credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.text();
      })
      .then(function (html) {
        live.innerHTML = html;
        failures = 0;
        document.body.setAttribute("data-refreshed", new Date().toISOString());
        document.body.classList.remove("stale");
      })
      .catch(function () {
        failures += 1;
        if (failures >= 2) { document.body.classList.add("stale"); }
      });
  }
  refresh();
  setInterval(refresh, 2000);
})();
