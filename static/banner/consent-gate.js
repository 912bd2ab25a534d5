/* Consent Gate banner and tracker gate. The server wraps this file as
 * (function (CONFIG, SCRIPT) { ... })(config, document.currentScript). No framework, no eval. */

/**
 * @typedef {{name: string, match: "exact"|"prefix"|"regex", storage: string}} KeyPattern
 * @typedef {{id: string, subject: string, choices: Object<string, boolean>, catalog: number,
 *            policy: string, document: (string|null), given: number, expires: number,
 *            receipt: (string|undefined)}} StoredConsent
 * @typedef {{event_id: string, consent_id: string, subject_id: string, site: string,
 *            event: string, ui_action: string, choices: Object<string, boolean>,
 *            catalog_version: number, policy_version: string, consent_document_version: (string|null),
 *            language: string, texts_digest: string, banner_build: string, gpc: boolean,
 *            page: string, client_time: string, expires: string}} ConsentReport
 */

// ---- constants -------------------------------------------------------------------------------
var COOKIE_NAME = "cg_consent";
var OUTBOX_KEY = "cg_outbox";
var MANDATORY = "mandatory";
var DAY_MS = 86400000;
var RTL_LANGUAGES = ["ar", "he", "fa", "ur"];
var TRACKER_URLS = {
  yandexMetrica: "https://mc.yandex.ru/metrika/tag.js",
  ga4: "https://www.googletagmanager.com/gtag/js?id=",
  metaPixel: "https://connect.facebook.net/en_US/fbevents.js"
};
var GA_DENIED = {
  ad_storage: "denied", ad_user_data: "denied", ad_personalization: "denied",
  analytics_storage: "denied", functionality_storage: "denied", personalization_storage: "denied",
  security_storage: "granted"
};
var EVENT_READY = "consent:ready";
var EVENT_CHANGE = "consent:change";

var nonce = (SCRIPT && (SCRIPT.nonce || SCRIPT.getAttribute("nonce"))) || "";
var language = pickLanguage();
var texts = CONFIG.texts[language];
var gpc = navigator.globalPrivacyControl === true;
/** @type {StoredConsent|null} */
var consent = null;
var granted = {};          // category -> true once its trackers and markup were started
var ranOwnerScripts = {};  // category -> true once a site-owner script of it ran
var ui = null;

// ---- language ---------------------------------------------------------------------------------
function pickLanguage() {
  var wanted = [document.documentElement.lang].concat(navigator.languages || [navigator.language]);
  for (var i = 0; i < wanted.length; i++) {
    var match = matchLanguage(wanted[i]);
    if (match) return match;
  }
  return CONFIG.defaultLanguage;
}

function matchLanguage(tag) {
  if (!tag) return null;
  var wanted = tag.toLowerCase();
  var base = wanted.split("-")[0];
  var exact = CONFIG.languages.filter(function (code) { return code.toLowerCase() === wanted; });
  var sameBase = CONFIG.languages.filter(function (code) {
    return code.toLowerCase().split("-")[0] === base;
  });
  return exact[0] || sameBase[0] || null;
}

// ---- the consent cookie -----------------------------------------------------------------------
function readConsent() {
  var raw = readCookie(COOKIE_NAME);
  if (!raw) return null;
  try {
    var parsed = JSON.parse(raw);
    return parsed && typeof parsed.choices === "object" ? parsed : null;
  } catch (error) {
    return null;
  }
}

function readCookie(name) {
  var pairs = document.cookie ? document.cookie.split("; ") : [];
  for (var i = 0; i < pairs.length; i++) {
    var at = pairs[i].indexOf("=");
    if (pairs[i].slice(0, at) === name) return decodeURIComponent(pairs[i].slice(at + 1));
  }
  return null;
}

function writeConsent(stored) {
  var secure = location.protocol === "https:" ? "; Secure" : "";
  var maxAge = Math.round((stored.expires - Date.now()) / 1000);
  document.cookie = COOKIE_NAME + "=" + encodeURIComponent(JSON.stringify(stored)) +
    "; Path=/; Max-Age=" + maxAge + "; SameSite=Lax" + secure;
}

