// A site owner's own analytics script, gated with type="text/plain" data-consent="analytical".
(function () {
  var visits = Number((document.cookie.match(/(?:^|; )demo_visits=(\d+)/) || [])[1] || 0) + 1;
  document.cookie = "demo_visits=" + visits + "; Path=/; Max-Age=31536000; SameSite=Lax";
  var status = document.getElementById("owner-analytics-status");
  if (status) status.textContent = "The site's own analytics script is running (visit " + visits + ").";
})();
