// Small progressive enhancements; every page works without them.
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el.matches("[data-autosubmit]")) {
    var dependants = el.getAttribute("data-clears");
    if (dependants) {
      dependants.split(",").forEach(function (name) {
        var other = el.form.elements[name];
        if (other) other.value = "";
      });
    }
    el.form.submit();
  }
});
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) event.preventDefault();
});
document.querySelectorAll("[data-refresh]").forEach(function (el) {
  setTimeout(function () { window.location.reload(); }, parseInt(el.getAttribute("data-refresh"), 10) * 1000);
});
