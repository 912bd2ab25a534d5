// Minify the banner's two scripts with terser (from the npm registry, offline once installed).
// Each minified file starts with the SHA-256 of the source it was made from, so the server serves
// it only while it matches the source, whatever the files' modification times say.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { minify } from "terser";

const SOURCES = ["static/banner/consent-gate.js", "static/banner/consent-gate-deferred.js"];
// Each file is one function declaration: its name stays, everything inside is mangled.
const OPTIONS = { ecma: 2017, compress: { passes: 2 }, mangle: true };

for (const source of SOURCES) {
  const code = readFileSync(source, "utf8");
  const digest = createHash("sha256").update(code).digest("hex");
  const result = await minify(code, OPTIONS);
  writeFileSync(source.replace(/\.js$/, ".min.js"),
                `/* consent-gate source sha256:${digest} */\n${result.code}\n`);
}
