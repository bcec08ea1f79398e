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
// The attendance roster: P / L / A on a focused row marks it without leaving the keyboard.
document.addEventListener("keydown", function (event) {
  var row = event.target.closest && event.target.closest(".roster-row");
  if (!row || event.ctrlKey || event.metaKey || event.altKey) return;
  var key = event.key.toLowerCase();
  var button = row.querySelector('button[data-key="' + key + '"]');
  if (!button) return;
  event.preventDefault();
  var form = button.form;
  var data = new FormData(form);
  data.append("mark", button.value);
  fetch(form.action, { method: "POST", body: data, headers: { Accept: "application/json" } })
    .then(function (response) { return response.json(); })
    .then(function (result) {
      if (!result.ok) { window.alert(result.error || "error"); return; }
      row.querySelectorAll("button[data-key]").forEach(function (b) {
        var style = b.className.match(/btn-(?:outline-)?(success|warning|danger)/)[1];
        b.className = "btn btn-sm " + (b === button ? "btn-" : "btn-outline-") + style;
      });
      var next = row.nextElementSibling;
      if (next) next.focus();
    });
});
