/**
 * apps/ serves three kinds of programs, and the browser demo imports part of it: every module
 * the demo's page and worker reach (following their imports) must be one demo/serve.js
 * serves, and must not import Node built-ins or touch `process` (a Web Worker has neither).
 * The CLI's and the examples' own modules may (apps/args.js, files.js, loop.js, …).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { routes } from "../../demo/serve.js";

const root = new URL("../../", import.meta.url);

/** The static imports of an ES module's text (`import … from "x"`, `export … from "x"`). */
function importsOf(text) {
  return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s*"([^"]+)"|^\s*import\s*"([^"]+)"/gm)].map((m) => m[1] ?? m[2]);
}

test("the demo's modules: all served, none with Node built-ins or process", () => {
  const served = routes();
  const byFile = new Map([...served].map(([url, file]) => [file, url]));
  const seen = new Set();
  const walk = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    assert.ok(byFile.has(file), `${file} is imported by the demo but not served by demo/serve.js`);
    if (file.startsWith("dist/")) return;                      // the library bundle: tested in tests/runtimes/
    const text = readFileSync(new URL(file, root), "utf8");
    const code = text.replace(/\/\*[^]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
    assert.doesNotMatch(code, /\bprocess\./, `${file} uses process (not in a browser)`);
    for (const spec of importsOf(text)) {
      assert.ok(!spec.startsWith("node:"), `${file} imports ${spec} (not in a browser)`);
      // The page imports by URL path (/apps/x.js), the shared modules relatively (./x.js, ../dist/…).
      const url = spec.startsWith("/") ? spec : new URL(spec, new URL(byFile.get(file), "http://demo")).pathname;
      assert.ok(served.has(url), `${file} imports ${spec}, which demo/serve.js does not serve`);
      walk(served.get(url));
    }
  };
  walk("demo/app.js");
  walk("demo/worker.js");
  for (const f of ["apps/text.js", "apps/tagging.js", "apps/brown.js", "apps/formats.js", "apps/errors.js", "apps/schedule.js"]) assert.ok(seen.has(f), `the worker uses ${f}`);
});
