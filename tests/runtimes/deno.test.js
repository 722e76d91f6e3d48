/**
 * Deno (the `deno` devDependency) on the built bundle:
 * - deno_smoke.ts loads rnn.wasm every way (embedded, bytes, file URL, fetch, Response,
 *   precompiled Module; async and sync) and trains: every hash equals Node's, bit for bit;
 * - bad input there is an RnnError too (not wasm, truncated, a missing file, a 404 Response);
 * - the README's Deno snippet runs with no permissions at all ("npm:rnn-wasm" mapped to dist/);
 * - fitAsync with `workers` (Deno's Web Workers, a SharedArrayBuffer, and copies with it
 *   hidden): N = 1 and N = 2 give Node's bits, N = 1 plain
 *   fitAsync's, and deno exits by itself afterwards.
 * Deno missing is a failure (it is a devDependency), in CI and out.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as lib from "../../dist/index.js";
import { fingerprint } from "./fingerprint.js";
import { readmeSnippet } from "./readme.js";
import { workersFingerprint } from "./workers_fingerprint.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const deno = process.env.DENO_BIN ?? fileURLToPath(new URL("../../node_modules/.bin/deno", import.meta.url));
const env = { ...process.env, DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1", NO_COLOR: "1" };

/** Run deno with args (stdin text optional); resolve { code, stdout, stderr }; killed after 30 s. */
function runDeno(args, stdin = "") {
  return new Promise((resolve, reject) => {
    const child = spawn(deno, args, { cwd: root, env, timeout: 30_000 });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

let node;
before(async () => {
  assert.ok(existsSync(deno), `Deno not found at ${deno} (npm ci installs it; DENO_BIN overrides)`);
  node = (await fingerprint(lib)).hash;
});

test("Deno: every way of loading trains to Node's bits; bad input is an RnnError", { timeout: 60_000 }, async () => {
  const started = performance.now();
  const r = await runDeno(["run", "--no-prompt", "--no-lock", "--allow-read=dist", "tests/runtimes/deno_smoke.ts"]);
  assert.equal(r.code, 0, `deno exited ${r.code} ${r.signal ?? ""}\n${r.stderr}`);
  const out = JSON.parse(r.stdout);
  console.log(`Deno ${out.deno} (V8 ${out.v8}) in ${Math.round(performance.now() - started)} ms; fingerprint ${node}`);
  assert.equal(Object.keys(out.hashes).length, 9);
  for (const [how, hash] of Object.entries(out.hashes)) assert.equal(hash, node, `Deno ${how} differs from Node`);
  assert.match(out.errors["not wasm"], /^RnnError: the given bytes is not a WebAssembly module: .*text, not wasm/);
  assert.match(out.errors.truncated, /^RnnError: the given bytes could not be compiled: .*truncated or corrupted/);
  assert.match(out.errors["missing file"], /^RnnError: fetching file:\/\/.*\/dist\/missing\.wasm failed: .*No such file/);
  assert.match(out.errors["failed Response"], /^RnnError: fetching the given Response failed: HTTP 404 Not Found$/);
});

test("Deno: the README snippet runs as printed, with no permissions", { timeout: 60_000 }, async () => {
  const r = await runDeno(["run", "--no-prompt", "--no-lock", "--import-map=tests/runtimes/deno_import_map.json", "-"], readmeSnippet("Deno"));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^loss \d+\.\d+\n$/);
});

test("Deno: fitAsync with workers gives Node's bits (N = 1: plain fitAsync's), and deno exits", { timeout: 60_000 }, async () => {
  const r = await runDeno(["run", "--no-prompt", "--no-lock", "--allow-read=dist,tests", "tests/runtimes/workers_fingerprint.js"]);
  assert.equal(r.code, 0, `deno exited ${r.code} ${r.signal ?? ""}\n${r.stderr}`);
  const deno = JSON.parse(r.stdout);
  const ours = await workersFingerprint(lib);
  assert.deepEqual(deno.hashes, ours.hashes);
  assert.equal(ours.hashes[1], ours.hashes[0], "workers: 1 is plain fitAsync");
  assert.notEqual(ours.hashes[2], ours.hashes[0], "workers: 2 draws other dropout masks");
  assert.equal(ours.hashes["2 copies"], ours.hashes[2], "copies give the shared block's bits");
  const expected = { 1: "shared", 2: "shared", "2 copies": "copies" };
  assert.deepEqual(ours.memory, expected, "Node: a SharedArrayBuffer");
  assert.deepEqual(deno.memory, expected, "Deno: a SharedArrayBuffer");
});
