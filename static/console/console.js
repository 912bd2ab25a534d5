// Console helpers: copy a code block to the clipboard. No framework, no inline script (strict CSP).
"use strict";
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) return;
  var source = document.getElementById(button.getAttribute("data-copy"));
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent).then(function () {
    var note = button.parentElement.querySelector("[data-copied]");
    if (note) note.hidden = false;
  });
});
