// Behaviour that would otherwise be inline script, which the Content-Security-Policy forbids.
"use strict";

// <button data-confirm="…">: ask before the form is sent.
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});

// <select data-province-select hx-get="…region_options…">: the counties request names the chosen
// province as `province` (what htmx's eval-based `hx-vals="js:…"` did; eval is off under the CSP).
document.addEventListener("htmx:configRequest", function (event) {
  const element = event.detail.elt;
  if (element.matches("[data-province-select]")) {
    event.detail.parameters.province = element.value;
  }
});
