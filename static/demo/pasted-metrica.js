// Yandex.Metrica's tag as its counter page hands it out, pasted outside the gate: it starts at
// once, before any choice (the careless demo page; `flask sites scan` reports it as a leak).
(function () {
  var counter = Number(document.currentScript.dataset.counter);
  window.ym = window.ym || function () { (window.ym.a = window.ym.a || []).push(arguments); };
  window.ym.l = 1 * new Date();
  var tag = document.createElement("script");
  tag.async = true;
  tag.src = "https://mc.yandex.ru/metrika/tag.js";
  document.head.appendChild(tag);
  window.ym(counter, "init", { clickmap: true, trackLinks: true, accurateTrackBounce: true });
})();
