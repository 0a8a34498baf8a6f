/* The portal's shell: the main menu behind a button on small screens, and tables that scroll
   in their own box (WCAG 1.4.10) instead of widening the page. */
(function () {
  "use strict";
  var toggle = document.querySelector(".menu-toggle");
  var menu = document.getElementById("main-menu");
  if (toggle && menu) {
    toggle.hidden = false;
    document.documentElement.classList.add("has-menu-toggle");
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("open", open);
      if (open) {
        var first = menu.querySelector("a");
        if (first) first.focus();
      }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.classList.contains("open")) {
        menu.classList.remove("open");
        toggle.setAttribute("aria-expanded", "false");
        toggle.focus();
      }
    });
  }
  // A form sent back with errors: the summary of them gets focus, wherever it is on the page.
  var summary = document.querySelector(".error-summary");
  if (summary && document.activeElement === document.body) {
    summary.focus();
  }
  var label = document.documentElement.lang === "en" ? "Table" : "Tabel";
  document.querySelectorAll("main table").forEach(function (table) {
    if (table.parentElement.classList.contains("table-scroll")) return;
    var box = document.createElement("div");
    box.className = "table-scroll";
    box.setAttribute("role", "region");
    box.setAttribute("tabindex", "0");
    var caption = table.querySelector("caption");
    box.setAttribute("aria-label", caption ? caption.textContent.trim() : label);
    table.parentNode.insertBefore(box, table);
    box.appendChild(table);
  });
})();
