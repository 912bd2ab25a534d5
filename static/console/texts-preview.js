// The texts editor's previews follow what is typed, before anything is saved: the texts are
// posted to the preview frames, which show them in their banner (static/console/preview.js).
"use strict";
(function () {
  var MESSAGE_TYPE = "consent-gate-preview-texts";
  var DELAY_MS = 250;
  var form = document.querySelector("form[data-preview-texts]");
  if (!form) return;
  var frames = document.querySelectorAll("iframe.preview");
  var operator = form.getAttribute("data-operator") || "";
  var timer = null;
  var typed = false;

  /** Each text as the banner would show it once saved: the typed one, or else the default. */
  function typedTexts() {
    var texts = {};
    form.querySelectorAll(".text-row[data-text-key]").forEach(function (row) {
      var key = row.getAttribute("data-text-key");
      var input = row.querySelector("textarea");
      var value = input && input.value.trim() ? input.value : row.getAttribute("data-default");
      texts[key] = (value || "").split("%(operator)s").join(operator);
    });
    return texts;
  }

  function send(frame) {
    // The frame's origin is opaque ("null"), so no origin can be named; only texts are sent.
    if (frame.contentWindow) {
      frame.contentWindow.postMessage({ type: MESSAGE_TYPE, texts: typedTexts() }, "*");
    }
  }

  form.addEventListener("input", function () {
    typed = true;
    clearTimeout(timer);
    timer = setTimeout(function () { frames.forEach(send); }, DELAY_MS);
  });
  frames.forEach(function (frame) {
    // A frame that reloads ("Show the banner again" does not, a language switch does) starts
    // from the saved texts; what was typed goes to it again.
    frame.addEventListener("load", function () { if (typed) send(frame); });
  });
})();
