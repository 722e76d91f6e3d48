// `npm test`: build, then every suite in turn; exits non-zero if any fails.
//   1. kernels    as-pect specs in tests/assembly/ (AssemblyScript, against scalar references)
//   2. node       node:test suites in tests/wrapper/ against the built dist/
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";

const bin = (name) => new URL(`../node_modules/.bin/${name}`, import.meta.url).pathname;
const steps = [
  ["build", process.execPath, ["scripts/build.js"]],
  ["kernels (as-pect)", bin("asp"), ["--config", "as-pect.config.js"]],
  ["node (node:test)", process.execPath, ["--test", "--test-reporter=spec",
    ...readdirSync("tests/wrapper").filter((f) => f.endsWith(".test.js")).sort().map((f) => `tests/wrapper/${f}`)]],
];

const failed = [];
for (const [name, cmd, args] of steps) {
  console.log(`\n━━ ${name} ━━`);
  const r = spawnSync(cmd, args, { stdio: "inherit" });
  if (r.status !== 0) failed.push(name);
}
console.log(failed.length ? `\nFAILED: ${failed.join(", ")}` : "\nAll suites passed.");
process.exit(failed.length ? 1 : 0);
