// coursevault: announce what the server tells htmx (HX-Trigger events) to
// screen readers and as a short toast. No inline scripts: the CSP forbids them.
(function () {
  "use strict";
  function say(message) {
    if (!message) return;
    var live = document.getElementById("live");
    if (live) { live.textContent = ""; setTimeout(function () { live.textContent = message; }, 50); }
    var toast = document.createElement("div");
    toast.className = "toast";
    toast.setAttribute("role", "status");
    toast.textContent = message;
    document.body.appendChild(toast);
    setTimeout(function () { toast.remove(); }, 6000);
  }
  ["export-done", "export-notice", "notice"].forEach(function (name) {
    document.addEventListener(name, function (e) { say(e.detail && e.detail.value); });
  });
  // A failed htmx request shows its sentence instead of failing silently.
  document.addEventListener("htmx:responseError", function (e) {
    var text = "The request failed (" + e.detail.xhr.status + ").";
    try { text = JSON.parse(e.detail.xhr.responseText).error || text; } catch (_) {
      var m = /<p>([^<]+)<\/p>/.exec(e.detail.xhr.responseText); if (m) text = m[1];
    }
    say(text);
  });
})();
