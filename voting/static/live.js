// Staff pages that change while someone watches them (the dashboard, the stage remote) update
// their marked parts in place instead of reloading: a part holding the focus, or a form the
// reader has started to fill in, is left alone, so nothing typed is ever lost.
(function () {
  "use strict";
  var root = document.querySelector("[data-live]");
  if (!root || !window.fetch || !window.DOMParser) { return; }
  var interval = 1000 * (parseInt(root.getAttribute("data-live"), 10) || 10);
  var touched = [];

  document.addEventListener("input", function (event) {
    var part = event.target.closest("[data-live-part]");
    if (part && touched.indexOf(part) < 0) { touched.push(part); }
  });
  function busy(part) {
    return touched.indexOf(part) >= 0 || part.contains(document.activeElement);
  }
  function update() {
    fetch(window.location.href, { cache: "no-store", credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live-part]").forEach(function (part) {
          var next = fresh.getElementById(part.id);
          if (next && !busy(part) && next.innerHTML !== part.innerHTML) {
            part.innerHTML = next.innerHTML;
          }
        });
      })
      .catch(function () { /* a network hiccup: try again at the next tick */ })
      .then(function () { window.setTimeout(update, interval); });
  }
  document.querySelectorAll("[data-live-manual]").forEach(function (link) { link.hidden = true; });
  window.setTimeout(update, interval);
})();
