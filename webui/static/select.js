// "Alle auswählen" on the Geplante SMS page (CSP: no inline script).
(function () {
  "use strict";
  var all = document.getElementById("select-all");
  if (!all) { return; }
  var boxes = document.querySelectorAll("#scheduled tbody input[type=checkbox]");
  all.addEventListener("change", function () {
    boxes.forEach(function (b) { b.checked = all.checked; });
  });
})();
