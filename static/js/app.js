// NOMAD web page glue. No inline script anywhere: the Content Security Policy forbids it.
(function () {
  "use strict";
  // Move focus to the main region after an htmx swap of the agenda, for screen readers.
  document.addEventListener("htmx:afterSwap", function (event) {
    var heading = event.detail.target.querySelector("h2, h1");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: true });
    }
  });
})();
