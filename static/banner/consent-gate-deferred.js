/* Consent Gate, deferred part: the settings layer (a switch per category, with its catalog table)
 * and the site owner's gated markup (scripts, iframes and images, with their placeholders). The
 * banner fetches it once its first layer is visible, when the visitor asks for the settings, or at
 * once when a page with gated markup needs no banner. The server wraps this file as
 * consentGate(function (GATE, DEFERRED) { ... }, payload), where consentGate is the hook the banner
 * put on this script's element. No framework, no eval. */

/**
 * What the server sends with this code: this part's CSS and the texts only it shows, in the
 * visitor's language. texts.rows holds, per category in the catalog's order, each item's
 * [name, provider, purpose, lifetime].
 * @typedef {{css: string, texts: {settings_intro: string, save: string, always_on: string,
 *            about_mandatory: string, column_name: string, column_provider: string,
 *            column_purpose: string, column_lifetime: string,
 *            rows: Object<string, Array<Array<string>>>}}} DeferredPayload
 * What the banner lends this part.
 * @typedef {{el: Function, button: Function, shadowHost: Function, texts: Object<string, *>,
 *            root: ShadowRoot, settings: HTMLElement, current: Function, nonce: string,
 *            language: string, dir: string, granted: Object<string, boolean>,
 *            ranOwnerScripts: Object<string, boolean>,
 *            save: function(Object<string, boolean>)}} Gate
 */

// ---- constants -------------------------------------------------------------------------------
const MANDATORY = "mandatory";
const COLUMNS = ["column_name", "column_provider", "column_purpose", "column_lifetime"];
const PLACEHOLDER = "data-consent-placeholder";

const { el, button, texts } = GATE;
Object.assign(texts, DEFERRED.texts);
const categories = Object.keys(texts.rows);
const sheet = new CSSStyleSheet();
sheet.replaceSync(DEFERRED.css);
const switches = {};

// ---- the settings layer -----------------------------------------------------------------------
function addStyles(root) {
  root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
}

function category(name) {
  const id = "cg-" + name;
  const mandatory = name === MANDATORY;
  switches[name] = el("input", { type: "checkbox", role: "switch", id, disabled: mandatory,
                                 checked: mandatory });
  return el("section", { class: "category" },
    el("div", { class: "switch-row" }, switches[name], el("label", { for: id },
       texts["category_" + name]), mandatory ? el("span", { class: "always" }, texts.always_on) : null),
    el("p", {}, texts["about_" + name]),
    catalogTable(name));
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

/** Set the switches to the stored choice: mandatory on, the rest as the visitor chose. */
function sync() {
  const stored = GATE.current();
  for (const name of categories) {
    switches[name].checked = name === MANDATORY || Boolean(stored && stored.choices[name]);
  }
}

// ---- site-owner markup ------------------------------------------------------------------------
/** Run a granted category's gated scripts in document order and load its iframes and images. */
function activate(category) {
  const selector = `[data-consent="${category}"]`;
  runScriptsInOrder([...document.querySelectorAll('script[type="text/plain"]' + selector)],
                    category);
  for (const element of document.querySelectorAll(`iframe${selector}[data-src],img${selector}[data-src]`)) {
    element.src = element.dataset.src;
    element.removeAttribute("data-src");
    element.hidden = false;
    const placeholder = element.previousElementSibling;
    if (placeholder && placeholder.hasAttribute(PLACEHOLDER)) placeholder.remove();
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
  script.nonce = GATE.nonce;
  GATE.ranOwnerScripts[category] = true;
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

/** Stand a placeholder with an "Allow" button before each gated iframe of a refused category. */
function placeholders() {
  for (const frame of document.querySelectorAll("iframe[data-consent][data-src]")) {
    const name = frame.dataset.consent;
    const previous = frame.previousElementSibling;
    if (GATE.granted[name] || (previous && previous.hasAttribute(PLACEHOLDER))) continue;
    frame.hidden = true;
    frame.before(renderPlaceholder(name));
  }
}

function renderPlaceholder(name) {
  const [host, root] = GATE.shadowHost();
  host.setAttribute(PLACEHOLDER, name);
  addStyles(root);
  root.append(el("div", { class: "placeholder", lang: GATE.language, dir: GATE.dir },
    el("p", {}, texts.blocked_content + " " + texts["category_" + name]),
    button("allow", texts.allow, () => ConsentGate.acceptCategory(name))));
  return host;
}

// ---- start --------------------------------------------------------------------------------------
addStyles(GATE.root);
GATE.settings.append(
  el("h3", {}, texts.settings_title),
  el("p", {}, texts.settings_intro),
  ...categories.map(category),
  button("save", texts.save, () => {
    const choices = {};
    for (const name of categories) choices[name] = switches[name].checked;
    GATE.save(choices);
  }));
sync();
placeholders();
for (const name in GATE.granted) if (GATE.granted[name]) activate(name);
return { sync, activate };
