/**
 * The CLI as npm ships it: `npm pack` (without scripts: dist/ is built already), the tarball
 * unpacked into a scratch folder, and bin/rnn-wasm.js run from there. Every module the CLI
 * imports (cli/, apps/, dist/) must be in the package's "files", or this fails with the
 * module that is missing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fixtures, scratch } from "./support.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const dir = scratch("package");

test("the packed CLI trains, predicts and evaluates from an unpacked package", { timeout: 60_000 }, () => {
  // The machine's npm, not node_modules/.bin/npm (a dependency ships an old npm there, first
  // on PATH under `npm test`, which has no --pack-destination).
  const path = (process.env.PATH ?? "").split(":").filter((p) => !p.includes("node_modules")).join(":");
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  execFileSync(npm, ["pack", "--ignore-scripts", "--silent", "--pack-destination", dir], { cwd: root, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, PATH: path } });
  const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"));
  assert.ok(tarball, "npm pack wrote a tarball");
  execFileSync("tar", ["-xzf", join(dir, tarball), "-C", dir]);
  const bin = join(dir, "package", "bin", "rnn-wasm.js");
  const run = (args, input) => spawnSync(process.execPath, [bin, ...args], { cwd: fixtures, input, encoding: "utf8", timeout: 30_000 });

  const model = join(dir, "tag.rnn");
  const t = run(["train", "--task", "tag", "--data", "tagged-train.txt", "--model", model, "--epochs", "1", "--hidden", "8", "--quiet"]);
  assert.equal(t.status, 0, t.stderr);
  const p = run(["predict", "--model", model], "the old fish\n");
  assert.equal(p.status, 0, p.stderr);
  assert.match(p.stdout, /^the\/\S+ old\/\S+ fish\/\S+\n$/);
  const e = run(["eval", "--model", model, "--data", "tagged-valid.txt", "--json"]);
  assert.equal(e.status, 0, e.stderr);
  assert.equal(JSON.parse(e.stdout).tokens, 119);
  assert.match(run(["--version"]).stdout, /^\d+\.\d+\.\d+/);
});
