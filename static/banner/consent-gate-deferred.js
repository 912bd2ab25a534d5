/* Consent Gate, deferred part: the settings layer (a switch per category, with its catalog table),
 * the launcher that brings the banner back, placeholders before the embeds of refused categories,
 * stopping and clearing a withdrawn category, sending the reports the banner queued, and the leak
 * watch. The banner fetches it once its first layer is visible, or at once when no banner is
 * shown; the trackers and gated markup never wait for it. The file is one function,
 * consentGateDeferred(GATE, DEFERRED); the server passes it with its payload to the hook the
 * banner put on this script's element:
 * script.consentGate(function consentGateDeferred(GATE, DEFERRED) { ... }, payload).
 * No framework, no eval. */

/**
 * What the server sends with this code: this part's CSS and the texts only it shows, in the
 * visitor's language. texts.rows holds, per category in the catalog's order, each item's
 * [name, provider, purpose, lifetime]. leaks, when the site takes leak reports, holds per
 * category the key patterns and the hosts (each covering its subdomains) that the catalog and
 * the built-in trackers tie to it (app/leaks/rules.py).
 * @typedef {{css: string, texts: {settings_intro: string, save: string, always_on: string,
 *            about_mandatory: string, column_name: string, column_provider: string,
 *            column_purpose: string, column_lifetime: string, blocked_content: string,
 *            allow: string, placeholder_vendors: string,
 *            rows: Object<string, Array<Array<string>>>},
 *            leaks: ({keys: Object<string, Array<KeyPattern>>,
 *                     hosts: Object<string, Array<string>>}|undefined)}} DeferredPayload
 * What a sampled page view reports to POST /api/v1/leaks: the page's path and what escaped the
 * gate on it; nothing about the visitor.
 * @typedef {{site: string, page: string, build: string, cookies: Array<string>,
 *            storage: Array<string>, hosts: Array<string>}} LeakReport
 */

/**
 * Build the settings layer and the launcher, stand placeholders, clear what was withdrawn, send
 * the queued reports and watch for leaks.
 * @param {GateApi} GATE  what the banner lends this part (typedef in consent-gate.js)
 * @param {DeferredPayload} DEFERRED  this part's CSS and texts
 * @returns {DeferredPart}
 */
