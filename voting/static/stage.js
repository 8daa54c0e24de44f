// The projector page without reloading: turnout updates in place every few seconds, the
// page reloads only when the screen itself must change, and an organiser may press the
// right arrow (or space, or Page Down: what presentation clickers send) for the next step.
(function () {
  "use strict";
  var stage = document.getElementById("stage");
  if (!stage || !window.fetch) { return; }
  var version = stage.getAttribute("data-version");
  stage.classList.add("animated"); // an instant runoff's rounds play one after another

  function update() {
    fetch(stage.getAttribute("data-feed"), { cache: "no-store", credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        if (data.version !== version) { window.location.reload(); return; }
        var count = document.getElementById("turnout-count");
        var bar = document.getElementById("turnout-bar");
        if (count) { count.textContent = data.turnout_text; }
        var witnesses = document.getElementById("witnesses");
        if (witnesses && data.witnesses_text) { witnesses.textContent = data.witnesses_text; }
        if (bar) { bar.max = data.eligible || 1; bar.value = data.ballots; }
      })
      .catch(function () { /* the hall's Wi-Fi hiccups; try again at the next tick */ });
  }
  window.setInterval(update, 3000);

  var next = document.getElementById("next-form");
  if (next) {
    document.addEventListener("keydown", function (event) {
      if (["ArrowRight", "PageDown", " ", "Enter"].indexOf(event.key) >= 0) {
        event.preventDefault();
        next.submit();
      }
    });
  }
})();