/** Return why a stored consent no longer holds: "" when it does. */
function staleReason(stored) {
  if (!stored) return "";
  if (stored.expires <= Date.now()) return "changed_expired";
  if (stored.catalog !== CONFIG.versions.catalog) return "changed_catalog";
  if (stored.policy !== CONFIG.versions.policy || stored.document !== CONFIG.versions.document) {
    return "changed_policy";
  }
  return "";
}

function randomId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  var bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); })
    .join("");
}

// ---- choosing ---------------------------------------------------------------------------------
function optionalCategories() {
  return CONFIG.categories.filter(function (name) { return name !== MANDATORY; });
}

function choicesWhere(allow) {
  var choices = {};
  CONFIG.categories.forEach(function (name) { choices[name] = name === MANDATORY || allow(name); });
  return choices;
}

/** Store, apply and report a choice; uiAction names the control that made it. */
function choose(choices, uiAction) {
  var previous = consent;
  var now = Date.now();
  var allRefused = optionalCategories().every(function (name) { return !choices[name]; });
  var days = allRefused ? CONFIG.refusalDays : CONFIG.lifetimeDays;
  consent = {
    id: randomId(),
    subject: previous ? previous.subject : randomId(),
    choices: choices,
    catalog: CONFIG.versions.catalog,
    policy: CONFIG.versions.policy,
    document: CONFIG.versions.document,
    given: now,
    expires: now + days * DAY_MS
  };
  writeConsent(consent);
  report(previous, uiAction);
  apply(choices);
  emit(EVENT_CHANGE);
}

function eventName(previous, choices) {
  var withdrawn = previous && optionalCategories().some(function (name) {
    return previous.choices[name] && !choices[name];
  });
  if (withdrawn) return "withdraw";
  if (previous) return "update";
  return optionalCategories().some(function (name) { return choices[name]; }) ? "grant" : "deny";
}

function emit(type) {
  window.dispatchEvent(new CustomEvent(type, { detail: publicConsent() }));
}

function publicConsent() {
  if (!consent) return null;
  return { id: consent.id, choices: Object.assign({}, consent.choices),
           given: new Date(consent.given).toISOString(),
           expires: new Date(consent.expires).toISOString() };
}

// ---- applying: the gate -----------------------------------------------------------------------
function apply(choices) {
  optionalCategories().forEach(function (name) {
    if (choices[name] && !granted[name]) start(name);
    else if (!choices[name] && granted[name]) stop(name);
  });
}

function start(category) {
  granted[category] = true;
  Object.keys(CONFIG.trackers).forEach(function (kind) {
    var tracker = CONFIG.trackers[kind];
    if (tracker.category === category) TRACKERS[kind].start(tracker);
  });
  activateMarkup(category);
}

function stop(category) {
  granted[category] = false;
  Object.keys(CONFIG.trackers).forEach(function (kind) {
    var tracker = CONFIG.trackers[kind];
    if (tracker.category === category) TRACKERS[kind].stop(tracker);
  });
  clearStoredData(CONFIG.clear[category] || []);
  // A site owner's script that already ran cannot be unloaded: only a reload stops it.
  if (ranOwnerScripts[category]) location.reload();
}

function injectScript(src) {
  var script = document.createElement("script");
  script.async = true;
  script.src = src;
  if (nonce) script.nonce = nonce;
  document.head.appendChild(script);
  return script;
}

function gtag() { window.dataLayer.push(arguments); }