function consentGateDeferred(GATE, DEFERRED) {
  "use strict";

  // ---- constants -------------------------------------------------------------------------------
  const MANDATORY = "mandatory";
  const COOKIE_NAME = "cg_consent";
  const COLUMNS = ["column_name", "column_provider", "column_purpose", "column_lifetime"];
  const PLACEHOLDER = "data-consent-placeholder";
  /** A leak report goes this long after the watch starts, or when the page is hidden first. */
  const LEAK_REPORT_AFTER_MS = 5000;
  /** The most names of one kind a report carries (the API refuses more). */
  const LEAK_NAMES = 50;

  const { el, button, shadowHost, texts, root, settings, settingsButton, current, language, dir,
          granted, save, allow, show, added, config, toClear, readOutbox, writeOutbox, unsent,
          keepReceipt } = GATE;
  const patterns = config.clear;
  Object.assign(texts, DEFERRED.texts);
  const categories = Object.keys(texts.rows);
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(DEFERRED.css);
  const switches = {};

  // ---- the settings layer -----------------------------------------------------------------------
  /** Add this part's stylesheet to a shadow root (the banner's, or a placeholder's). */
  function addStyles(shadow) {
    shadow.adoptedStyleSheets = [...shadow.adoptedStyleSheets, sheet];
  }

  /** A category: its name and a switch (mandatory ones on and disabled), what for, its table. */
  function category(name) {
    const id = "cg-" + name;
    const mandatory = name === MANDATORY;
    switches[name] = el("button", { type: "button", class: "switch", role: "switch", id,
                                    "aria-labelledby": id + "-name", "aria-checked": "false",
                                    disabled: mandatory, click: () => flip(name) });
    return el("section", { class: "category" },
      el("div", { class: "switch-row" }, el("span", { id: id + "-name" }, texts["category_" + name]),
         mandatory ? el("span", { class: "always" }, texts.always_on) : null, switches[name]),
      el("p", {}, texts["about_" + name]),
      catalogTable(name));
  }

  function isOn(name) {
    return switches[name].getAttribute("aria-checked") === "true";
  }

  function setSwitch(name, on) {
    switches[name].setAttribute("aria-checked", on);
  }

  function flip(name) {
    setSwitch(name, !isOn(name));
  }

  function catalogTable(name) {
    const rows = texts.rows[name];
    const cells = (tag, values) => el("tr", {}, ...values.map((value) => el(tag, {}, value)));
    return rows.length ? el("details", {},
      el("summary", {}, `${texts["category_" + name]} (${rows.length})`),
      el("table", {},
        el("thead", {}, cells("th", COLUMNS.map((key) => texts[key]))),
        el("tbody", {}, ...rows.map((row) => cells("td", row))))) : null;
  }

  /** Set the switches to the stored choice (mandatory on, the rest as the visitor chose), and
   * take away the placeholders of embeds the banner has loaded since. */
  function sync() {
    const stored = current();
    for (const name of categories) {
      setSwitch(name, name === MANDATORY || Boolean(stored && stored.choices[name]));
    }
    for (const placeholder of document.querySelectorAll(`[${PLACEHOLDER}]`)) {
      if (granted[placeholder.getAttribute(PLACEHOLDER)]) placeholder.remove();
    }
  }

  /** Put values into a text's %(name)s placeholders. */
  function fill(text, values) {
    return text.replace(/%\((\w+)\)s/g, (whole, name) => (name in values ? values[name] : whole));
  }

  /**
   * Return the texts that say why the banner is shown again, and what a Global Privacy Control
   * signal did when the site treats it as a refusal.
   * @param {string} reason  "", or the name of a text (changed_policy, changed_vendors, ...)
   * @returns {Array<string>}
   */
  function notices(reason) {
    const why = reason === "changed_vendors" && texts.changed_vendors ? added()
      .map(([category, entries]) => fill(texts.changed_vendors, {
        vendors: entries.map(([name]) => name).join(", "), category: texts["category_" + category] }))
      .join(" ") : texts[reason];
    // Only a site that treats the signal as a refusal has the text (app/banner/config.py).
    return [why, navigator.globalPrivacyControl === true && texts.gpc_notice].filter(Boolean);
  }

  // ---- reports: sending what the banner queued ---------------------------------------------------
  let sending = false;

  /** Send queued reports one at a time, oldest first; stop at a failure and retry later. */
  function sendReports() {
    // Where storage is blocked nothing keeps them: one try each, as the page closes or not.
    for (const body of unsent.splice(0)) post(body);
    const body = readOutbox()[0];
    if (sending || !body) return;
    sending = true;
    post(body).then((final) => {
      sending = false;
      if (!final) return;
      writeOutbox(readOutbox().filter((queued) => queued.event_id !== body.event_id));
      sendReports();
    });
  }

  /**
   * Send one report; resolve true when the answer is final (stored, or refused for good).
   * @param {ConsentReport} body
   * @returns {Promise<boolean>}
   */
  function post(body) {
    // A string body goes as text/plain (the Fetch standard's default for one), which keeps this
    // a simple request: no CORS preflight.
    return fetch(config.api, { method: "POST", body: JSON.stringify(body), keepalive: true,
                               credentials: "omit" })
      .then((response) => {
        // 429 and 5xx are worth retrying; any other answer is final for this report.
        if (response.status === 429 || response.status >= 500) return false;
        if (response.ok) {
          response.json().then((answer) => keepReceipt(body.consent_id, answer.receipt), () => {});
        }
        return true;
      })
      .catch(() => false);
  }

  // ---- the launcher -------------------------------------------------------------------------------
  /** Make the button that brings the banner back, shown while the banner is closed. */
  function makeLauncher() {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    const path = document.createElementNS(ns, "path");
    svg.setAttribute("viewBox", "0 0 24 24");
    // A cookie with a bite out of it and three crumbs.
    path.setAttribute("d", "M12 2a10 10 0 1 0 10 10 4 4 0 0 1-5-5 4 4 0 0 1-5-5zM7 10h3v3H7zm5 4h3v3h-3zm-1-7h2v2h-2z");
    svg.append(path);
    return el("button", { type: "button", class: "launcher", "aria-label": texts.settings_title,
                          title: texts.settings_title, lang: language, dir,
                          hidden: !root.querySelector(".dialog").hidden, click: show }, svg);
  }

  // ---- withdrawal: clearing what the trackers left ----------------------------------------------
  /** Tell whether a key pattern ("cp_ym_": cookie, prefix, _ym_) covers a key in a storage. */
  function matches(pattern, storage, key) {
    const name = pattern.slice(2);
    if (pattern[0] !== storage) return false;
    if (pattern[1] === "p") return key.startsWith(name);
    if (pattern[1] === "e") return key === name;
    try { return new RegExp(name).test(key); } catch (error) { return false; }
  }

  /** Delete the cookies and storage keys a withdrawn category's patterns cover. */
  function clear(category) {
    const covered = (storage, key) => (patterns[category] || [])
      .some((pattern) => matches(pattern, storage, key));
    let cookies;
    try {
      cookies = document.cookie ? document.cookie.split("; ").map((pair) => pair.split("=")[0]) : [];
    } catch (error) {
      return; // a sandboxed page (the console's preview): no cookies and no storage to clear
    }
    for (const name of cookies) {
      if (name !== COOKIE_NAME && covered("c", name)) deleteCookie(name);
    }
    for (const [letter, name] of [["l", "localStorage"], ["s", "sessionStorage"]]) {
      try {
        const storage = window[name];
        for (const key of Object.keys(storage)) if (covered(letter, key)) storage.removeItem(key);
      } catch (error) { /* storage blocked: there is nothing in it to clear */ }
    }
  }

  /** Delete a cookie on this host and on every parent domain a tracker may have used. */
  function deleteCookie(name) {
    const expired = name + "=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/";
    const labels = location.hostname.split(".");
    document.cookie = expired;
    for (let i = 0; i < labels.length - 1; i++) {
      document.cookie = `${expired}; Domain=.${labels.slice(i).join(".")}`;
    }
  }

  // ---- placeholders of gated embeds -------------------------------------------------------------
  /** Stand a placeholder with an "Allow" button before each gated iframe of a refused category. */
  function placeholders() {
    for (const frame of document.querySelectorAll("iframe[data-consent][data-src]")) {
      const name = frame.dataset.consent;
      const previous = frame.previousElementSibling;
      if (granted[name] || (previous && previous.hasAttribute(PLACEHOLDER))) continue;
      frame.hidden = true;
      frame.before(renderPlaceholder(name));
    }
  }

  function renderPlaceholder(name) {
    const [host, shadow] = shadowHost();
    host.setAttribute(PLACEHOLDER, name);
    addStyles(shadow);
    const vendors = texts.vendors[name];
    shadow.append(el("div", { class: "placeholder", lang: language, dir: dir },
      el("p", {}, texts.blocked_content + " " + texts["category_" + name] + "."),
      vendors ? el("p", { class: "vendors" }, fill(texts.placeholder_vendors, { vendors })) : null,
      button("allow", texts.allow, () => allow(name))));
    return host;
  }

  // ---- leak watch: trackers that escape the gate -------------------------------------------------
  /** Tell whether keys and hosts of a category may be there: it is mandatory or granted. */
  function allowed(category) {
    return category === MANDATORY || granted[category];
  }

  /** Tell whether rules (category -> entries) tie a value to categories, none of them allowed. */
  function escaped(rules, covers) {
    const covering = Object.keys(rules).filter((name) => rules[name].some(covers));
    return covering.length > 0 && !covering.some(allowed);
  }

  /**
   * Watch this page view for cookies, storage keys and requests that the catalog or the built-in
   * trackers tie to a category the visitor has not granted (whenever they appear: before any
   * choice, after a refusal or a withdrawal); send one report of them, if any.
   * @param {{keys: Object<string, Array<KeyPattern>>, hosts: Object<string, Array<string>>}} rules
   */
  function watchLeaks(rules) {
    const found = { cookies: new Set(), storage: new Set(), hosts: new Set() };
    let sent = false;
    const keyEscaped = (letter, key) => escaped(rules.keys,
                                                (pattern) => matches(pattern, letter, key));
    const look = () => {
      let cookies = [];
      try {
        cookies = document.cookie ? document.cookie.split("; ").map((pair) => pair.split("=")[0]) : [];
      } catch (error) { /* cookies blocked: none can leak */ }
      for (const name of cookies) if (keyEscaped("c", name)) found.cookies.add(name);
      for (const [letter, name] of [["l", "localStorage"], ["s", "sessionStorage"]]) {
        try {
          for (const key of Object.keys(window[name])) {
            if (keyEscaped(letter, key)) found.storage.add(key);
          }
        } catch (error) { /* storage blocked: nothing in it can leak */ }
      }
    };
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const host = new URL(entry.name).hostname;
        if (escaped(rules.hosts, (listed) => host === listed || host.endsWith("." + listed))) {
          found.hosts.add(host);
        }
      }
      look();
    });
    const send = () => {
      if (sent) return;
      sent = true;
      observer.disconnect();
      look();
      const names = (set) => [...set].slice(0, LEAK_NAMES);
      /** @type {LeakReport} */
      const report = { site: config.site, page: location.pathname.slice(0, 300),
                       build: config.build, cookies: names(found.cookies),
                       storage: names(found.storage), hosts: names(found.hosts) };
      if (report.cookies.length || report.storage.length || report.hosts.length) {
        // A string goes as text/plain: a simple request, no CORS preflight.
        navigator.sendBeacon(new URL("leaks", config.api).href, JSON.stringify(report));
      }
    };
    observer.observe({ type: "resource", buffered: true });
    look();
    setTimeout(send, LEAK_REPORT_AFTER_MS);
    addEventListener("pagehide", send);
    document.addEventListener("visibilitychange", () => document.hidden && send());
  }

  // ---- start --------------------------------------------------------------------------------------
  addStyles(root);
  settings.append(
    el("h3", {}, texts.settings_title),
    el("p", {}, texts.settings_intro),
    ...categories.map(category));
  // In the one row of actions, where Settings stands on the first layer.
  settingsButton.after(button("save", texts.save, () => {
    const choices = {};
    for (const name of categories) choices[name] = isOn(name);
    save(choices);
  }, { class: "button secondary" }));
  sync();
  placeholders();
  // A category granted again since it was withdrawn keeps what it has written since.
  for (const name of toClear.splice(0)) if (!granted[name]) clear(name);
  const launcher = makeLauncher();
  root.append(launcher);
  sendReports();
  addEventListener("online", sendReports);
  // A choice made anywhere (the banner, a placeholder, the page's own ConsentGate calls).
  addEventListener("consent:change", sync);
  // This part runs once per page view: one draw decides whether the view is watched. An opaque
  // origin (a sandboxed preview) may report for no site.
  if (Math.random() < config.leaks && DEFERRED.leaks && config.api && location.origin !== "null") {
    watchLeaks(DEFERRED.leaks);
  }
  return { sync, clear, notices, launcher, sendReports };
}
