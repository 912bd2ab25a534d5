// The preview always starts as a first visit: forget any choice made in an earlier preview.
// Sandboxed in an opaque origin, the frame has no cookies at all, and touching them throws.
"use strict";
try {
  document.cookie = "cg_consent=; Max-Age=0; Path=/; SameSite=Lax";
} catch (error) { /* no cookies to forget */ }

// The texts editor posts the texts being typed; the banner's elements show them at once, unsaved.
// Only the console page that frames this one may: its window, from the console's origin (this
// frame's own origin is opaque, but its URL still names the console's).
(function followTypedTexts() {
  var MESSAGE_TYPE = "consent-gate-preview-texts";
  var MAX_LENGTH = 8000;  // the small print joins three texts of up to 2,000 characters
  var CATEGORIES = ["mandatory", "functional", "analytical", "marketing"];
  /** Banner text key -> [selector, attribute or null for the text], on the first and settings layers. */
  var TARGETS = {
    title: [["#cg-title", null]],
    intro: [["#cg-intro", null]],
    accept_all: [['[data-action="accept"]', null]],
    reject_all: [['[data-action="reject"]', null]],
    settings: [['[data-action="settings"]', null]],
    save: [['[data-action="save"]', null]],
    close: [[".close", "aria-label"]],
    settings_title: [[".settings > h3", null], [".launcher", "aria-label"], [".launcher", "title"]],
    settings_intro: [[".settings > h3 + p", null]],
    privacy_policy: [[".links a:first-of-type", null]],
    consent_document: [[".links a:nth-of-type(2)", null]],
    always_on: [[".always", null]],
    // Resolved by the service: the first layer's small print (lifetimes, transfers, vendors).
    small: [[".small", null]]
  };
  CATEGORIES.forEach(function (name) {
    TARGETS["category_" + name] = [["#cg-" + name + "-name", null]];
    TARGETS["about_" + name] = [[".category:has(#cg-" + name + "-name) > p", null]];
  });
  var consoleOrigin = new URL(location.href).origin;
  var latest = {};
  var notice = null;  // the situational notice chosen in the editor ("" for none), or null
  var watched = null;

  function setText(element, attribute, value) {
    if (attribute) {
      if (element.getAttribute(attribute) !== value) element.setAttribute(attribute, value);
    } else if (element.textContent !== value) {
      element.textContent = value;
    }
  }

  /** The first layer's category line: "Name: ", who receives data, then what for. */
  function setPurpose(root, name) {
    var item = root.querySelector('li[data-category="' + name + '"]');
    if (!item) return;
    var heading = latest["category_" + name];
    if (heading !== undefined) setText(item.querySelector("strong"), null, heading + ": ");
    var about = latest["about_" + name];
    var last = item.lastChild;
    if (about !== undefined && last && last.nodeType === Node.TEXT_NODE && last.nodeValue !== about) {
      last.nodeValue = about;
    }
  }

  function apply() {
    var host = document.getElementById("consent-gate");
    var root = host && host.shadowRoot;
    if (!root) return;
    if (watched !== root) {
      watched = root;
      // The settings layer arrives later, with the deferred part: it gets the typed texts too.
      new MutationObserver(apply).observe(root, { childList: true, subtree: true });
    }
    Object.keys(latest).forEach(function (key) {
      (TARGETS[key] || []).forEach(function (target) {
        root.querySelectorAll(target[0]).forEach(function (element) {
          setText(element, target[1], latest[key]);
        });
      });
    });
    CATEGORIES.forEach(function (name) { setPurpose(root, name); });
    var shown = root.querySelector(".notice");
    if (shown && notice !== null) {
      setText(shown, null, notice);
      if (shown.hidden !== !notice) shown.hidden = !notice;
    }
  }

  addEventListener("message", function (event) {
    if (window.parent === window || event.source !== window.parent) return;
    if (event.origin !== consoleOrigin) return;
    var data = event.data;
    if (!data || data.type !== MESSAGE_TYPE || typeof data.texts !== "object" || !data.texts) return;
    var texts = {};
    var given = Object.assign({}, data.texts, { small: data.small });
    Object.keys(TARGETS).forEach(function (key) {
      var value = given[key];
      if (typeof value === "string" && value.length <= MAX_LENGTH) texts[key] = value;
    });
    latest = texts;
    notice = typeof data.notice === "string" && data.notice.length <= MAX_LENGTH ? data.notice : null;
    apply();
  });
  // The banner builds itself once the page has loaded; typed texts may already be waiting.
  new MutationObserver(apply).observe(document.documentElement, { childList: true, subtree: true });
})();