var TRACKERS = {
  yandexMetrica: {
    start: function (tracker) {
      window["disableYaCounter" + tracker.id] = false;
      if (!window.ym) {
        window.ym = function () { (window.ym.a = window.ym.a || []).push(arguments); };
        window.ym.l = Date.now();
        injectScript(TRACKER_URLS.yandexMetrica);
      }
      window.ym(Number(tracker.id), "init", { clickmap: true, trackLinks: true,
                                             accurateTrackBounce: true });
    },
    stop: function (tracker) {
      window["disableYaCounter" + tracker.id] = true;
      if (window.ym) window.ym(Number(tracker.id), "destruct");
    }
  },
  ga4: {
    start: function (tracker) {
      window["ga-disable-" + tracker.id] = false;
      gtag("consent", "update", googleConsent());
      if (!tracker.loaded) {
        tracker.loaded = true;
        injectScript(TRACKER_URLS.ga4 + encodeURIComponent(tracker.id));
        gtag("js", new Date());
        gtag("config", tracker.id);
      }
    },
    stop: function (tracker) {
      gtag("consent", "update", googleConsent());
      window["ga-disable-" + tracker.id] = true;
    }
  },
  metaPixel: {
    start: function () {
      if (!window.fbq) {
        var fbq = window.fbq = function () {
          if (fbq.callMethod) fbq.callMethod.apply(fbq, arguments);
          else fbq.queue.push(arguments);
        };
        window._fbq = fbq;
        fbq.push = fbq; fbq.loaded = true; fbq.version = "2.0"; fbq.queue = [];
        injectScript(TRACKER_URLS.metaPixel);
        fbq("consent", "revoke");
        fbq("init", CONFIG.trackers.metaPixel.id);
      }
      window.fbq("consent", "grant");
      window.fbq("track", "PageView");
    },
    stop: function () {
      if (window.fbq) window.fbq("consent", "revoke");
    }
  }
};

function googleConsent() {
  var state = Object.assign({}, GA_DENIED);
  var analytics = CONFIG.trackers.ga4.category;
  if (granted[analytics]) state.analytics_storage = "granted";
  if (granted.marketing) {
    state.ad_storage = state.ad_user_data = state.ad_personalization = "granted";
  }
  if (granted.functional) state.functionality_storage = state.personalization_storage = "granted";
  return state;
}

/** Set Consent Mode defaults before anything else can talk to Google. */
function prepareGoogle() {
  var tracker = CONFIG.trackers.ga4;
  if (!tracker) return;
  window.dataLayer = window.dataLayer || [];
  // Site owners call gtag() as Google's snippet defines it; events queue until consent.
  window.gtag = window.gtag || gtag;
  gtag("consent", "default", GA_DENIED);
  if (tracker.mode === "advanced") {
    tracker.loaded = true;
    injectScript(TRACKER_URLS.ga4 + encodeURIComponent(tracker.id));
    gtag("js", new Date());
    gtag("config", tracker.id);
  }
}

// ---- site-owner markup ------------------------------------------------------------------------
function activateMarkup(category) {
  var selector = '[data-consent="' + category + '"]';
  var pending = Array.prototype.slice.call(document.querySelectorAll(
    'script[type="text/plain"]' + selector));
  runScriptsInOrder(pending, category);
  document.querySelectorAll("iframe" + selector + "[data-src], img" + selector + "[data-src]")
    .forEach(function (element) {
      element.src = element.getAttribute("data-src");
      element.removeAttribute("data-src");
      element.hidden = false;
      var placeholder = element.previousElementSibling;
      if (placeholder && placeholder.hasAttribute("data-consent-placeholder")) placeholder.remove();
    });
}

function runScriptsInOrder(scripts, category) {
  if (!scripts.length) return;
  var original = scripts.shift();
  var script = document.createElement("script");
  Array.prototype.forEach.call(original.attributes, function (attribute) {
    if (attribute.name !== "type" && attribute.name !== "data-consent") {
      script.setAttribute(attribute.name, attribute.value);
    }
  });
  script.type = original.getAttribute("data-type") || "text/javascript";
  if (nonce) script.nonce = nonce;
  ranOwnerScripts[category] = true;
  var next = function () { runScriptsInOrder(scripts, category); };
  if (original.src) {
    script.async = false;
    script.onload = script.onerror = next;
    script.src = original.src;
    original.replaceWith(script);
  } else {
    script.textContent = original.textContent;
    original.replaceWith(script);
    next();
  }
}

function placeholders() {
  document.querySelectorAll("iframe[data-consent][data-src]").forEach(function (frame) {
    var category = frame.getAttribute("data-consent");
    var previous = frame.previousElementSibling;
    if (granted[category] || (previous && previous.hasAttribute("data-consent-placeholder"))) return;
    frame.hidden = true;
    frame.parentNode.insertBefore(renderPlaceholder(category), frame);
  });
}

// ---- withdrawal: clearing what the trackers left ----------------------------------------------
function matches(pattern, key) {
  if (pattern.match === "prefix") return key.indexOf(pattern.name.replace(/\*$/, "")) === 0;
  if (pattern.match === "regex") {
    try { return new RegExp(pattern.name).test(key); } catch (error) { return false; }
  }
  return key === pattern.name;
}

