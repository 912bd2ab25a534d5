/* Consent Gate banner and tracker gate: what a visitor needs before the banner is visible, and the
 * consent itself (cookie, Consent Mode defaults, withdrawal and clearing, reports). The file is one
 * function, consentGate(CONFIG, SCRIPT); the server calls it as
 * (function consentGate(CONFIG, SCRIPT) { ... })\n(config, document.currentScript).
 * The settings layer, the built-in trackers' loaders and the site owner's gated markup live in
 * consent-gate-deferred.js, a second, content-hashed script fetched once the banner is visible
 * (at once when a stored consent allows something). No framework, no eval. */

/**
 * A key the gate deletes on withdrawal: storage (c cookie, l localStorage, s sessionStorage),
 * match (e exact, p prefix, r regular expression), then the name, e.g. "cp_ym_".
 * @typedef {string} KeyPattern
 * The visitor's choice as the consent cookie keeps it. key is the subject's secret: only this
 * browser knows it, and every report for the subject must present it.
 * @typedef {{id: string, subject: string, key: string, choices: Object<string, boolean>,
 *            catalog: number, policy: string, document: (string|null), given: number,
 *            expires: number, receipt: (string|undefined)}} StoredConsent
 * @typedef {{event_id: string, consent_id: string, subject_id: string, subject_secret: string,
 *            site: string,
 *            event: string, ui_action: string, choices: Object<string, boolean>,
 *            catalog_version: number, policy_version: string, consent_document_version: (string|null),
 *            language: string, texts_digest: string, banner_build: string, gpc: boolean,
 *            page: string, client_time: string, expires: string}} ConsentReport
 * @typedef {{site: string, language: string}} Impression  (counts a first layer shown; nothing
 *            about the visitor)
 * What the banner lends the deferred part (consent-gate-deferred.js reads it as GATE, by name):
 * el(tag, attributes, ...children) and button(name, label, onClick) make elements,
 * shadowHost() returns [host, shadow root] styled like the banner; texts are the visitor's;
 * root and settings are the banner's shadow root and its (empty) settings container; current()
 * returns the valid stored consent or null; granted and ranOwnerScripts are, per category,
 * whether its trackers started and whether an owner script of it ran; save(choices) stores the
 * settings layer's choice and allow(category) a placeholder's; trackers is CONFIG.trackers;
 * injectScript(src), gtag(...), googleConsent(), loadGoogle(tracker) and fill(text, values)
 * are the banner's own.
 * @typedef {{el: Function, button: Function, shadowHost: Function, texts: Object<string, *>,
 *            root: ShadowRoot, settings: HTMLElement, current: function(): (StoredConsent|null),
 *            nonce: string, language: string, dir: string, granted: Object<string, boolean>,
 *            ranOwnerScripts: Object<string, boolean>, save: function(Object<string, boolean>),
 *            allow: function(string), fill: function(string, Object<string, string>): string,
 *            trackers: Object<string, {id: string, category: string, mode: (string|undefined)}>,
 *            injectScript: function(string): HTMLScriptElement, gtag: Function,
 *            googleConsent: function(): Object<string, string>, loadGoogle: Function}} GateApi
 * What the deferred part hands back: sync() sets its switches to the stored choice;
 * toggle(category, on) starts or stops the category's trackers and markup.
 * @typedef {{sync: function(), toggle: function(string, boolean)}} DeferredPart
 */

/**
 * Gate the page's trackers on the visitor's consent and show the banner.
 * @param {Object} CONFIG  the site's banner config (app/banner/config.py, banner_config)
 * @param {HTMLScriptElement|null} SCRIPT  the embed tag, for its nonce
 */
