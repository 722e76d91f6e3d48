// `npm test`: build, then every suite in turn; exits non-zero if any fails.
//   1. kernels    as-pect specs in tests/assembly/ (AssemblyScript, against scalar references)
//   2. node       node:test suites in tests/wrapper/ against the built dist/ (loader.test.js:
//                 every way of loading, the edge-runtime sandbox, bad input, the package)
//   3. deno       tests/runtimes/deno.test.js: the bundle in Deno (node_modules/.bin/deno)
//   4. chromium   tests/runtimes/chromium.test.js: dist/ in Chromium via playwright-core, served
//                 from localhost. No browser: skipped, loudly; under CI=true, a failure.
// Steps 2–4 compare a SHA-256 of losses and parameters after the same training: bit-identical.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";

const bin = (name) => new URL(`../node_modules/.bin/${name}`, import.meta.url).pathname;
const nodeTest = (files) => [process.execPath, ["--test", "--test-reporter=spec", ...files]];
const steps = [
  ["build", process.execPath, ["scripts/build.js"]],
  ["kernels (as-pect)", bin("asp"), ["--config", "as-pect.config.js"]],
  ["node (node:test)", ...nodeTest(readdirSync("tests/wrapper").filter((f) => f.endsWith(".test.js")).sort().map((f) => `tests/wrapper/${f}`))],
  ["deno", ...nodeTest(["tests/runtimes/deno.test.js"])],
  ["chromium (playwright-core)", ...nodeTest(["tests/runtimes/chromium.test.js"])],
];

const failed = [];
for (const [name, cmd, args] of steps) {
  console.log(`\n━━ ${name} ━━`);
  const started = performance.now();
  const r = spawnSync(cmd, args, { stdio: "inherit" });
  console.log(`\n━━ ${name}: ${r.status === 0 ? "ok" : "FAILED"} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (r.status !== 0) failed.push(name);
  if (r.status !== 0 && name === "build") break; // the suites would test a stale dist/
}
console.log(failed.length ? `\nFAILED: ${failed.join(", ")}` : "\nAll suites passed.");
process.exit(failed.length ? 1 : 0);
