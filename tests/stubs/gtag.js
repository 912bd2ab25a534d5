// Stand-in for googletagmanager.com/gtag/js: honours Consent Mode and ga-disable like gtag.js.
(function () {
  var root = location.hostname.split(".").slice(-2).join(".");
  var state = {};
  var measurementId = null;
  function handle(args) {
    if (args[0] === "consent") Object.assign(state, args[2]);
    if (args[0] === "config") measurementId = args[1];
    if (args[0] === "config" || args[0] === "event") send(args[0] === "event" ? args[1] : "page_view");
  }
  function send(name) {
    if (!measurementId || window["ga-disable-" + measurementId]) return;
    var analytics = state.analytics_storage === "granted";
    if (analytics) {
      document.cookie = "_ga=GA1.1." + Date.now() + "; Path=/; Max-Age=63072000; Domain=." + root;
      document.cookie = "_ga_" + measurementId.slice(2) + "=GS1.1." + Date.now() +
        "; Path=/; Max-Age=63072000; Domain=." + root;
    }
    new Image().src = "https://www.google-analytics.com/g/collect?tid=" + measurementId +
      "&en=" + name + "&gcs=" + (analytics ? "G111" : "G100");
  }
  var layer = window.dataLayer = window.dataLayer || [];
  layer.forEach(handle);
  var push = layer.push.bind(layer);
  layer.push = function (args) { push(args); handle(args); };
})();