function clearStoredData(patterns) {
  var cookies = document.cookie ? document.cookie.split("; ") : [];
  cookies.forEach(function (pair) {
    var name = pair.slice(0, pair.indexOf("="));
    if (name === COOKIE_NAME) return;
    patterns.forEach(function (pattern) {
      if (pattern.storage === "cookie" && matches(pattern, name)) deleteCookie(name);
    });
  });
  [["localStorage", window.localStorage], ["sessionStorage", window.sessionStorage]]
    .forEach(function (entry) {
      var storage = entry[1];
      var keys = [];
      for (var i = 0; storage && i < storage.length; i++) keys.push(storage.key(i));
      keys.forEach(function (key) {
        patterns.forEach(function (pattern) {
          if (pattern.storage === entry[0] && matches(pattern, key)) storage.removeItem(key);
        });
      });
    });
}

/** Delete a cookie on this host and on every parent domain a tracker may have used. */
function deleteCookie(name) {
  var expired = name + "=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/";
  document.cookie = expired;
  var labels = location.hostname.split(".");
  for (var i = 0; i < labels.length - 1; i++) {
    document.cookie = expired + "; Domain=." + labels.slice(i).join(".");
  }
}

// ---- reporting ----------------------------------------------------------------------------------
function report(previous, uiAction) {
  if (!CONFIG.api) return;
  /** @type {ConsentReport} */
  var body = {
    event_id: randomId(), consent_id: consent.id, subject_id: consent.subject, site: CONFIG.site,
    event: eventName(previous, consent.choices), ui_action: uiAction, choices: consent.choices,
    catalog_version: consent.catalog, policy_version: consent.policy,
    consent_document_version: consent.document, language: language,
    texts_digest: texts.digest, banner_build: CONFIG.build, gpc: gpc,
    page: location.origin + location.pathname, client_time: new Date(consent.given).toISOString(),
    expires: new Date(consent.expires).toISOString()
  };
  var outbox = readOutbox();
  outbox.push(body);
  writeOutbox(outbox);
  flushOutbox();
}

function readOutbox() {
  try { return JSON.parse(localStorage.getItem(OUTBOX_KEY)) || []; } catch (error) { return []; }
}

function writeOutbox(outbox) {
  try {
    if (outbox.length) localStorage.setItem(OUTBOX_KEY, JSON.stringify(outbox));
    else localStorage.removeItem(OUTBOX_KEY);
  } catch (error) { /* storage disabled: the report is sent once, without retry */ }
}

/** Send queued reports; keep those that fail, to retry on the next page or when online. */
function flushOutbox() {
  readOutbox().forEach(function (body) {
    // text/plain keeps this a simple request: no CORS preflight.
    fetch(CONFIG.api, { method: "POST", body: JSON.stringify(body), keepalive: true,
                        credentials: "omit", headers: { "Content-Type": "text/plain" } })
      .then(function (response) {
        if (response.status >= 500) return;
        writeOutbox(readOutbox().filter(function (queued) {
          return queued.event_id !== body.event_id;
        }));
      })
      .catch(function () { /* offline: retried later */ });
  });
}

// ---- the banner -------------------------------------------------------------------------------
/** Create an element; strings in children become text nodes, never HTML. */
function el(tag, attributes, children) {
  var element = document.createElement(tag);
  Object.keys(attributes || {}).forEach(function (name) {
    var value = attributes[name];
    if (typeof value === "function") element.addEventListener(name, value);
    else if (value === true) element.setAttribute(name, "");
    else if (value !== false && value != null) element.setAttribute(name, value);
  });
  (children || []).forEach(function (child) {
    if (child != null) element.append(child);
  });
  return element;
}

function shadowHost(id) {
  var host = el("div", { id: id, "data-consent-gate": true });
  var root = host.attachShadow({ mode: "open" });
  var sheet = new CSSStyleSheet();
  sheet.replaceSync(CONFIG.css);
  root.adoptedStyleSheets = [sheet];
  return { host: host, root: root };
}

