// Stand-in for connect.facebook.net fbevents.js: honours fbq('consent', ...) like the real pixel.
(function () {
  var root = location.hostname.split(".").slice(-2).join(".");
  var granted = true;
  var pixel = null;
  var fbq = window.fbq;
  // What the page asked of the pixel, in order, for tests to read.
  window.__fbqCalls = [];
  fbq.callMethod = function (method, value, extra) {
    window.__fbqCalls.push([method, value]);
    if (method === "consent") granted = value === "grant";
    if (method === "init") pixel = value;
    if (method === "track" && granted && pixel) {
      if (!/(?:^|; )_fbp=/.test(document.cookie)) {
        document.cookie = "_fbp=fb.1." + Date.now() + ".42; Path=/; Max-Age=7776000; Domain=." + root;
      }
      new Image().src = "https://www.facebook.com/tr?id=" + pixel + "&ev=" + value;
    }
  };
  var queued = fbq.queue.splice(0);
  queued.forEach(function (args) { fbq.callMethod.apply(fbq, args); });
})();
