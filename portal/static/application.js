// Progressive enhancement for the application form; everything works without it.
(function () {
  "use strict";
  var form = document.getElementById("draft-form");
  // A page that is closing may still send this much (browsers allow 64 KiB in all).
  var KEEPALIVE_LIMIT = 60000;
  var SAVE_PAUSE = 3000; // save this long after the last keystroke ...
  var SAVE_AT_MOST = 20000; // ... and at least this often while typing goes on

  // What went wrong is summed up at the top of the form: move there (WCAG 3.3.1, 2.4.3).
  var summary = document.querySelector("#conflict-summary, .error-summary");
  if (summary) { summary.focus(); }

  function budgetOf(textarea) {
    return parseInt(textarea.getAttribute("data-budget"), 10);
  }

  function counter(textarea) {
    var out = document.getElementById(textarea.id + "-count");
    if (!out) { return; }
    if (!out.hasAttribute("data-template")) {
      out.setAttribute("data-template", out.textContent.replace(/^\d+/, "{n}"));
    }
    var length = textarea.value.length;
    var over = length - budgetOf(textarea);
    var text = out.getAttribute("data-template").replace("{n}", String(length));
    if (over > 0 && form && form.getAttribute("data-over-budget")) {
      text += " – " + form.getAttribute("data-over-budget").replace("{n}", String(over));
    }
    out.textContent = text;
    out.classList.toggle("over-budget", over > 0);
  }

  function overBudget() {
    return Array.prototype.some.call(form.querySelectorAll("textarea.answer"), function (box) {
      return box.value.length > budgetOf(box);
    });
  }

  function bodySize(data) {
    var size = 0;
    var encoder = new TextEncoder();
    data.forEach(function (value, key) {
      size += 120 + key.length + (typeof value === "string" ? encoder.encode(value).length : 0);
    });
    return size;
  }

  function enhance() {
    var status = document.getElementById("autosave-status");
    var url = form.getAttribute("data-autosave-url");
    var state = {
      dirty: false,
      failed: false,
      // After a save conflict nothing is saved until the user has chosen and clicked save.
      blocked: form.hasAttribute("data-conflict"),
      saving: null,
      leaving: false
    };
    if (state.blocked) { state.dirty = true; }
    var timer = null;
    var firstChange = 0;

    function say(text) { if (status && text) { status.textContent = text; } }

    function refused(message) {
      state.failed = true;
      state.dirty = true;
      say(message);
    }

    function save(closing) {
      if (overBudget()) {
        refused(document.querySelector(".char-count.over-budget") ?
          document.querySelector(".char-count.over-budget").textContent : "");
        return Promise.resolve(false);
      }
      var data = new FormData(form);
      var options = {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "X-CSRFToken": data.get("csrf_token") }
      };
      if (closing) { options.keepalive = true; }
      state.dirty = false;
      state.saving = fetch(url, options).then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      }).then(function (result) {
        state.saving = null;
        if (!result.ok) {
          if (result.body.conflict) { state.blocked = true; }
          refused(result.body.message);
          return false;
        }
        state.failed = false;
        say(result.body.message);
        // The next save builds on this one, not on the revision the page was loaded at.
        form.elements.revision.value = result.body.revision;
        form.elements.base.value = result.body.base;
        return true;
      }).catch(function () {
        state.saving = null;
        refused(form.getAttribute("data-failed"));
        return false;
      });
      return state.saving;
    }

    function changed() {
      state.dirty = true;
      if (state.blocked) { return; }
      var now = Date.now();
      if (!firstChange) { firstChange = now; }
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        firstChange = 0;
        if (state.dirty && !state.saving) { save(false); }
      }, Math.max(0, Math.min(SAVE_PAUSE, SAVE_AT_MOST - (now - firstChange))));
    }

    // Leaving the page: save what is unsaved on the way out. True when it cannot be saved,
    // so the browser asks before the text is lost.
    function leave() {
      if (state.leaving || !state.dirty) { return false; }
      if (state.blocked || overBudget() || state.saving) { return true; }
      var data = new FormData(form);
      if (bodySize(data) > KEEPALIVE_LIMIT) { return true; }
      var warn = state.failed; // the last attempt was refused: try once more, but ask
      save(true);
      return warn;
    }

    form.addEventListener("input", function (event) {
      if (event.target.matches("textarea.answer")) { counter(event.target); }
      changed();
    });
    form.addEventListener("change", changed);
    form.addEventListener("submit", function (event) {
      if (state.saving) {
        // Let the save under way finish first, or this one would meet it as a conflict.
        event.preventDefault();
        state.saving.then(function () { state.leaving = true; form.submit(); });
        return;
      }
      state.leaving = true;
    });
    // The page's other forms (attachments, hand-over, language, log out): save first.
    document.addEventListener("submit", function (event) {
      var other = event.target;
      if (other === form || !state.dirty || state.blocked || overBudget()) { return; }
      event.preventDefault();
      var submitter = event.submitter;
      (state.saving || Promise.resolve(true)).then(function () {
        return state.dirty ? save(false) : true;
      }).then(function () {
        if (state.dirty) { // refused: the message says why, and the user stays
          other.querySelectorAll("button[data-once]").forEach(function (b) { b.disabled = false; });
          return;
        }
        state.leaving = true;
        if (submitter && submitter.name) { // form.submit() leaves the clicked button out
          var value = document.createElement("input");
          value.type = "hidden";
          value.name = submitter.name;
          value.value = submitter.value;
          other.appendChild(value);
        }
        other.submit();
      });
    }, true);
    window.addEventListener("beforeunload", function (event) {
      if (leave()) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { leave(); }
    });
    window.addEventListener("pagehide", leave);

    conflictChoices();
    mapClicks(changed);
  }

  // After a save conflict: "the other version" puts it in the text box, "mine" brings back
  // what the user wrote, "merge" puts both in the box to be edited.
  function conflictChoices() {
    form.querySelectorAll("fieldset.conflict-choice[data-free-text]").forEach(function (set) {
      var box = document.getElementById(set.getAttribute("data-target"));
      var shown = document.getElementById(set.getAttribute("data-theirs"));
      if (!box || !shown) { return; }
      var theirs = shown.hasAttribute("data-empty") ? "" : shown.textContent;
      var mine = box.value;
      var choice = "mine";
      box.addEventListener("input", function () { if (choice === "mine") { mine = box.value; } });
      set.addEventListener("change", function (event) {
        choice = event.target.value;
        if (choice === "theirs") {
          box.value = theirs;
        } else if (choice === "mine") {
          box.value = mine;
        } else if (box.value === mine || box.value === theirs) {
          box.value = mine + "\n\n" + theirs;
          box.focus();
        }
        counter(box);
      });
    });
  }

  // Clicking a municipality on the map ticks it in the list (frikommuner stay disabled).
  function mapClicks(changed) {
    var map = document.getElementById("extent-map");
    if (!map) { return; }
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
      changed();
    });
  }

  if (form) {
    form.querySelectorAll("textarea.answer").forEach(counter);
    if (!form.querySelector("fieldset[disabled]")) { enhance(); }
  }

  // One click submits once: the button is disabled after the first submit.
  document.querySelectorAll("button[data-once]").forEach(function (button) {
    button.form.addEventListener("submit", function () { button.disabled = true; });
  });
}());
