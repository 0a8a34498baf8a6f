/* The meeting view follows the proposal the lead presents, without reloading the whole page on
   a timer (which moves a screen reader's place and the scroll position every few seconds).
   While following is on and the tab is visible, it asks the state URL every 5 seconds; only
   when another proposal is presented does it fetch the page again, swap in the proposal and
   announce the change politely. The button stops and resumes following; without JavaScript
   the link fetches the page. */
(function () {
  "use strict";
  var region = document.getElementById("meeting-shown");
  var button = document.getElementById("meeting-follow");
  var live = document.getElementById("meeting-live");
  if (!region || !button || !live || !window.fetch || !window.DOMParser) {
    return;
  }
  var following = true;
  var busy = false;

  function showLabel() {
    button.textContent = button.getAttribute(following ? "data-stop" : "data-start");
  }

  function announce(text) {
    // Emptied first, so the same words are announced again at the next change.
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 100);
  }

  function swap() {
    return fetch(window.location.pathname, { credentials: "same-origin" })
      .then(function (reply) {
        if (!reply.ok) { throw new Error(String(reply.status)); }
        return reply.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("meeting-shown");
        if (!fresh) { return; }
        region.innerHTML = fresh.innerHTML;
        region.setAttribute("data-shown", fresh.getAttribute("data-shown") || "");
        announce(live.getAttribute("data-changed"));
      });
  }

  function check() {
    if (!following || busy || document.hidden) { return; }
    busy = true;
    fetch(region.getAttribute("data-state-url"), {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (reply) {
        if (!reply.ok) { throw new Error(String(reply.status)); }
        return reply.json();
      })
      .then(function (state) {
        if (state.shown !== region.getAttribute("data-shown")) { return swap(); }
        return null;
      })
      .catch(function () { /* tried again at the next tick */ })
      .then(function () { busy = false; });
  }

  button.hidden = false;
  showLabel();
  button.addEventListener("click", function () {
    following = !following;
    showLabel();
    check();
  });
  document.addEventListener("visibilitychange", check);
  window.setInterval(check, 5000);
}());
