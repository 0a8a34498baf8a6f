// Progressive enhancement for the assessment pages; everything works without it.
(function () {
  "use strict";
  // Clicking a municipality on the decision map ticks it in the list (only requested ones).
  var map = document.getElementById("approved-map");
  if (map) {
    map.addEventListener("click", function (event) {
      var tile = event.target.closest("[data-code]");
      if (!tile) { return; }
      var box = document.getElementById("muni-" + tile.getAttribute("data-code"));
      if (!box || box.disabled) { return; }
      box.checked = !box.checked;
      tile.setAttribute("data-picked", box.checked ? "yes" : "no");
      var details = box.closest("details");
      if (details) { details.open = true; }
    });
  }
  // Region buttons tick or clear every listed municipality of the region.
  document.querySelectorAll("button[data-region-toggle]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var boxes = document.querySelectorAll("input[data-region='" + button.getAttribute("data-region-toggle") + "']");
      var anyOff = Array.prototype.some.call(boxes, function (b) { return !b.checked; });
      boxes.forEach(function (b) { b.checked = anyOff; });
    });
  });
  // One click submits once.
  document.querySelectorAll("button[data-once]").forEach(function (button) {
    button.form.addEventListener("submit", function () {
      window.setTimeout(function () { button.disabled = true; }, 0);
    });
  });
}());
