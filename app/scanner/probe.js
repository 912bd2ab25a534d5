// The scanner's init script: runs before any script of the page, in every frame. It notes which
// script wrote each cookie (document.cookie) and storage key (setItem), from the stack of the
// write, and the data-consent category of the owner's gated scripts (the gate drops that
// attribute when it runs them, so it is noted while the page is parsed).
(() => {
  const writes = [];
  const gated = new Map();
  Object.defineProperty(window, "__consentScan", { value: { writes } });

  /** Return the URL of the innermost script on the stack (this probe's frames have none). */
  function writer() {
    for (const line of String(new Error().stack || "").split("\n").slice(1)) {
      const match = line.match(/((?:https?|file):\/\/[^\s()]+?):\d+:\d+\)?\s*$/);
      if (match) return match[1];
    }
    return null;
  }

  function note(storage, name) {
    const script = writer();
    writes.push({ storage, name: String(name), script, category: gated.get(script) || null,
                  at: Date.now() });
  }

  const cookie = Object.getOwnPropertyDescriptor(Document.prototype, "cookie");
  Object.defineProperty(Document.prototype, "cookie", {
    configurable: true,
    enumerable: cookie.enumerable,
    get() { return cookie.get.call(this); },
    set(value) {
      note("cookie", String(value).split(";")[0].split("=")[0].trim());
      cookie.set.call(this, value);
    }
  });

  const setItem = Storage.prototype.setItem;
  Storage.prototype.setItem = function (key, value) {
    let storage = "localStorage";
    try { if (this === window.sessionStorage) storage = "sessionStorage"; } catch (error) { /* denied */ }
    note(storage, key);
    return setItem.call(this, key, value);
  };

  new MutationObserver((mutations) => {
    for (const mutation of mutations) {
      for (const node of mutation.addedNodes) {
        if (node.nodeName === "SCRIPT" && node.type === "text/plain" && node.dataset.consent &&
            node.getAttribute("src")) {
          gated.set(new URL(node.getAttribute("src"), location.href).href, node.dataset.consent);
        }
      }
    }
  }).observe(document, { childList: true, subtree: true });
})();
