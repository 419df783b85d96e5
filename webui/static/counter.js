// Live character and SMS counter of the "Neue SMS" form. The server does the counting
// (POST /send/analyze, the same rules that split messages for sending), so this file only
// asks and shows. Text goes into the page with textContent only, never as HTML.
(function () {
  "use strict";
  var form = document.getElementById("send-form");
  var text = document.getElementById("text");
  var out = document.getElementById("counter");
  if (!form || !text || !out) { return; }
  var token = form.querySelector("input[name=csrf_token]").value;
  var timer = null;
  var seq = 0;

  function show(data) {
    out.classList.remove("too-long");
    if (data.error) {
      out.textContent = out.dataset.tooLong;
      out.classList.add("too-long");
      return;
    }
    var parts = [data.units + " " + out.dataset.characters, data.segments + " SMS"];
    if (data.encoding === "ucs2") { parts.push(out.dataset.ucs2); }
    if (data.costly && data.costly.length) {
      var chars = [];
      data.costly.forEach(function (c) {
        // Quoted, so that a dash or a space reads as the character it is.
        var shown = "\u201E" + c.char + "\u201C";
        if (chars.indexOf(shown) < 0) { chars.push(shown); }
      });
      parts.push(out.dataset.costly + ": " + chars.join(" "));
    }
    out.textContent = parts.join(" · ");
  }

  function ask() {
    var mine = ++seq;
    var body = new URLSearchParams();
    body.set("text", text.value);
    body.set("csrf_token", token);
    fetch("/send/analyze", {method: "POST", body: body, credentials: "same-origin",
                            headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (data) { if (mine === seq) { show(data); } })
      .catch(function () { /* session gone or offline: the form still works */ });
  }

  text.addEventListener("input", function () {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(ask, 120);
  });
  if (text.value) { ask(); }
})();
