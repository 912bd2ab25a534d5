// The preview always starts as a first visit: forget any choice made in an earlier preview.
"use strict";
document.cookie = "cg_consent=; Max-Age=0; Path=/; SameSite=Lax";
