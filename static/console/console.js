// Console helpers: copy a code block to the clipboard. No framework, no inline script (strict CSP).
"use strict";
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) return;
  var source = document.getElementById(button.getAttribute("data-copy"));
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent).then(function () {
    // The note right after this button: a page can have several copy buttons.
    var note = button.nextElementSibling;
    if (note && note.hasAttribute("data-copied")) note.hidden = false;
  });
});