function renderPlaceholder(category) {
  var shell = shadowHost("");
  shell.host.setAttribute("data-consent-placeholder", category);
  shell.root.append(el("div", { class: "placeholder", lang: language, dir: direction() }, [
    el("p", {}, [texts.blocked_content + " " + texts["category_" + category]]),
    el("button", { type: "button", class: "button", click: function () {
      window.ConsentGate.acceptCategory(category);
    } }, [texts.allow])
  ]));
  return shell.host;
}

function direction() {
  return RTL_LANGUAGES.indexOf(language.split("-")[0]) >= 0 ? "rtl" : "ltr";
}

function buildUi() {
  var shell = shadowHost("consent-gate");
  var switches = {};
  var notice = el("p", { class: "notice", role: "status", hidden: true });
  var settings = el("div", { class: "settings", hidden: true }, [
    el("h3", {}, [texts.settings_title]),
    el("p", {}, [texts.settings_intro])
  ].concat(CONFIG.categories.map(function (name) {
    var input = el("input", { type: "checkbox", role: "switch", id: "cg-" + name,
                              disabled: name === MANDATORY, checked: name === MANDATORY });
    switches[name] = input;
    return el("section", { class: "category" }, [
      el("div", { class: "switch-row" }, [
        input,
        el("label", { for: "cg-" + name }, [texts["category_" + name]]),
        name === MANDATORY ? el("span", { class: "always" }, [texts.always_on]) : null
      ]),
      el("p", {}, [texts["about_" + name]]),
      catalogTable(name)
    ]);
  })).concat([
    el("button", { type: "button", class: "button", "data-action": "save",
                   click: function () { choose(choicesWhere(function (name) {
                     return switches[name].checked; }), "save_choices"); close(); } },
       [texts.save])
  ]));
  var dialog = el("div", { class: "dialog", role: "dialog", "aria-modal": "true",
                           "aria-labelledby": "cg-title", "aria-describedby": "cg-intro",
                           lang: language, dir: direction(), tabindex: "-1", hidden: true,
                           keydown: onKeydown }, [
    el("button", { type: "button", class: "close", "aria-label": texts.close,
                   click: function () { dismiss(); } }, ["×"]),
    el("h2", { id: "cg-title" }, [texts.title]),
    notice,
    el("p", { id: "cg-intro" }, [texts.intro]),
    el("ul", { class: "purposes" }, optionalCategories().map(function (name) {
      return el("li", {}, [el("strong", {}, [texts["category_" + name] + ": "]),
                           texts["about_" + name]]);
    })),
    el("p", { class: "links" }, [
      el("a", { href: CONFIG.links.policy, target: "_blank", rel: "noopener" },
         [texts.privacy_policy]),
      CONFIG.links.document ? " · " : null,
      CONFIG.links.document ? el("a", { href: CONFIG.links.document, target: "_blank",
                                        rel: "noopener" }, [texts.consent_document]) : null
    ]),
    settings,
    el("div", { class: "actions" }, [
      el("button", { type: "button", class: "button", "data-action": "accept",
                     click: function () { choose(choicesWhere(function () { return true; }),
                                                 "accept_all"); close(); } }, [texts.accept_all]),
      el("button", { type: "button", class: "button", "data-action": "reject",
                     click: function () { rejectAll(); close(); } }, [texts.reject_all]),
      el("button", { type: "button", class: "button", "data-action": "settings",
                     "aria-expanded": "false", click: toggleSettings }, [texts.settings])
    ])
  ]);
  var launcher = el("button", { type: "button", class: "launcher", "aria-label": texts.settings_title,
                                title: texts.settings_title, lang: language, hidden: true,
                                click: function () { open(""); } }, [cookieIcon()]);
  shell.root.append(dialog, launcher);
  document.body.appendChild(shell.host);
  return { dialog: dialog, settings: settings, switches: switches, notice: notice,
           launcher: launcher, root: shell.root, returnFocus: null };
}

function catalogTable(category) {
  var rows = texts.rows[category] || [];
  if (!rows.length) return null;
  var headers = ["column_name", "column_provider", "column_purpose", "column_lifetime"];
  return el("details", {}, [
    el("summary", {}, [texts["category_" + category] + " (" + rows.length + ")"]),
    el("table", {}, [
      el("thead", {}, [el("tr", {}, headers.map(function (key) {
        return el("th", { scope: "col" }, [texts[key]]);
      }))]),
      el("tbody", {}, rows.map(function (row) {
        return el("tr", {}, row.map(function (cell) { return el("td", {}, [cell]); }));
      }))
    ])
  ]);
}

