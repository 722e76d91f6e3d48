/**
 * Chromium (Debian's `chromium`, driven by playwright-core) on the built dist/, served by a
 * localhost static server (tests/runtimes/server.js):
 * - the README's Browser page as printed: the embedded bundle, then the served rnn.wasm
 *   (application/wasm, compiled while streaming) — both train to the same loss;
 * - every way of loading (embedded, URL, fetch promise, Response, the wrong MIME type's
 *   fallback, initSync on bytes, a precompiled Module, a module Web Worker) gives Node's
 *   fingerprint, bit for bit;
 * - fitAsync with workers 0, 1 and 2 (module Web Workers, each posted the compiled module)
 *   gives Node's model files, bit for bit, and leaves no worker running: on a page that is not
 *   cross-origin isolated (no SharedArrayBuffer: copies in the messages) and on one that is
 *   (a second server sends COOP and COEP on every response: a shared block);
 * - bad input is an RnnError (404, an HTML page, HTML served as wasm, truncated bytes), and a
 *   Content-Security-Policy without 'wasm-unsafe-eval' gets an error that names it.
 * The browser: $CHROMIUM_PATH, else /usr/bin/chromium. Missing under CI=true: a failure.
 * Missing elsewhere: the suite is skipped, loudly.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import * as lib from "../../dist/index.js";
import { fingerprint } from "./fingerprint.js";
import { workersFingerprint } from "./workers_fingerprint.js";
import { readmeSnippet } from "./readme.js";
import { serve } from "./server.js";

const root = new URL("../../", import.meta.url);
const executablePath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const ci = process.env.CI === "true";
const missing = !existsSync(executablePath);

if (missing && !ci) {
  const line = "━".repeat(78);
  console.error(`\n${line}\n  SKIPPED: the Chromium suite. No browser at ${executablePath}.\n` +
    `  Install it (apt-get install chromium) or set CHROMIUM_PATH. Under CI=true this is a failure.\n${line}\n`);
}

const html = (body) => `<!doctype html><meta charset="utf-8"><title>rnn-wasm</title><link rel="icon" href="data:,">\n${body}\n`;
// Count streaming compilations on every page, before any of its scripts run.
const countStreaming = () => {
  const original = WebAssembly.compileStreaming;
  window.__streamed = 0;
  WebAssembly.compileStreaming = function (...args) { window.__streamed++; return original.apply(this, args); };
};

if (missing && !ci) test("Chromium", { skip: `SKIPPED: no browser at ${executablePath} (CHROMIUM_PATH overrides)` }, () => {});
else describe("Chromium", { timeout: 120_000 }, () => {
  let browser, page, server, isolated, node;
  const errors = [];

  before(async () => {
    assert.ok(!missing, `CI=true and no Chromium at ${executablePath}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`);
    node = (await fingerprint(lib)).hash;
    const wasm = readFileSync(new URL("dist/rnn.wasm", root));
    server = await serve({
      root,
      mounts: { "/dist/": "dist", "/node_modules/rnn-wasm/dist/": "dist", "/tests/runtimes/": "tests/runtimes" },
      pages: {
        "/": { body: html("") },
        "/readme.html": { body: html(readmeSnippet("Browser", "html")) },
        "/csp.html": { body: html(""), headers: { "Content-Security-Policy": "script-src 'self'" } },
        "/octet/rnn.wasm": { body: wasm, type: "application/octet-stream" },
        "/html-as-wasm.wasm": { body: html("<p>Not found</p>"), type: "application/wasm" },
        "/worker.js": {
          type: "text/javascript",
          body: `import * as lib from "/dist/index.js";
import { fingerprint } from "/tests/runtimes/fingerprint.js";
const bytes = new Uint8Array(await (await fetch("/dist/rnn.wasm")).arrayBuffer());
postMessage((await fingerprint(lib, lib.initSync(bytes))).hash);`,
        },
      },
    });
    // The same files from another origin whose every response makes the page cross-origin
    // isolated (SharedArrayBuffer, shareable with its workers); require-corp is satisfied
    // because everything is same-origin.
    isolated = await serve({
      root,
      mounts: { "/dist/": "dist", "/tests/runtimes/": "tests/runtimes" },
      pages: { "/": { body: html("") } },
      headers: { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" },
    });
    const { chromium } = await import("playwright-core");
    const started = performance.now();
    browser = await chromium.launch({
      executablePath,
      headless: true,
      timeout: 30_000,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    });
    const context = await browser.newContext(); // a fresh profile: launch() gives each run its own temporary user-data-dir
    await context.addInitScript(countStreaming);
    page = await context.newPage();
    page.on("pageerror", (e) => errors.push(e.message));
    console.log(`Chromium ${browser.version()} launched in ${Math.round(performance.now() - started)} ms; server ${server.base}`);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await isolated?.close();
  });

  test("the README's Browser page: embedded, then the served rnn.wasm streamed as application/wasm", async () => {
    const lines = [];
    const done = new Promise((resolve) => page.on("console", (m) => {
      if (m.type() !== "log") return; // not the browser's own warnings
      lines.push(m.text());
      if (lines.length === 2) resolve();
    }));
    await page.goto(`${server.base}/readme.html`);
    let timer;
    const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`page printed ${JSON.stringify(lines)}; errors ${errors}`)), 20_000); });
    await Promise.race([done, late]).finally(() => clearTimeout(timer));
    page.removeAllListeners("console");
    assert.deepEqual(errors, []);
    const [embedded, served] = lines;
    assert.match(embedded, /^embedded: loss \d+\.\d+$/);
    assert.equal(served, embedded.replace("embedded", "served"), "the two ways give the same loss");
    assert.equal(await page.evaluate(() => window.__streamed), 1, "the served module was compiled while streaming");
    assert.ok(server.requests.some((r) => r.path === "/node_modules/rnn-wasm/dist/rnn.wasm" && r.status === 200 && r.type === "application/wasm"));
  });

  test("every way of loading gives Node's fingerprint, bit for bit", async () => {
    await page.goto(`${server.base}/`);
    const started = performance.now();
    const out = await page.evaluate(async () => {
      const lib = await import("/dist/index.js");
      const { fingerprint } = await import("/tests/runtimes/fingerprint.js");
      const hashes = {};
      const streamed = {};
      const ways = {
        "embedded (RNN.create)": async () => undefined,
        "init()": () => lib.init(),
        "init(URL)": () => lib.init(new URL("/dist/rnn.wasm", location.href)),
        "init(string)": () => lib.init("/dist/rnn.wasm"),
        "init(fetch promise)": () => lib.init(fetch("/dist/rnn.wasm")),
        "init(Response)": async () => lib.init(await fetch("/dist/rnn.wasm")),
        "init(octet-stream URL)": () => lib.init("/octet/rnn.wasm"),
        "initSync(bytes)": async () => lib.initSync(new Uint8Array(await (await fetch("/dist/rnn.wasm")).arrayBuffer())),
        "init(Module)": async () => lib.init(await WebAssembly.compile(await (await fetch("/dist/rnn.wasm")).arrayBuffer())),
      };
      for (const [name, load] of Object.entries(ways)) {
        const before = window.__streamed;
        hashes[name] = (await fingerprint(lib, await load())).hash;
        streamed[name] = window.__streamed - before;
      }
      const worker = new Worker("/worker.js", { type: "module" });
      hashes["Web Worker initSync(bytes)"] = await new Promise((resolve, reject) => {
        worker.onmessage = (e) => resolve(e.data);
        worker.onerror = (e) => reject(new Error(`worker: ${e.message}`));
      });
      worker.terminate();
      return { hashes, streamed, userAgent: navigator.userAgent };
    });
    console.log(`Chromium fingerprints in ${Math.round(performance.now() - started)} ms: ${out.hashes["init()"]} (Node ${node})`);
    assert.equal(Object.keys(out.hashes).length, 10);
    for (const [how, hash] of Object.entries(out.hashes)) assert.equal(hash, node, `Chromium ${how} differs from Node`);
    assert.deepEqual(out.streamed, {
      "embedded (RNN.create)": 0, "init()": 0, "init(URL)": 1, "init(string)": 1, "init(fetch promise)": 1, "init(Response)": 1,
      "init(octet-stream URL)": 0, "initSync(bytes)": 0, "init(Module)": 0,
    });
    assert.deepEqual(errors, []);
  });

  /** workers_fingerprint.js in a page of `base`; the workers it started and terminated. */
  async function workersIn(base) {
    await page.goto(`${base}/`);
    const opened = [], closed = [];
    const onWorker = (w) => { opened.push(w.url()); w.once("close", () => closed.push(w.url())); };
    page.on("worker", onWorker);
    const started = performance.now();
    const out = await page.evaluate(async () => {
      const lib = await import("/dist/index.js");
      const { workersFingerprint } = await import("/tests/runtimes/workers_fingerprint.js");
      // Count the workers fitAsync starts and terminates (it finds Worker on globalThis when it spawns).
      const counts = { started: 0, terminated: 0 };
      const Original = globalThis.Worker;
      globalThis.Worker = class extends Original {
        constructor(...args) { super(...args); counts.started++; }
        terminate() { counts.terminated++; super.terminate(); }
      };
      try {
        return { ...(await workersFingerprint(lib)), counts, isolated: globalThis.crossOriginIsolated, sab: typeof SharedArrayBuffer };
      } finally {
        globalThis.Worker = Original;
      }
    });
    const ms = Math.round(performance.now() - started);
    for (let i = 0; i < 50 && closed.length < opened.length; i++) await new Promise((r) => setTimeout(r, 20));
    page.off("worker", onWorker);
    return { ...out, opened, closed, ms };
  }

  for (const isolation of [false, true]) {
    const label = isolation ? "cross-origin isolated: a shared block" : "not cross-origin isolated: copies";
    test(`fitAsync with workers 0, 1, 2 gives Node's model files, bit for bit; every worker is terminated (${label})`, async () => {
      const ours = await workersFingerprint(lib);
      const out = await workersIn(isolation ? isolated.base : server.base);
      console.log(`Chromium fitAsync with workers 0/1/2/2 (${label}) in ${out.ms} ms`);
      assert.equal(out.isolated, isolation, "crossOriginIsolated");
      assert.equal(out.sab, isolation ? "function" : "undefined", "SharedArrayBuffer is there only when isolated");
      assert.deepEqual(out.hashes, ours.hashes, "Chromium's model files are Node's");
      assert.equal(ours.hashes[1], ours.hashes[0], "workers: 1 is plain fitAsync");
      assert.notEqual(ours.hashes[2], ours.hashes[0], "workers: 2 draws other dropout masks");
      assert.equal(ours.hashes["2 copies"], ours.hashes[2], "copies give the shared block's bits");
      const memory = isolation ? "shared" : "copies";
      assert.deepEqual(out.memory, { 1: memory, 2: memory, "2 copies": "copies" });
      assert.deepEqual(out.counts, { started: 5, terminated: 5 }, "1 + 2 + 2 workers started, each terminated");
      assert.equal(out.opened.length, 5);
      assert.ok(out.opened.every((u) => u.endsWith("/dist/worker.js")), `workers ran ${out.opened}`);
      assert.equal(out.closed.length, 5, "no worker is left running");
      assert.deepEqual(page.workers(), []);
      assert.deepEqual(errors, []);
    });
  }

  test("bad input is an RnnError: 404, an HTML page, HTML served as wasm, truncated bytes", async () => {
    await page.goto(`${server.base}/`);
    const out = await page.evaluate(async () => {
      const lib = await import("/dist/index.js");
      const bytes = new Uint8Array(await (await fetch("/dist/rnn.wasm")).arrayBuffer());
      const cases = {
        "404": () => lib.init("/missing.wasm"),
        "HTML page": () => lib.init("/"),
        "HTML as wasm": () => lib.init("/html-as-wasm.wasm"),
        "truncated": () => lib.init(bytes.subarray(0, bytes.length >> 1)),
      };
      const errors = {};
      for (const [name, load] of Object.entries(cases)) {
        try { await load(); errors[name] = "loaded"; } catch (e) { errors[name] = `${e instanceof lib.RnnError ? "RnnError" : e.name}: ${e.message}`; }
      }
      return errors;
    });
    assert.match(out["404"], /^RnnError: fetching \/missing\.wasm failed: HTTP 404 Not Found$/);
    assert.match(out["HTML page"], /^RnnError: \/ is not a WebAssembly module: .*3c 21 64 6f.*text, not wasm/);
    assert.match(out["HTML as wasm"], /^RnnError: \/html-as-wasm\.wasm could not be compiled: /);
    assert.match(out.truncated, /^RnnError: the given bytes could not be compiled: .*truncated or corrupted/);
  });

  test("model files in the browser: IndexedDB resumes exactly, downloadModel saves model.save()'s bytes", async () => {
    await page.goto(`${server.base}/`);
    const [download, out] = await Promise.all([
      page.waitForEvent("download", { timeout: 20_000 }),
      page.evaluate(async () => {
        const lib = await import("/dist/index.js");
        const batch = { inputs: [[1, 2, 3, 4], [5, 6]], targets: [[2, 3, 4, 5], [6, 7]] };
        const opts = { optimizer: { type: "adam", lr: 0.05 } };
        const straight = await lib.RNN.create({ inputSize: 8, hiddenSize: 6, outputSize: 8, seed: 3 });
        for (let i = 0; i < 6; i++) straight.trainStep(batch, opts);
        const half = await lib.RNN.create({ inputSize: 8, hiddenSize: 6, outputSize: 8, seed: 3 });
        for (let i = 0; i < 3; i++) half.trainStep(batch, opts);
        await lib.saveModelToIndexedDB(half, "half", { database: "rnn-wasm-test" });
        const saved = Array.from(half.save());
        lib.downloadModel(half, "half.rnn");
        half.dispose();
        const back = await lib.loadModelFromIndexedDB("half", { database: "rnn-wasm-test" });
        for (let i = 0; i < 3; i++) back.trainStep(batch, opts);
        const bits = (m) => Array.from(new Uint32Array(m.parameters().W.buffer));
        let missing;
        try { await lib.loadModelFromIndexedDB("nothing here", { database: "rnn-wasm-test" }); missing = "loaded"; }
        catch (e) { missing = `${e instanceof lib.RnnError ? "RnnError" : e.name}: ${e.message}`; }
        return { same: JSON.stringify(bits(back)) === JSON.stringify(bits(straight)), saved, missing };
      }),
    ]);
    assert.ok(out.same, "3 steps, IndexedDB, 3 more steps = 6 steps, bit for bit");
    assert.equal(download.suggestedFilename(), "half.rnn");
    const file = readFileSync(await download.path());
    assert.deepEqual(Array.from(file), out.saved, "the downloaded file is model.save()");
    assert.match(out.missing, /^RnnError: .*nothing here/);
    assert.deepEqual(errors, []);
  });

  test("a Content-Security-Policy without 'wasm-unsafe-eval': an RnnError that says so", async () => {
    await page.goto(`${server.base}/csp.html`);
    const message = await page.evaluate(async () => {
      const lib = await import("/dist/index.js");
      try { await lib.init(); return "loaded"; } catch (e) { return `${e instanceof lib.RnnError ? "RnnError" : e.name}: ${e.message}`; }
    });
    assert.match(message, /^RnnError: the embedded rnn\.wasm could not be compiled: .*'wasm-unsafe-eval'/);
  });
});
