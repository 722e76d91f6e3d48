// `npm test`: build, then every suite in turn; exits non-zero if any fails.
//   1. kernels    as-pect specs in tests/assembly/ (AssemblyScript, against scalar references);
//                 then the GEMM specs on the FMA build (rnn-fma.wasm's flags), within a rounding bound
//   2. node       node:test suites in tests/wrapper/ against the built dist/ (loader.test.js:
//                 every way of loading, the edge-runtime sandbox, bad input, the package);
//                 then the same suites under Node 22 and 24 (scripts/nodes.js fetches them once
//                 into .cache/; without a binary for this machine: skipped, loudly; CI: a failure)
//   2a. docs      tests/docs/links.test.js: every relative link and anchor of README and docs/
//   2b. cli       node:test suites in tests/cli/: the CLI on tests/fixtures/cli/, the Brown
//                 corpus helpers, a smoke run of the main job (npm start) on a few files
//   3. deno       tests/runtimes/deno.test.js: the bundle in Deno (node_modules/.bin/deno)
//   4. chromium   tests/runtimes/chromium.test.js: dist/ in Chromium via playwright-core, served
//                 from localhost. No browser: skipped, loudly; under CI=true, a failure.
//   5. demo       tests/runtimes/demo.test.js: the demo page (demo/) trains in a Web Worker in
//                 Chromium, its loss plot grows, typed text is tagged; screenshot out/demo.png.
//                 No browser: as step 4.
// Steps 2–4 compare a SHA-256 of losses and parameters after the same training: bit-identical.
// The last line sums every suite's counts: "N passed, N failed" (", N skipped").
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { nodeBinary } from "./nodes.js";

const bin = (name) => new URL(`../node_modules/.bin/${name}`, import.meta.url).pathname;
const nodeTest = (files) => [process.execPath, ["--test", "--test-reporter=spec", ...files]];
const wrapperSuites = readdirSync("tests/wrapper").filter((f) => f.endsWith(".test.js")).sort().map((f) => `tests/wrapper/${f}`);
// The wrapper suites again under the Node versions users run (the binary is fetched once into
// .cache/ by scripts/nodes.js); the property test hunts 5 s there instead of 20.
const otherNode = (major) => [`node ${major} (node:test)`, () => nodeBinary(major), ["--test", "--test-reporter=spec", ...wrapperSuites], { HUNT_SECONDS: "5" }];
const steps = [
  ["build", process.execPath, ["scripts/build.js"]],
  ["kernels (as-pect)", bin("asp"), ["--config", "as-pect.config.js"]],
  ["kernels, FMA build (as-pect)", process.execPath, ["scripts/kernels-fma.js"]],
  ["node (node:test)", process.execPath, ["--test", "--test-reporter=spec", ...wrapperSuites]],
  otherNode(22),
  otherNode(24),
  ["docs links (node:test)", ...nodeTest(["tests/docs/links.test.js"])],
  ["cli and examples (node:test)", ...nodeTest(readdirSync("tests/cli").filter((f) => f.endsWith(".test.js")).sort().map((f) => `tests/cli/${f}`))],
  ["deno", ...nodeTest(["tests/runtimes/deno.test.js"])],
  ["chromium (playwright-core)", ...nodeTest(["tests/runtimes/chromium.test.js"])],
  ["demo page (playwright-core)", ...nodeTest(["tests/runtimes/demo.test.js"])],
];

/** Run a step, echoing its output as it comes, and return its exit code and output text. */
function run(cmd, args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["inherit", "pipe", "pipe"], env: { ...process.env, ...env } });
    let text = "";
    child.stdout.on("data", (b) => { process.stdout.write(b); text += b; });
    child.stderr.on("data", (b) => { process.stderr.write(b); text += b; });
    child.on("close", (code, signal) => resolve({ status: code ?? (signal ? 1 : 0), text }));
  });
}

/** Counts from a step's own summary: node:test's "ℹ pass N" lines, or as-pect's "[Tests]: P / T". */
function counts(text) {
  const plain = text.replace(/\x1b\[[0-9;]*m/g, "");
  const num = (re) => [...plain.matchAll(re)].reduce((sum, m) => sum + Number(m[1]), 0);
  const aspect = [...plain.matchAll(/\[Tests\]:\s*(\d+)\s*\/\s*(\d+)/g)];
  if (aspect.length) {
    const passed = aspect.reduce((s, m) => s + Number(m[1]), 0);
    return { passed, failed: aspect.reduce((s, m) => s + Number(m[2]), 0) - passed, skipped: 0 };
  }
  return { passed: num(/^ℹ pass (\d+)$/gm), failed: num(/^ℹ fail (\d+)$/gm), skipped: num(/^ℹ skipped (\d+)$/gm) };
}

const failed = [];
const total = { passed: 0, failed: 0, skipped: 0 };
for (const [name, cmd, args, env] of steps) {
  console.log(`\n━━ ${name} ━━`);
  const started = performance.now();
  let binary = cmd;
  if (typeof cmd === "function") {
    try {
      binary = cmd();
    } catch (e) {
      // No binary for this machine (another OS or CPU), or the registry out of reach: said
      // loudly and counted as skipped; under CI=true, a failure.
      console.log(`${process.env.CI ? "FAILED" : "SKIPPED"}: ${name}: ${e.message}`);
      if (process.env.CI) { failed.push(name); total.failed += 1; } else total.skipped += 1;
      continue;
    }
  }
  const r = await run(binary, args, env);
  const c = counts(r.text);
  for (const key of Object.keys(total)) total[key] += c[key];
  console.log(`\n━━ ${name}: ${r.status === 0 ? "ok" : "FAILED"} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (r.status !== 0) {
    failed.push(name);
    if (c.failed === 0 && name !== "build") total.failed += 1; // a step that died without counting
  }
  if (r.status !== 0 && name === "build") break; // the suites would test a stale dist/
}
console.log(failed.length ? `\nFAILED: ${failed.join(", ")}` : "\nAll suites passed.");
console.log(`${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ""}`);
process.exit(failed.length ? 1 : 0);
