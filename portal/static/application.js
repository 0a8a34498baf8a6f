// Progressive enhancement for the application form; everything works without it.
(function () {
  "use strict";
  var form = document.getElementById("draft-form");

  function counter(textarea) {
    var out = document.getElementById(textarea.id + "-count");
    if (!out) { return; }
    var budget = parseInt(textarea.getAttribute("data-budget"), 10);
    out.textContent = out.textContent.replace(/^\d+/, String(textarea.value.length));
    out.classList.toggle("over-budget", textarea.value.length > budget);
  }

  function autosave(status) {
    var data = new FormData(form);
    fetch(form.getAttribute("data-autosave-url"), {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-CSRFToken": data.get("csrf_token") }
    }).then(function (response) {
      return response.json();
    }).then(function (body) {
      status.textContent = body.message;
      // The next save builds on this one, not on the revision the page was loaded at.
      if (body.revision !== undefined) { form.elements.revision.value = body.revision; }
    }).catch(function () {
      status.textContent = status.getAttribute("data-failed") || "";
    });
  }

  if (form && !form.querySelector("fieldset[disabled]")) {
    var dirty = false;
    var status = document.getElementById("autosave-status");
    form.addEventListener("input", function (event) {
      dirty = true;
      if (event.target.matches("textarea.answer")) { counter(event.target); }
    });
    form.addEventListener("change", function () { dirty = true; });
    form.addEventListener("submit", function () { dirty = false; });
    window.setInterval(function () {
      if (dirty) { dirty = false; autosave(status); }
    }, 20000);

    // Clicking a municipality on the map ticks it in the list (frikommuner stay disabled).
    var map = document.getElementById("extent-map");
    if (map) {
      map.addEventListener("click", function (event) {
        var tile = event.target.closest("[data-code]");
        if (!tile) { return; }
        var box = document.getElementById("muni-" + tile.getAttribute("data-code"));
        if (!box || box.disabled) { return; }
        box.checked = !box.checked;
        var kind = document.querySelector("input[name=extent_kind][value=municipalities]");
        if (kind) { kind.checked = true; }
        tile.setAttribute("data-picked", box.checked ? "yes" : "no");
        var details = box.closest("details");
        if (details) { details.open = true; }
        dirty = true;
      });
    }
  }

  // One click submits once: the button is disabled after the first submit.
  document.querySelectorAll("button[data-once]").forEach(function (button) {
    button.form.addEventListener("submit", function () { button.disabled = true; });
  });
}());