function consentGate(CONFIG, SCRIPT) {
  "use strict";


  // ---- constants -------------------------------------------------------------------------------
  const COOKIE_NAME = "cg_consent";
  const OUTBOX_KEY = "cg_outbox";
  const MANDATORY = "mandatory";
  const DAY_MS = 864e5;
  const RTL_LANGUAGES = ["ar", "he", "fa", "ur"];
  const GTAG_URL = "https://www.googletagmanager.com/gtag/js?id=";
  const DENIED = "denied";
  const GRANTED = "granted";
  /** Consent events a report names (ConsentReport.event). */
  const EVENT = { GRANT: "grant", DENY: "deny", UPDATE: "update", WITHDRAW: "withdraw" };
  /** What the visitor did (ConsentReport.ui_action). */
  const UI_ACTION = { ACCEPT_ALL: "accept_all", REJECT_ALL: "reject_all",
                      SAVE_CHOICES: "save_choices", WITHDRAW: "withdraw", API: "api",
                      DISMISS: "dismiss", PLACEHOLDER: "placeholder" };
  /** DOM events on window, with the public consent as detail. */
  const DOM_EVENT = { READY: "consent:ready", CHANGE: "consent:change" };
  /** A sandboxed page (the console's preview) has an opaque origin: no cookies, storage or
   * reports there, and touching cookies throws. */
  const OPAQUE_ORIGIN = location.origin === "null";

  const nonce = (SCRIPT && SCRIPT.nonce) || "";
  const language = pickLanguage();
  const texts = CONFIG.texts[language];
  const gpc = navigator.globalPrivacyControl === true;
  const optional = CONFIG.categories.filter((name) => name !== MANDATORY);
  /** @type {StoredConsent|null} */
  let consent = null;
  const granted = {};          // category -> true once its trackers and markup were started
  const ranOwnerScripts = {};  // category -> true once a site-owner script of it ran

  // ---- language ---------------------------------------------------------------------------------
  function pickLanguage() {
    const base = (tag) => tag.toLowerCase().split("-")[0];
    for (const tag of [document.documentElement.lang, ...(navigator.languages || [])]) {
      if (!tag) continue;
      const match = CONFIG.languages.find((code) => code.toLowerCase() === tag.toLowerCase()) ||
        CONFIG.languages.find((code) => base(code) === base(tag));
      if (match) return match;
    }
    return CONFIG.defaultLanguage;
  }

  // ---- the consent cookie -----------------------------------------------------------------------
  function readCookies() {
    try { return document.cookie; } catch (error) { return ""; }
  }

  /** Set a cookie; where cookies are blocked the choice lasts as long as the page. */
  function setCookie(value) {
    try { document.cookie = value; } catch (error) { /* blocked: nothing to keep it in */ }
  }

  function cookieNames() {
    const cookies = readCookies();
    return cookies ? cookies.split("; ").map((pair) => pair.split("=")[0]) : [];
  }

  function readConsent() {
    const pair = readCookies().split("; ").find((item) => item.startsWith(COOKIE_NAME + "="));
    try {
      const parsed = pair && JSON.parse(decodeURIComponent(pair.slice(COOKIE_NAME.length + 1)));
      const valid = parsed && parsed.choices && typeof parsed.choices === "object" &&
        typeof parsed.id === "string" && typeof parsed.subject === "string";
      return valid ? parsed : null;
    } catch (error) {
      return null;
    }
  }

  function writeConsent() {
    const secure = location.protocol === "https:" ? "; Secure" : "";
    // The cookie outlives the consent, so the banner can say it expired and keep the subject id.
    const maxAge = Math.min(400 * 86400, Math.round((consent.expires - Date.now()) / 1000) + 30 * 86400);
    setCookie(`${COOKIE_NAME}=${encodeURIComponent(JSON.stringify(consent))}; Path=/; ` +
      `Max-Age=${maxAge}; SameSite=Lax${secure}`);
  }

  /** Return why a stored consent no longer holds: "" when it does. */
  function staleReason(stored) {
    const versions = CONFIG.versions;
    if (!stored) return "";
    if (stored.expires <= Date.now()) return "changed_expired";
    if (stored.policy !== versions.policy || stored.document !== versions.document) {
      return "changed_policy";
    }
    // A new cookie or text in the catalog does not ask again; a new recipient in a granted
    // category does (CNIL 2020-092: consent is given to named recipients).
    return addedSince(stored).length ? "changed_vendors" : "";
  }

  /**
   * Return a line per granted category that vendors joined after the stored consent was given.
   * @param {StoredConsent} stored
   * @returns {Array<string>}
   */
  function addedSince(stored) {
    return Object.entries(CONFIG.added).filter(([category]) => stored.choices[category])
      .map(([category, entries]) => [category, entries.filter(([, when]) => when > stored.given)])
      .filter(([, entries]) => entries.length)
      .map(([category, entries]) => fill(texts.changed_vendors, {
        vendors: entries.map(([name]) => name).join(", "), category: texts["category_" + category] }));
  }

  /** Put values into a text's %(name)s placeholders. */
  function fill(text, values) {
    return text.replace(/%\((\w+)\)s/g, (whole, name) => (name in values ? values[name] : whole));
  }

  /**
   * Return the stored consent while it is valid (not expired, same catalog and policy).
   * @returns {StoredConsent|null}
   */
  function current() {
    return consent && !staleReason(consent) ? consent : null;
  }

  function randomId() {
    return crypto.randomUUID ? crypto.randomUUID() : randomHex(16);
  }

  /** Return n random bytes as hex: a subject's secret takes 32 (256 bits). */
  function randomHex(n) {
    return [...crypto.getRandomValues(new Uint8Array(n))].map((b) => (b + 256).toString(16).slice(1))
      .join("");
  }

  // ---- choosing ---------------------------------------------------------------------------------
  function choicesWhere(allow) {
    const choices = {};
    for (const name of CONFIG.categories) choices[name] = name === MANDATORY || allow(name);
    return choices;
  }

  /** Store, apply and report a choice; uiAction names the control that made it. */
  function choose(choices, uiAction) {
    const previous = current();
    const before = consent && consent.choices;
    const now = Date.now();
    const refused = optional.every((name) => !choices[name]);
    const days = refused ? CONFIG.refusalDays : CONFIG.lifetimeDays;
    const versions = CONFIG.versions;
    // A cookie from before subjects had a secret cannot prove its subject: start a new one.
    const known = consent && consent.key;
    consent = { id: randomId(), subject: known ? consent.subject : randomId(),
                key: known ? consent.key : randomHex(32), choices,
                catalog: versions.catalog, policy: versions.policy, document: versions.document,
                given: now, expires: now + days * DAY_MS };
    writeConsent();
    report(eventName(previous, choices), uiAction);
    apply(choices, before);
    emit(DOM_EVENT.CHANGE);
  }

  function eventName(previous, choices) {
    if (previous && optional.some((name) => previous.choices[name] && !choices[name])) {
      return EVENT.WITHDRAW;
    }
    if (previous) return EVENT.UPDATE;
    return optional.some((name) => choices[name]) ? EVENT.GRANT : EVENT.DENY;
  }

  function emit(type) {
    dispatchEvent(new CustomEvent(type, { detail: publicConsent() }));
  }

  function publicConsent() {
    return consent && { id: consent.id, choices: { ...consent.choices }, receipt: consent.receipt,
                        given: new Date(consent.given).toISOString(),
                        expires: new Date(consent.expires).toISOString() };
  }

  // ---- applying: the gate -----------------------------------------------------------------------
  /** Start granted categories and stop refused ones; clear what an earlier grant left behind. */
  function apply(choices, before) {
    for (const name of optional) {
      if (choices[name] && !granted[name]) toggle(name, true);
      else if (!choices[name] && granted[name]) toggle(name, false);
      else if (!choices[name] && before && before[name]) clearStoredData(CONFIG.clear[name] || []);
    }
    // One update after every category moved, so ad signals follow marketing as well as analytics.
    if (CONFIG.trackers.ga4) gtag("consent", "update", googleConsent());
  }

  function toggle(category, on) {
    granted[category] = on;
    // The deferred part starts and stops the trackers and gated markup; when it arrives, it starts
    // every category granted so far. Nothing it would start runs without it: the gate fails closed.
    if (deferred) deferred.toggle(category, on);
    else if (on) loadDeferred();
    if (on) return;
    clearStoredData(CONFIG.clear[category] || []);
    // A site owner's script that already ran cannot be unloaded: only a reload stops it.
    if (ranOwnerScripts[category]) location.reload();
  }

  /**
   * Load a script after the embed tag, with its nonce.
   * @param {string} src
   * @returns {HTMLScriptElement}
   */
  function injectScript(src) {
    const script = document.createElement("script");
    script.async = true;
    script.src = src;
    script.nonce = nonce;
    document.head.appendChild(script);
    return script;
  }

  /** Queue a gtag.js command, as Google's snippet does (arguments, not an array). */
  function gtag() {
    dataLayer.push(arguments);
  }

  /**
   * Return the Consent Mode state that the categories granted so far give.
   * @returns {Object<string, string>}  analytics_storage, ad_storage, ... each GRANTED or DENIED
   */
  function googleConsent() {
    const analytics = granted[CONFIG.trackers.ga4.category] ? GRANTED : DENIED;
    const ads = granted.marketing ? GRANTED : DENIED;
    return { analytics_storage: analytics, ad_storage: ads, ad_user_data: ads,
             ad_personalization: ads };
  }

  /**
   * Load gtag.js for a GA4 tracker once, and configure it.
   * @param {{id: string, category: string, mode: (string|undefined), loaded: (boolean|undefined)}} tracker
   */
  function loadGoogle(tracker) {
    tracker.loaded = true;
    injectScript(GTAG_URL + encodeURIComponent(tracker.id));
    gtag("js", new Date());
    gtag("config", tracker.id);
  }

  /** Set Consent Mode defaults before anything else can talk to Google. */
  function prepareGoogle() {
    const tracker = CONFIG.trackers.ga4;
    if (!tracker) return;
    window.dataLayer = window.dataLayer || [];
    // Site owners call gtag() as Google's snippet defines it; events queue until consent.
    window.gtag = window.gtag || gtag;
    gtag("consent", "default", googleConsent());
    if (tracker.mode === "advanced") loadGoogle(tracker);
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

  function clearStoredData(patterns) {
    const covered = (storage, key) => patterns.some((pattern) => matches(pattern, storage, key));
    for (const name of cookieNames()) {
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
    setCookie(expired);
    for (let i = 0; i < labels.length - 1; i++) {
      setCookie(`${expired}; Domain=.${labels.slice(i).join(".")}`);
    }
  }

  // ---- reporting ----------------------------------------------------------------------------------
  function report(event, uiAction) {
    // No site lists an opaque origin: the service would refuse the report.
    if (!CONFIG.api || OPAQUE_ORIGIN) return;
    /** @type {ConsentReport} */
    const body = {
      event_id: randomId(), consent_id: consent.id, subject_id: consent.subject,
      subject_secret: consent.key, site: CONFIG.site,
      event, ui_action: uiAction, choices: consent.choices, catalog_version: consent.catalog,
      policy_version: consent.policy, consent_document_version: consent.document, language,
      texts_digest: texts.digest, banner_build: CONFIG.build, gpc,
      page: location.origin + location.pathname, client_time: new Date(consent.given).toISOString(),
      expires: new Date(consent.expires).toISOString()
    };
    if (writeOutbox([...readOutbox(), body])) flushOutbox();
    else send(body);
  }

  function readOutbox() {
    try { return JSON.parse(localStorage.getItem(OUTBOX_KEY)) || []; } catch (error) { return []; }
  }

  /** Store the queue; return false when storage is unavailable. */
  function writeOutbox(outbox) {
    try {
      if (outbox.length) localStorage.setItem(OUTBOX_KEY, JSON.stringify(outbox));
      else localStorage.removeItem(OUTBOX_KEY);
      return true;
    } catch (error) {
      return false;
    }
  }

  let sending = false;

  /** Send queued reports one at a time, oldest first; stop at a failure and retry later. */
  function flushOutbox() {
    const body = readOutbox()[0];
    if (sending || !body) return;
    sending = true;
    send(body).then((final) => {
      sending = false;
      if (!final) return;
      writeOutbox(readOutbox().filter((queued) => queued.event_id !== body.event_id));
      flushOutbox();
    });
  }

  /** Send one report; resolve true when the answer is final (stored, or refused for good). */
  function send(body) {
    // text/plain keeps this a simple request: no CORS preflight.
    return fetch(CONFIG.api, { method: "POST", body: JSON.stringify(body), keepalive: true,
                               credentials: "omit", headers: { "Content-Type": "text/plain" } })
      .then((response) => {
        // 429 and 5xx are worth retrying; any other answer is final for this report.
        if (response.status === 429 || response.status >= 500) return false;
        if (response.ok) response.json().then(keepReceipt(body), () => {});
        return true;
      })
      .catch(() => false);
  }

  /** Keep the signed receipt of the current consent, so the visitor can prove it later. */
  function keepReceipt(body) {
    return (answer) => {
      if (consent && consent.id === body.consent_id) {
        consent.receipt = answer.receipt;
        writeConsent();
      }
    };
  }

  // ---- the banner: the first layer ------------------------------------------------------------
  const dir = RTL_LANGUAGES.includes(language.split("-")[0]) ? "rtl" : "ltr";
  let host = null;            // the shadow host of the banner and the launcher
  let root = null;            // its shadow root
  let dialog = null;
  let notice = null;
  let settings = null;        // the settings layer's container, filled by the deferred part
  let settingsButton = null;
  let launcher = null;
  let returnFocus = null;

  /**
   * Create an element; strings in children become text nodes, never HTML.
   * @param {string} tag
   * @param {Object<string, *>} attributes  attributes; a function value is an event listener
   * @param {...(Node|string|null)} children  null children are skipped
   * @returns {HTMLElement}
   */
  function el(tag, attributes, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (typeof value === "function") element.addEventListener(name, value);
      else if (value != null && value !== false) element.setAttribute(name, value === true ? "" : value);
    }
    element.append(...children.filter((child) => child != null));
    return element;
  }

  /**
   * Create a banner button.
   * @param {string} action  its data-action, which tests and styles address
   * @param {string} label
   * @param {function(Event)} click
   * @param {Object<string, string>=} extra  further attributes
   * @returns {HTMLButtonElement}
   */
  function button(action, label, click, extra) {
    return el("button", { type: "button", class: "button", "data-action": action, click, ...extra },
              label);
  }

  /**
   * Return [host, shadow root] of a new element styled by the banner's stylesheet.
   * @param {string=} id  the host's id
   * @returns {Array}  [HTMLElement, ShadowRoot]
   */
  function shadowHost(id) {
    const element = el("div", { id, "data-consent-gate": true });
    const shadow = element.attachShadow({ mode: "open" });
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CONFIG.css);
    shadow.adoptedStyleSheets = [sheet];
    return [element, shadow];
  }

  function buildUi() {
    [host, root] = shadowHost("consent-gate");
    const documentLink = texts.links.document;
    notice = el("p", { class: "notice", role: "status", hidden: true });
    settings = el("div", { class: "settings", hidden: true });
    settingsButton = button("settings", texts.settings, toggleSettings, { "aria-expanded": "false" });
    dialog = el("div", { class: "dialog", role: "dialog", "aria-modal": "true",
                         "aria-labelledby": "cg-title", "aria-describedby": "cg-intro",
                         lang: language, dir, tabindex: "-1", hidden: true, keydown: onKeydown },
      el("button", { type: "button", class: "close", "aria-label": texts.close, click: dismiss }, "×"),
      el("h2", { id: "cg-title" }, texts.title),
      notice,
      el("p", { id: "cg-intro" }, texts.intro),
      el("ul", { class: "purposes" }, ...optional.map(purpose)),
      el("p", { class: "small" }, [texts.kept, texts.cross_border, texts.third_party_cookies]
        .filter(Boolean).join(" ")),
      settings,
      el("div", { class: "actions" },
        button("accept", texts.accept_all, () => {
          choose(choicesWhere(() => true), UI_ACTION.ACCEPT_ALL);
          close();
        }),
        button("reject", texts.reject_all, () => {
          rejectAll();
          close();
        }),
        settingsButton,
        el("p", { class: "links" }, link(texts.links.policy, texts.privacy_policy),
           documentLink ? " · " : null, documentLink ? link(documentLink, texts.consent_document) : null)));
    launcher = el("button", { type: "button", class: "launcher", "aria-label": texts.settings_title,
                              title: texts.settings_title, lang: language, hidden: true,
                              click: () => open("") }, cookieIcon());
    root.append(dialog, launcher);
    document.body.append(host);
  }

  /** A category on the first layer: its name, who receives data in it, and what for. */
  function purpose(name) {
    const vendors = texts.vendors[name];
    return el("li", { "data-category": name }, el("strong", {}, texts["category_" + name] + ": "),
              vendors ? el("span", { class: "vendors" }, vendors + ". ") : null, texts["about_" + name]);
  }

  /** Link a document; a path ("/documents/...") is on this service, next to the deferred part. */
  function link(href, label) {
    return el("a", { href: new URL(href, CONFIG.deferredUrl).href, target: "_blank", rel: "noopener" },
              label);
  }

  function cookieIcon() {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    const path = document.createElementNS(ns, "path");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    path.setAttribute("d", "M12 2a10 10 0 1 0 10 10 4 4 0 0 1-5-5 4 4 0 0 1-5-5zM8 11a1.5 1.5 0 1 1 " +
      "0 3 1.5 1.5 0 0 1 0-3zm5 4a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3zm-1-8a1 1 0 1 1 0 2 1 1 0 0 1 0-2z");
    svg.append(path);
    return svg;
  }

  // ---- the deferred part: settings layer, trackers, gated markup; a second script ------------------
  /** The deferred part once its script has run: {sync: set the switches anew, toggle(category, on)}. */
  let deferred = null;
  let deferredScript = null;  // its <script> while it is on its way
  let afterDeferred = null;   // what to do once it has arrived (open the settings, when asked to)

  /** Fetch the deferred part once the banner is built; a failed fetch is tried again next call. */
  function loadDeferred(then) {
    if (then) afterDeferred = then;
    if (deferred || deferredScript || !root) return;
    deferredScript = injectScript(CONFIG.deferredUrl + texts.digest + ".js");
    deferredScript.onerror = () => {
      deferredScript.remove();
      deferredScript = afterDeferred = null;
    };
    /** Called by the deferred script with its code and its payload (CSS and texts). */
    deferredScript.consentGate = (start, payload) => {
      /** @type {GateApi} */
      const gate = { el, button, shadowHost, texts, root, settings, current, nonce, language, dir,
                     granted, ranOwnerScripts, save: saveChoices, allow: allowFromPlaceholder,
                     trackers: CONFIG.trackers, injectScript, gtag, googleConsent, loadGoogle,
                     fill };
      deferred = start(gate, payload);
      if (afterDeferred) afterDeferred();
    };
  }

  /**
   * Store the settings layer's choice and close the banner.
   * @param {Object<string, boolean>} choices  a choice per category
   */
  function saveChoices(choices) {
    choose(choices, UI_ACTION.SAVE_CHOICES);
    close();
  }

  function toggleSettings() {
    if (!deferred) return loadDeferred(toggleSettings);
    const showing = settings.hidden;
    const first = settings.querySelector("input:enabled");
    settings.hidden = !showing;
    settingsButton.setAttribute("aria-expanded", showing);
    if (showing && first) first.focus();
  }

  /** Show the banner; reason names a text that says why it is shown again. */
  function open(reason) {
    const why = reason === "changed_vendors" ? addedSince(consent).join(" ") : texts[reason];
    const notices = [why, gpc && CONFIG.gpc === "refuse" && texts.gpc_notice].filter(Boolean);
    // Opened from the launcher, the focused element is our own shadow host: return to the launcher.
    returnFocus = document.activeElement === host ? launcher : document.activeElement;
    notice.textContent = notices.join(" ");
    notice.hidden = !notices.length;
    if (deferred) deferred.sync();
    launcher.hidden = true;
    dialog.hidden = false;
    dialog.focus();
    // Once the banner is painted: the first layer never waits for the deferred part.
    requestAnimationFrame(() => setTimeout(loadDeferred));
  }

  /** Count one display of the first layer for the site's statistics. */
  function countShown() {
    /** @type {Impression} */
    const impression = { site: CONFIG.site, language };
    if (CONFIG.shownApi && navigator.sendBeacon && !OPAQUE_ORIGIN) {
      navigator.sendBeacon(CONFIG.shownApi, JSON.stringify(impression));
    }
  }

  function close() {
    afterDeferred = null;
    dialog.hidden = settings.hidden = true;
    settingsButton.setAttribute("aria-expanded", "false");
    launcher.hidden = false;
    (returnFocus && returnFocus !== document.body ? returnFocus : launcher).focus();
  }

  /** Close without choosing: a first visit counts as refusal, a later one keeps the choice. */
  function dismiss() {
    if (!current()) choose(choicesWhere(() => false), UI_ACTION.DISMISS);
    close();
  }

  /**
   * Grant one category from a blocked-content placeholder, keeping the other choices.
   * @param {string} category
   */
  function allowFromPlaceholder(category) {
    grantOne(category, UI_ACTION.PLACEHOLDER);
  }

  function grantOne(category, uiAction) {
    if (!CONFIG.categories.includes(category)) return;
    const stored = current();
    choose({ ...(stored ? stored.choices : choicesWhere(() => false)), [category]: true }, uiAction);
  }

  function rejectAll() {
    choose(choicesWhere(() => false), current() ? UI_ACTION.WITHDRAW : UI_ACTION.REJECT_ALL);
  }

  function onKeydown(event) {
    if (event.key === "Escape") {
      event.preventDefault();
      dismiss();
    }
    if (event.key !== "Tab") return;
    const focusable = [...dialog.querySelectorAll("button, a[href], input:not([disabled]), summary")]
      .filter((element) => element.offsetParent !== null);
    const active = root.activeElement;
    const edge = event.shiftKey ? focusable[0] : focusable[focusable.length - 1];
    if (active === edge || (event.shiftKey && active === dialog)) {
      event.preventDefault();
      (event.shiftKey ? focusable[focusable.length - 1] : focusable[0]).focus();
    }
  }

  // ---- public API and start-up ------------------------------------------------------------------
  window.ConsentGate = {
    show: () => open(""),
    getConsent: publicConsent,
    acceptCategory: (category) => grantOne(category, UI_ACTION.API),
    withdraw: () => choose(choicesWhere(() => false), UI_ACTION.WITHDRAW)
  };

  function startUp() {
    consent = readConsent();
    const reason = staleReason(consent);
    if (consent && !reason) apply(consent.choices);
    flushOutbox();
    addEventListener("online", flushOutbox);
    document.addEventListener("click", (event) => {
      const opener = event.target.closest && event.target.closest("[data-consent-open]");
      if (opener) {
        event.preventDefault();
        open("");
      }
    });
    buildUi();
    if (!current()) {
      open(reason);
      requestAnimationFrame(() => setTimeout(countShown));
    } else {
      launcher.hidden = false;
      // With no banner to show, what the visitor allowed and gated markup need not wait for one.
      if (optional.some((name) => granted[name]) || document.querySelector("[data-consent]")) {
        loadDeferred();
      }
    }
    emit(DOM_EVENT.READY);
  }

  prepareGoogle();
  // Wait for the whole document, so gated markup after this script is found too.
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", startUp);
  else startUp();
}