function cookieIcon() {
  var ns = "http://www.w3.org/2000/svg";
  var svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  var path = document.createElementNS(ns, "path");
  path.setAttribute("d", "M12 2a10 10 0 1 0 10 10 4 4 0 0 1-5-5 4 4 0 0 1-5-5zm-4 9a1.5 1.5 0 1 1 " +
    "0 3 1.5 1.5 0 0 1 0-3zm5 4a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3zm-1-8a1 1 0 1 1 0 2 1 1 0 0 1 0-2z");
  svg.appendChild(path);
  return svg;
}

function toggleSettings() {
  var showing = ui.settings.hidden;
  ui.settings.hidden = !showing;
  ui.dialog.querySelector('[data-action="settings"]').setAttribute("aria-expanded", String(showing));
  if (showing) ui.switches[optionalCategories()[0] || MANDATORY].focus();
}

/** Show the banner; reason names a text that says why it is shown again. */
function open(reason) {
  if (!ui) ui = buildUi();
  ui.returnFocus = document.activeElement;
  var notices = [reason ? texts[reason] : "", gpc && CONFIG.gpc === "refuse" ? texts.gpc_notice : ""]
    .filter(Boolean);
  ui.notice.textContent = notices.join(" ");
  ui.notice.hidden = !notices.length;
  CONFIG.categories.forEach(function (name) {
    ui.switches[name].checked = name === MANDATORY || Boolean(consent && consent.choices[name] &&
                                                              !staleReason(consent));
  });
  ui.launcher.hidden = true;
  ui.dialog.hidden = false;
  ui.dialog.focus();
}

function close() {
  ui.dialog.hidden = true;
  ui.settings.hidden = true;
  ui.launcher.hidden = false;
  var target = ui.returnFocus;
  if (target && target.focus && target !== document.body) target.focus();
  else ui.launcher.focus();
}

/** Close without choosing: a first visit counts as refusal, a later one keeps the choice. */
function dismiss() {
  if (!consent || staleReason(consent)) rejectAll();
  close();
}

function rejectAll() {
  choose(choicesWhere(function () { return false; }),
         consent && !staleReason(consent) ? "withdraw" : "reject_all");
}

function onKeydown(event) {
  if (event.key === "Escape") {
    event.preventDefault();
    dismiss();
    return;
  }
  if (event.key !== "Tab") return;
  var focusable = Array.prototype.filter.call(
    ui.dialog.querySelectorAll("button, a[href], input:not([disabled]), summary"),
    function (element) { return element.offsetParent !== null || element === ui.root.activeElement; });
  var first = focusable[0];
  var last = focusable[focusable.length - 1];
  var active = ui.root.activeElement;
  if (event.shiftKey && (active === first || active === ui.dialog)) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && active === last) {
    event.preventDefault();
    first.focus();
  }
}

// ---- public API and start-up ------------------------------------------------------------------
window.ConsentGate = {
  show: function () { open(""); },
  getConsent: publicConsent,
  acceptCategory: function (category) {
    if (CONFIG.categories.indexOf(category) < 0) return;
    var current = consent && !staleReason(consent) ? consent.choices : choicesWhere(function () {
      return false; });
    choose(Object.assign({}, current, (function () { var c = {}; c[category] = true; return c; })()),
           "api");
  },
  withdraw: function () { choose(choicesWhere(function () { return false; }), "withdraw"); }
};

function startUp() {
  consent = readConsent();
  var reason = staleReason(consent);
  if (consent && !reason) apply(consent.choices);
  placeholders();
  flushOutbox();
  window.addEventListener("online", flushOutbox);
  document.addEventListener("click", function (event) {
    var opener = event.target.closest && event.target.closest("[data-consent-open]");
    if (opener) { event.preventDefault(); open(""); }
  });
  ui = buildUi();
  if (!consent || reason) open(reason);
  else ui.launcher.hidden = false;
  emit(EVENT_READY);
}

prepareGoogle();
if (document.body) startUp();
else document.addEventListener("DOMContentLoaded", startUp);
