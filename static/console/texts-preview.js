// The texts editor's previews follow what is typed, before anything is saved: the service
// resolves the typed texts as visitors would read them once saved (names, figures and vendors
// filled in), and they are posted to the preview frames (static/console/preview.js).
"use strict";
(function () {
  var MESSAGE_TYPE = "consent-gate-preview-texts";
  var DELAY_MS = 250;
  var form = document.querySelector("form[data-preview-texts]");
  if (!form) return;
  var frames = document.querySelectorAll("iframe.preview");
  var situation = document.getElementById("preview-situation");
  var timer = null;
  var latest = null;  // the last preview the service resolved: {texts, small, notices}
  var asked = 0;      // answers to earlier requests that arrive late are dropped

  function send(frame) {
    if (!latest || !frame.contentWindow) return;
    var chosen = situation ? situation.value : "";
    var message = { type: MESSAGE_TYPE, texts: latest.texts, small: latest.small,
                    notice: (chosen && latest.notices[chosen]) || "" };
    // The frame's origin is opaque ("null"), so no origin can be named; only texts are sent.
    frame.contentWindow.postMessage(message, "*");
  }

  function resolve() {
    var request = ++asked;
    fetch(form.getAttribute("data-preview-url"), { method: "POST", body: new FormData(form),
                                                   credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (preview) {
        // A text the service refuses (an unknown placeholder, too long) keeps the last preview;
        // Save names the field.
        if (!preview || request !== asked) return;
        latest = preview;
        frames.forEach(send);
      })
      .catch(function () { /* offline: the preview keeps what it showed */ });
  }

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(resolve, DELAY_MS);
  });
  if (situation) {
    situation.addEventListener("change", function () {
      if (latest) frames.forEach(send);
      else resolve();
    });
  }
  frames.forEach(function (frame) {
    // A frame that reloads ("Show the banner again" does not, a language switch does) starts
    // from the saved texts; the last preview goes to it again.
    frame.addEventListener("load", function () { send(frame); });
  });
})();
