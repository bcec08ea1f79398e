// The reports' print buttons (no inline script: the pages' CSP allows scripts from 'self' only).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
