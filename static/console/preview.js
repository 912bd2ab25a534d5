// The preview always starts as a first visit: forget any choice made in an earlier preview.
// Sandboxed in an opaque origin, the frame has no cookies at all, and touching them throws.
"use strict";
try {
  document.cookie = "cg_consent=; Max-Age=0; Path=/; SameSite=Lax";
} catch (error) { /* no cookies to forget */ }
