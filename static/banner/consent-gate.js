/* Consent Gate banner and tracker gate: what a visitor needs before the banner is visible, and the
 * consent itself (cookie, Consent Mode defaults, starting the built-in trackers and the site
 * owner's gated markup, queuing reports). The file is one function, consentGate(CONFIG, SCRIPT);
 * the server calls it as (function consentGate(CONFIG, SCRIPT) { ... })\n(config,
 * document.currentScript). A returning visitor's trackers start from this script alone, without
 * a second request. The settings layer, the launcher, placeholders of gated embeds, stopping and
 * clearing a withdrawn category, sending the queued reports and the leak watch live in
 * consent-gate-deferred.js, a second, content-hashed script fetched once the banner is visible
 * (at once when no banner is shown). No framework, no eval. */

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
 * root and settings are the banner's shadow root and its (empty) settings container, and
 * settingsButton the first layer's Settings button (the Save button goes after it); current()
 * returns the valid stored consent or null; granted is, per category, whether the visitor's
 * choice allows it (its trackers start with it, its markup once the page is complete);
 * save(choices) stores the settings layer's choice, allow(category) a placeholder's, and show()
 * opens the banner (the launcher's click); added() lists the vendors that joined granted
 * categories since the stored consent (addedSince); config is CONFIG, whose trackers, clear (the
 * key patterns to delete per category), leaks (the share of page views watched for leaks), api,
 * site and build this part reads; toClear lists the categories withdrawn before this part
 * arrived; readOutbox() and writeOutbox(reports) read and store the queue of reports, unsent
 * holds those that storage could not keep, and keepReceipt(consentId, receipt) keeps a report's
 * signed receipt.
 * @typedef {{el: Function, button: Function, shadowHost: Function, texts: Object<string, *>,
 *            root: ShadowRoot, settings: HTMLElement, settingsButton: HTMLButtonElement,
 *            current: function(): (StoredConsent|null), config: Object, toClear: Array<string>,
 *            language: string, dir: string, granted: Object<string, boolean>,
 *            save: function(Object<string, boolean>), allow: function(string),
 *            show: function(), added: function(): Array<Array>,
 *            readOutbox: function(): Array<ConsentReport>,
 *            writeOutbox: function(Array<ConsentReport>): boolean, unsent: Array<ConsentReport>,
 *            keepReceipt: function(string, string)}} GateApi
 * What the deferred part hands back: sync() sets its switches to the stored choice and takes
 * away placeholders of loaded embeds; clear(category) deletes a withdrawn category's cookies and
 * storage keys; notices(reason) returns the texts that say why the banner is shown again and
 * what a GPC signal did; launcher is the button that brings the banner back; sendReports()
 * sends the queued reports.
 * @typedef {{sync: function(), clear: function(string), notices: function(string): Array<string>,
 *            sendReports: function(),
 *            launcher: HTMLButtonElement}} DeferredPart
 */

/**
 * Gate the page's trackers on the visitor's consent and show the banner.
 * @param {Object} CONFIG  the site's banner config (app/banner/config.py, banner_config)
 * @param {HTMLScriptElement|null} SCRIPT  the embed tag, for its nonce
 */
function consentGate(CONFIG, SCRIPT) {
  // Not "use strict": every declaration is const, let or a function, and the bytes count.

  // ---- constants -------------------------------------------------------------------------------
  const COOKIE_NAME = "cg_consent";
  const OUTBOX_KEY = "cg_outbox";
  const MANDATORY = "mandatory";
  const DAY_MS = 864e5;
  const GTAG_URL = "https://www.googletagmanager.com/gtag/js?id=";
  const METRICA_URL = "https://mc.yandex.ru/metrika/tag.js";
  const PIXEL_URL = "https://connect.facebook.net/en_US/fbevents.js";
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
  // The server sent the texts of the language it negotiated; the page's lang may ask for another.
  let language = pickLanguage();
  let texts = CONFIG.texts[language];
  let dir = "ltr";
  const gpc = navigator.globalPrivacyControl === true;
  const optional = CONFIG.categories.filter((name) => name !== MANDATORY);
  /** @type {StoredConsent|null} */
  let consent = null;
  const granted = {};          // category -> true while the visitor's choice allows it
  let markupReady = false;     // the whole document is there: gated markup may run
  const toClear = [];          // withdrawn categories whose keys wait for the deferred part
  const ranOwnerScripts = {};  // category -> true once a site-owner script of it ran
  const unsent = [];           // reports for the deferred part to send where storage is blocked

  // ---- language ---------------------------------------------------------------------------------
  /** Return the site's language the page asks for, else the one this script carries (which the
   * service chose from the browser's languages, or the page named in ?lang=). */
  function pickLanguage() {
    // CONFIG.languages is the site's codes in one string, space-separated, the default first.
    const codes = CONFIG.languages.split(" ");
    const tag = document.documentElement.lang;
    const base = (code) => code.toLowerCase().split("-")[0];
    return tag && (codes.find((code) => code.toLowerCase() === tag.toLowerCase()) ||
                   codes.find((code) => base(code) === base(tag))) || Object.keys(CONFIG.texts)[0];
  }

  function readCookies() {
    try { return document.cookie; } catch (error) { return ""; }
  }

  /** Set a cookie; where cookies are blocked the choice lasts as long as the page. */
  function setCookie(value) {
    try { document.cookie = value; } catch (error) { /* blocked: nothing to keep it in */ }
  }

  /**
   * Fetch the first-layer texts of the visitor's language when this script carries another's;
   * then call ready. A failed fetch (a banner from before a site change) keeps the carried one,
   * so the report always names the language and the texts the visitor saw.
   * @param {function()} ready
   */
  function loadTexts(ready) {
    const done = () => {
      // The service marks a right-to-left language's texts; the host's `all: initial` keeps the
      // page's direction, so left-to-right is set too.
      dir = texts.dir || "ltr";
      ready();
    };
    if (texts) return done();
    const script = injectScript(`${CONFIG.deferredUrl}${CONFIG.textsVersion}/${language}.js`);
    script.consentGateTexts = (payload) => {
      texts = payload;
    };
    script.onload = script.onerror = () => {
      script.remove();
      if (!texts) [[language, texts]] = Object.entries(CONFIG.texts);
      done();
    };
  }

  // ---- the consent cookie -----------------------------------------------------------------------
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
   * Return [category, [[vendor, epoch ms]]] per granted category that vendors joined after the
   * stored consent was given.
   * @param {StoredConsent} stored
   * @returns {Array<Array>}
   */
  function addedSince(stored) {
    return Object.entries(CONFIG.added).filter(([category]) => stored.choices[category])
      .map(([category, entries]) => [category, entries.filter(([, when]) => when > stored.given)])
      .filter(([, entries]) => entries.length);
  }

  /**
   * Return the stored consent while it is valid (not expired, same catalog and policy).
   * @returns {StoredConsent|null}
   */
  function current() {
    return consent && !staleReason(consent) ? consent : null;
  }

  /** Return n random bytes as hex: event, consent and subject ids take 16 (128 bits), a
   * subject's secret 32 (256 bits). */
  function randomId(n = 16) {
    return [...crypto.getRandomValues(new Uint8Array(n))].map((b) => (b + 256).toString(16).slice(1))
      .join("");
  }

  // ---- choosing ---------------------------------------------------------------------------------
  /** Return a choice that allows every optional category, or none; mandatory is always on. */
  function allOrNone(allowed) {
    const choices = {};
    for (const name of CONFIG.categories) choices[name] = name === MANDATORY || allowed;
    return choices;
  }

  /** Store, apply and report a choice; uiAction names the control that made it. */
  function choose(choices, uiAction) {
    const previous = current();
    const before = consent && consent.choices;
    const now = Date.now();
    const refused = optional.every((name) => !choices[name]);
    const days = refused && CONFIG.refusalDays || CONFIG.lifetimeDays;
    const versions = CONFIG.versions;
    // A cookie from before subjects had a secret cannot prove its subject: start a new one.
    const known = consent && consent.key;
    consent = { id: randomId(), subject: known ? consent.subject : randomId(),
                key: known ? consent.key : randomId(32), choices,
                catalog: versions.catalog, policy: versions.policy, document: versions.document,
                given: now, expires: now + days * DAY_MS };
    writeConsent();
    // Queued before anything the choice allows runs: an owner's gated script may choose again.
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
                        given: isoTime(consent.given), expires: isoTime(consent.expires) };
  }

  function isoTime(ms) {
    return new Date(ms).toISOString();
  }

  // ---- applying: the gate -----------------------------------------------------------------------
  /** Start granted categories and stop refused ones; clear what an earlier grant left behind. */
  function apply(choices, before) {
    const moved = optional.filter((name) => !choices[name] !== !granted[name]);
    // Every category's state first, so each tracker starts with the whole choice (Consent Mode).
    for (const name of moved) granted[name] = choices[name];
    for (const name of optional) {
      if (moved.includes(name)) toggle(name, choices[name]);
      else if (!choices[name] && before && before[name]) clear(name);
    }
    // One update after every category moved, so ad signals follow marketing as well as analytics.
    if (CONFIG.trackers.ga4) gtag("consent", "update", googleConsent());
  }

  /** Start a category's built-in trackers and run its gated markup; or stop them and clear what
   * they left (the deferred part does that, at once or on arrival). */
  function toggle(category, on) {
    // Started and stopped at once, with or without the deferred part.
    const loaders = on ? START : STOP;
    for (const [name, tracker] of Object.entries(CONFIG.trackers)) {
      if (tracker.category === category) loaders[name](tracker);
    }
    if (on) return markupReady && activate(category);
    clear(category);
    // A site owner's script that already ran cannot be unloaded: only a reload stops it.
    if (ranOwnerScripts[category]) location.reload();
  }

  /** Delete what a withdrawn category left: the deferred part does it, at once or on arrival. */
  function clear(category) {
    if (deferred) return deferred.clear(category);
    toClear.push(category);
    loadDeferred();
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
    window.dataLayer ||= [];
    // Site owners call gtag() as Google's snippet defines it; events queue until consent.
    window.gtag ||= gtag;
    gtag("consent", "default", googleConsent());
    if (tracker.mode === "advanced") loadGoogle(tracker);
  }

  // ---- built-in trackers and the site owner's gated markup --------------------------------------
  /** Built-in trackers' starts, by the tracker's name (app/sites/trackers.py). */
  const START = {
    yandex_metrica({ id }) {
      window["disableYaCounter" + id] = false;
      if (!window.ym) {
        window.ym = function () { (ym.a = ym.a || []).push(arguments); };
        ym.l = Date.now();
        injectScript(METRICA_URL);
      }
      ym(+id, "init", { clickmap: true, trackLinks: true, accurateTrackBounce: true });
    },
    ga4(tracker) {
      window["ga-disable-" + tracker.id] = false;
      gtag("consent", "update", googleConsent());
      if (!tracker.loaded) loadGoogle(tracker);
    },
    meta_pixel({ id }) {
      if (!window.fbq) {
        const fbq = window.fbq = window._fbq = function () {
          fbq.callMethod ? fbq.callMethod(...arguments) : fbq.queue.push(arguments);
        };
        Object.assign(fbq, { push: fbq, loaded: true, version: "2.0", queue: [] });
        injectScript(PIXEL_URL);
        fbq("consent", "revoke");
        fbq("init", id);
      }
      fbq("consent", "grant");
      fbq("track", "PageView");
    }
  };

  /** Built-in trackers' stops, by the tracker's name: each keeps its script from sending more. */
  const STOP = {
    yandex_metrica({ id }) {
      window["disableYaCounter" + id] = true;
      if (window.ym) ym(+id, "destruct");
    },
    // apply() sends the Consent Mode update once every category has moved.
    ga4({ id }) {
      window["ga-disable-" + id] = true;
    },
    meta_pixel() {
      if (window.fbq) fbq("consent", "revoke");
    }
  };

  /** Run a granted category's gated scripts in document order and load its iframes and images. */
  function activate(category) {
    const selector = `[data-consent="${category}"]`;
    runScriptsInOrder([...document.querySelectorAll('script[type="text/plain"]' + selector)],
                      category);
    for (const element of document.querySelectorAll(`iframe${selector}[data-src],img${selector}[data-src]`)) {
      element.src = element.dataset.src;
      element.removeAttribute("data-src");
      element.hidden = false;
    }
  }

  function runScriptsInOrder(scripts, category) {
    const original = scripts.shift();
    if (!original) return;
    const script = document.createElement("script");
    for (const { name, value } of original.attributes) {
      if (name !== "type" && name !== "data-consent") script.setAttribute(name, value);
    }
    script.type = original.dataset.type || "text/javascript";
    script.nonce = nonce;
    ranOwnerScripts[category] = true;
    const next = () => runScriptsInOrder(scripts, category);
    if (original.src) {
      script.async = false;
      script.onload = script.onerror = next;
      original.replaceWith(script);
    } else {
      script.textContent = original.textContent;
      original.replaceWith(script);
      next();
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
      page: location.origin + location.pathname, client_time: isoTime(consent.given),
      expires: isoTime(consent.expires)
    };
    // Queued until the service has it: the deferred part sends the queue, oldest first.
    if (!writeOutbox([...readOutbox(), body])) unsent.push(body);
    // In a task of its own: what the choice allows starts first.
    setTimeout(sendReports);
  }

  /** Have the deferred part send the queued reports, at once or when it arrives. */
  function sendReports() {
    if (deferred) deferred.sendReports();
    else loadDeferred();
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

  /** Keep the signed receipt of a consent while it is the current one, so the visitor can prove
   * it later. */
  function keepReceipt(consentId, receipt) {
    if (consent && consent.id === consentId) {
      consent.receipt = receipt;
      writeConsent();
    }
  }

  // ---- the banner: the first layer ------------------------------------------------------------
  let host;            // the shadow host of the banner and the launcher
  let root;            // its shadow root
  let dialog;
  let notice;
  let firstLayer;      // the first layer's text, which the settings layer replaces
  let settings;        // the settings layer's container, filled by the deferred part
  let settingsButton;
  let returnFocus;

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
      // A boolean attribute is on whatever its value: true becomes "true".
      else if (value != null && value !== false) element.setAttribute(name, value);
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
    const element = el("div", { id });
    const shadow = element.attachShadow({ mode: "open" });
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CONFIG.css);
    shadow.adoptedStyleSheets = [sheet];
    return [element, shadow];
  }

  function buildUi() {
    [host, root] = shadowHost("consent-gate");
    const documentLink = texts.links.document;
    notice = el("div", { class: "notice", role: "status", hidden: true });
    settings = el("div", { class: "settings", hidden: true });
    settingsButton = button("settings", texts.settings, openSettings, { class: "button secondary" });
    firstLayer = el("div", {},
      el("p", { id: "cg-intro" }, texts.intro),
      el("ul", { class: "purposes" }, ...optional.map(purpose)),
      el("p", { class: "small" }, [texts.kept, texts.cross_border, texts.third_party_cookies]
        .filter(Boolean).join(" ")));
    // Not modal: the page stays usable behind the banner, so focus is not trapped in it.
    dialog = el("div", { class: "dialog", role: "dialog", "aria-labelledby": "cg-title",
                         "aria-describedby": "cg-intro", lang: language, dir, tabindex: "-1",
                         hidden: true, keydown: onKeydown },
      el("button", { type: "button", class: "close", "aria-label": texts.close, click: dismiss }, "×"),
      el("h2", { id: "cg-title" }, texts.title),
      notice,
      firstLayer,
      settings,
      el("div", { class: "actions" },
        button("accept", texts.accept_all, () => {
          choose(allOrNone(true), UI_ACTION.ACCEPT_ALL);
          close();
        }),
        button("reject", texts.reject_all, () => {
          rejectAll();
          close();
        }),
        settingsButton,
        el("p", { class: "links" }, link(texts.links.policy, texts.privacy_policy),
           documentLink ? " · " : null, documentLink ? link(documentLink, texts.consent_document) : null)));
    root.append(dialog);
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
    // A new tab opened by target=_blank has no opener (HTML standard, every current browser).
    return el("a", { href: new URL(href, CONFIG.deferredUrl), target: "_blank" }, label);
  }

  // ---- the deferred part: settings layer, launcher, clearing, sending; a second script -------------
  /** The deferred part once its script has run. @type {DeferredPart|undefined} */
  let deferred;
  let deferredScript;  // its <script> while it is on its way
  let afterDeferred;   // what to do once it has arrived (open the settings, when asked to)
  let anyway = false;         // do it even when the deferred part does not come

  /** Fetch the deferred part once the banner is built; a failed fetch is tried again next call. */
  function loadDeferred(then, evenWithout) {
    if (then) [afterDeferred, anyway] = [then, evenWithout];
    if (deferred || deferredScript || !root) return;
    deferredScript = injectScript(CONFIG.deferredUrl + texts.digest + ".js");
    deferredScript.onerror = () => {
      const then = anyway && afterDeferred;
      deferredScript.remove();
      deferredScript = afterDeferred = null;
      if (then) then();
      // Reports do not wait for a part that does not come (a stale banner after a deploy): they
      // go as beacons now, and stay queued for a later page view (the service keeps one copy).
      for (const body of [...readOutbox(), ...unsent.splice(0)]) {
        navigator.sendBeacon?.(CONFIG.api, JSON.stringify(body));
      }
    };
    /** Called by the deferred script with its code and its payload (CSS and texts). */
    deferredScript.consentGate = (start, payload) => {
      /** @type {GateApi} */
      const gate = { el, button, shadowHost, texts, root, settings, settingsButton, current,
                     language, dir, granted, save: saveChoices, allow: allowFromPlaceholder,
                     show: () => open(""), added: () => addedSince(consent), config: CONFIG,
                     toClear, readOutbox, writeOutbox, unsent, keepReceipt };
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

  /** Replace the first layer's text by the settings layer, and focus its first switch. */
  function openSettings() {
    if (!deferred) return loadDeferred(openSettings);
    showLayer(true);
    const first = settings.querySelector(".switch:enabled");
    if (first) first.focus();
  }

  /** Show the settings layer, or the first layer; the Settings button only on the first. */
  function showLayer(settingsOpen) {
    firstLayer.hidden = settingsButton.hidden = settingsOpen;
    settings.hidden = !settingsOpen;
  }

  /**
   * Show the banner.
   * @param {string} reason  names a text that says why it is shown again, or ""
   * @param {boolean=} counted  count this display in the site's statistics (start-up's only)
   */
  function open(reason, counted) {
    // Why it is shown again, and what a GPC signal did: texts that travel with the deferred part
    // (startUp waits for it then, when it can).
    const notices = deferred ? deferred.notices(reason) : [];
    // Opened from the launcher, the focused element is our own shadow host: return to the launcher.
    returnFocus = document.activeElement === host ? deferred?.launcher : document.activeElement;
    notice.textContent = notices.join(" ");
    notice.hidden = !notices.length;
    deferred?.sync();
    showLauncher(false);
    dialog.hidden = false;
    host.style.visibility = "";
    dialog.focus();
    // Once the banner is painted: the first layer never waits for the deferred part.
    requestAnimationFrame(() => setTimeout(() => {
      loadDeferred();
      if (counted) countShown();
    }));
  }

  /**
   * Show or hide the launcher, which brings the banner back; the deferred part makes it (it is
   * never needed before the banner has been visible).
   * @param {boolean} on
   */
  function showLauncher(on) {
    if (deferred) deferred.launcher.hidden = !on;
    else if (on) loadDeferred();
  }

  /** Count one display of the first layer for the site's statistics. */
  function countShown() {
    /** @type {Impression} */
    const impression = { site: CONFIG.site, language };
    // Beside the reports' address, as the deferred part's leak reports are.
    if (CONFIG.api && !OPAQUE_ORIGIN) {
      navigator.sendBeacon?.(new URL("impressions", CONFIG.api), JSON.stringify(impression));
    }
  }

  /** Hide the banner after a choice; the launcher and the focus (a style and a layout) follow in
   * a task of their own, so the click's task ends once what the choice allows has started. */
  async function close() {
    dialog.hidden = true;
    await pause();
    showLayer(false);
    showLauncher(true);
    const target = returnFocus && returnFocus !== document.body ? returnFocus : deferred?.launcher;
    // Closed before the deferred part came: its launcher takes the focus when it does.
    [afterDeferred, anyway] = [!target && (() => deferred.launcher.focus()), false];
    target?.focus();
  }

  /** Close without choosing: a first visit counts as refusal, a later one keeps the choice. */
  function dismiss() {
    if (!current()) choose(allOrNone(false), UI_ACTION.DISMISS);
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
    choose({ ...(stored ? stored.choices : allOrNone(false)), [category]: true }, uiAction);
  }

  function rejectAll() {
    choose(allOrNone(false), current() ? UI_ACTION.WITHDRAW : UI_ACTION.REJECT_ALL);
  }

  function onKeydown(event) {
    if (event.key === "Escape") {
      event.preventDefault();
      dismiss();
    }
  }

  // ---- public API and start-up ------------------------------------------------------------------
  window.ConsentGate = {
    show: () => open(""),
    getConsent: publicConsent,
    acceptCategory: (category) => grantOne(category, UI_ACTION.API),
    withdraw: () => choose(allOrNone(false), UI_ACTION.WITHDRAW)
  };

  /**
   * Let the browser paint and handle input before the next step, so that no step of starting up
   * is a long task (over 50 ms on a slow phone). scheduler.yield keeps this script's priority;
   * where it is missing a timer ends the task.
   * @returns {Promise<void>}
   */
  function pause() {
    return window.scheduler?.yield?.() ?? new Promise(setTimeout);
  }

  /**
   * Lay the banner out unseen, one text at a time, a task each: the first layout of a text style
   * waits for the system's font lookup (a few ms each on a slow phone), and in one task they
   * would add up to a long one. open() makes it visible.
   */
  async function layOut() {
    const parts = root.querySelectorAll("h2,p,ul");  // not the notice, which open() sets
    host.style.visibility = "hidden";
    dialog.hidden = false;
    for (const part of parts) part.hidden = true;
    for (const part of parts) {
      await pause();
      part.hidden = false;
      dialog.offsetWidth;  // lays out this text now, in this task
    }
  }

  async function startUp() {
    // The whole document is there: the gated markup of what a stored consent allows runs now.
    // Once each: an owner script run here may grant another category, which then runs at once.
    const allowed = optional.filter((name) => granted[name]);
    markupReady = true;
    for (const name of allowed) activate(name);
    // Tasks of their own: this one, building the banner, laying it out a text at a time, showing
    // it; the rest waits until it has been painted.
    await pause();
    buildUi();
    document.addEventListener("click", (event) => {
      const opener = event.target.closest && event.target.closest("[data-consent-open]");
      if (opener) {
        event.preventDefault();
        open("");
      }
    });
    if (!current()) {
      const laidOut = layOut();
      // Not again when the page opened it meanwhile (a link, its script).
      const show = () => laidOut.then(() => host.style.visibility && open(reason, true));
      // A visitor asked again is told why, and a GPC one what the signal did (where the site
      // treats it as a refusal, the default), in texts that only the deferred part carries
      // (rare visits: the first script stays small for the rest); it is fetched meanwhile.
      if ((reason || gpc) && !deferred) loadDeferred(show, true);
      else await show();
    } else {
      // No banner to show: the deferred part comes now with the launcher.
      showLauncher(true);
    }
    emit(DOM_EVENT.READY);
  }

  prepareGoogle();
  consent = readConsent();
  const reason = staleReason(consent);
  // A returning visitor's trackers start at once: they wait neither for the page nor the texts.
  if (consent && !reason) apply(consent.choices);
  // Wait for the whole document, so gated markup after this script is found too, and for the
  // visitor's texts; both start at once.
  let waiting = 2;
  const next = () => --waiting || startUp();
  loadTexts(next);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", next);
  else next();
}
