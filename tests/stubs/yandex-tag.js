// Stand-in for mc.yandex.ru/metrika/tag.js: writes what the real tag writes, sends what it sends.
(function () {
  var root = location.hostname.split(".").slice(-2).join(".");
  function hit(id, kind) {
    if (window["disableYaCounter" + id]) return;
    new Image().src = "https://mc.yandex.ru/watch/" + id + "?" + kind + "&rn=" + Math.random();
  }
  function init(id) {
    if (window["disableYaCounter" + id]) return;
    var uid = String(Date.now()) + String(Math.floor(Math.random() * 1e9));
    document.cookie = "_ym_uid=" + uid + "; Path=/; Max-Age=31536000; Domain=." + root;
    document.cookie = "_ym_d=" + Math.floor(Date.now() / 1000) + "; Path=/; Max-Age=31536000; Domain=." + root;
    document.cookie = "_ym_isad=2; Path=/; Max-Age=172800; Domain=." + root;
    localStorage.setItem("_ym_uid", JSON.stringify(uid));
    localStorage.setItem("_ym" + id + "_lsid", "12345");
    sessionStorage.setItem("_ym_debug_state", "1");
    hit(id, "pageview");
  }
  var queued = (window.ym && window.ym.a) || [];
  window.ym = function (id, method) {
    if (method === "init") init(id);
    else if (method === "hit" || method === "reachGoal") hit(id, method);
  };
  queued.forEach(function (args) { window.ym.apply(null, args); });
})();
