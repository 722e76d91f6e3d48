/**
 * The loader (src/wasm.ts) in Node, on the built dist/:
 * - every source gives the same engine: nothing (embedded), bytes of each kind, a Response
 *   (streamed when it says application/wasm, from the body otherwise), a fetch promise, a URL,
 *   a precompiled WebAssembly.Module — all train to the same cross-runtime fingerprint;
 * - the precompiled-Module path exactly as an edge runtime runs it (tests/runtimes/edge.js: a V8
 *   context that forbids compiling wasm, the README's Workers snippet inside it);
 * - bad input is a clear RnnError, promptly: not wasm, truncated, another module, another
 *   ABI version, an HTTP error, an unreachable URL, a wrong type, no SIMD;
 * - the package: exports resolve ("rnn-wasm", "rnn-wasm/rnn.wasm"), types first, the packed
 *   files, no eval/new Function/bare SharedArrayBuffer/import.meta in the bundle, the README's Node
 *   snippet runs as printed.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as lib from "../../dist/index.js";
import { fingerprint } from "../runtimes/fingerprint.js";
import { readmeSnippet } from "../runtimes/readme.js";

const { init, initSync, RnnError } = lib;
const root = new URL("../../", import.meta.url);
const wasmBytes = readFileSync(new URL("dist/rnn.wasm", root));
const run = promisify(execFile);
const T = { timeout: 10_000 }; // a hang is a failure

let reference; // the embedded module's fingerprint: every other path must match it
before(async () => { reference = (await fingerprint(lib, await init())).hash; });

async function sameAsReference(engine) {
  assert.equal((await fingerprint(lib, engine)).hash, reference);
}

/** Count calls of WebAssembly[name] while fn runs. */
async function counting(name, fn) {
  const original = WebAssembly[name];
  let calls = 0;
  WebAssembly[name] = function (...args) { calls++; return original.apply(this, args); };
  try { await fn(); } finally { WebAssembly[name] = original; }
  return calls;
}

async function rejects(promiseOrFn, pattern) {
  await assert.rejects(promiseOrFn, (e) => {
    assert.ok(e instanceof RnnError, `expected an RnnError, got ${e?.name}: ${e?.message}`);
    assert.match(e.message, pattern);
    return true;
  });
}

function throwsSync(fn, pattern) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof RnnError, `expected an RnnError, got ${e?.name}: ${e?.message}`);
    assert.match(e.message, pattern);
    return true;
  });
}

// ── tiny hand-made modules ─────────────────────────────────────────────────────────────
const str = (s) => [s.length, ...new TextEncoder().encode(s)];
const section = (id, body) => [id, body.length, ...body];
const wasm = (...sections) => new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, ...sections.flat()]);
// (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
const addModule = wasm(section(1, [1, 0x60, 2, 0x7f, 0x7f, 1, 0x7f]), section(3, [1, 0]), section(7, [1, ...str("add"), 0, 0]),
  section(10, [1, 7, 0, 0x20, 0, 0x20, 1, 0x6a, 0x0b]));
// (import "wasi_snapshot_preview1" "fd_write" (func))
const wasiModule = wasm(section(1, [1, 0x60, 0, 0]), section(2, [1, ...str("wasi_snapshot_preview1"), ...str("fd_write"), 0, 0]));

function uleb(buf, pos) {
  let value = 0, shift = 0, b;
  do { b = buf[pos++]; value += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
  return [value, pos];
}

/** The ABI version of this build (abi_version() in assembly/index.ts, ABI_VERSION in src/wasm.ts). */
const ABI = 5;

/** rnn.wasm with abi_version() returning `version`: the body `i32.const ABI` patched in place. */
function withAbiVersion(bytes, version) {
  const out = Uint8Array.from(bytes);
  let pos = 8, imported = 0, abiFunc = -1;
  while (pos < out.length) {
    const id = out[pos];
    let size;
    [size, pos] = uleb(out, pos + 1);
    const end = pos + size;
    let p = pos, n;
    if (id === 2 || id === 7 || id === 10) [n, p] = uleb(out, p);
    if (id === 2) {
      for (let i = 0; i < n; i++) {
        let len;
        [len, p] = uleb(out, p); p += len;
        [len, p] = uleb(out, p); p += len;
        assert.equal(out[p++], 0, "rnn.wasm imports only functions");
        [, p] = uleb(out, p);
        imported++;
      }
    } else if (id === 7) {
      for (let i = 0; i < n; i++) {
        let len, index;
        [len, p] = uleb(out, p);
        const name = new TextDecoder().decode(out.subarray(p, p + len)); p += len;
        const kind = out[p++];
        [index, p] = uleb(out, p);
        if (name === "abi_version" && kind === 0) abiFunc = index;
      }
    } else if (id === 10) {
      assert.ok(abiFunc >= imported, "abi_version is exported");
      for (let i = 0; i < n; i++) {
        let len;
        [len, p] = uleb(out, p);
        if (i === abiFunc - imported) {
          assert.deepEqual([...out.subarray(p, p + len)], [0, 0x41, ABI, 0x0b], `abi_version() is \`i32.const ${ABI}\``);
          out[p + 2] = version;
          return out;
        }
        p += len;
      }
    }
    pos = end;
  }
  throw new Error("abi_version not found");
}

// ── a local server for the URL and fetch paths (127.0.0.1, ephemeral port, closed in after()) ──
let server, base;
before(async () => {
  server = createServer((req, res) => {
    const send = (status, type, body) => { res.writeHead(status, { "Content-Type": type }); res.end(body); };
    if (req.url === "/rnn.wasm") send(200, "application/wasm", wasmBytes);
    else if (req.url === "/octet.wasm") send(200, "application/octet-stream", wasmBytes);
    else if (req.url === "/html-as-wasm.wasm") send(200, "application/wasm", "<!DOCTYPE html><title>Not here</title>");
    else if (req.url === "/page.wasm") send(200, "text/html", "<!DOCTYPE html><title>Not here</title>");
    else send(404, "text/plain", "not found");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${server.address().port}`;
  setTimeout(() => server.close(), 60_000).unref(); // a bounded lifetime even if after() never runs
});
after(() => { server.closeAllConnections(); server.close(); });

describe("every source loads the same module", () => {
  test("nothing: the module embedded in dist/index.js (init and initSync)", T, async () => {
    await sameAsReference(initSync());
    assert.match(reference, /^[0-9a-f]{64}$/);
  });

  test("bytes: Buffer, Uint8Array at an offset, ArrayBuffer, DataView (init and initSync)", T, async () => {
    const padded = new Uint8Array(wasmBytes.length + 3);
    padded.set(wasmBytes, 3);
    const view = padded.subarray(3);
    const ab = view.slice().buffer;
    for (const bytes of [wasmBytes, view, ab, new DataView(ab)]) {
      await sameAsReference(await init(bytes));
      await sameAsReference(initSync(bytes));
    }
  });

  test("a Response with Content-Type application/wasm is compiled while it streams", T, async () => {
    const streamed = await counting("compileStreaming", async () => {
      await sameAsReference(await init(new Response(wasmBytes, { headers: { "Content-Type": "application/wasm" } })));
    });
    assert.equal(streamed, 1);
  });

  test("a Response with another Content-Type (or none) is compiled from its body", T, async () => {
    const streamed = await counting("compileStreaming", async () => {
      await sameAsReference(await init(new Response(wasmBytes, { headers: { "Content-Type": "application/octet-stream" } })));
      await sameAsReference(await init(new Response(wasmBytes)));
    });
    assert.equal(streamed, 0);
  });

  test("a URL, a URL string and a fetch promise, served over HTTP", T, async () => {
    const streamed = await counting("compileStreaming", async () => {
      await sameAsReference(await init(new URL("/rnn.wasm", base)));
      await sameAsReference(await init(`${base}/rnn.wasm`));
      await sameAsReference(await init(fetch(`${base}/rnn.wasm`)));
    });
    assert.equal(streamed, 3);
    await sameAsReference(await init(`${base}/octet.wasm`)); // wrong MIME type: the fallback
  });

  test("a precompiled WebAssembly.Module (init and initSync)", T, async () => {
    const module = await WebAssembly.compile(wasmBytes);
    const compiled = await counting("compile", async () => {
      await sameAsReference(await init(module));
      await sameAsReference(initSync(module));
    });
    assert.equal(compiled, 0, "a Module is instantiated, never recompiled");
  });

  test("engines are independent: a model's memory belongs to its engine", T, async () => {
    const a = await init(), b = await init();
    assert.notEqual(a.exports.memory, b.exports.memory);
  });
});

describe("an edge runtime: compiling from bytes forbidden, .wasm imports precompiled", () => {
  let edge;
  before(async () => {
    const { stdout } = await run(process.execPath, ["--experimental-vm-modules", "--no-warnings", fileURLToPath(new URL("tests/runtimes/edge.js", root))], { timeout: 30_000 });
    edge = JSON.parse(stdout);
  });

  test("the sandbox really forbids compiling wasm", () => {
    assert.match(edge.compileFromBytes, /disallowed/);
  });

  test("the README's Workers snippet answers a request with a trained loss", () => {
    assert.equal(edge.worker.status, 200);
    assert.ok(Number.isFinite(edge.worker.body.loss) && edge.worker.body.loss > 0, JSON.stringify(edge.worker));
  });

  test("init(module) and initSync(module) give the same bits as Node", () => {
    assert.equal(edge.asyncModule, reference);
    assert.equal(edge.syncModule, reference);
  });

  test("the workerd and edge-light builds need no init: their .wasm import is the platform's module", () => {
    assert.equal(edge.workerdDefault, reference);
    assert.equal(edge.edgeLightDefault, reference);
    assert.equal(edge.edgeLightInitSync, reference);
  });

  test("init() from bytes there is an RnnError that says to pass the precompiled module", () => {
    for (const k of ["init()", "initSync()", "init(bytes)"]) {
      assert.match(edge[k], /^RnnError: .*could not be compiled.*disallowed by embedder.*forbids compiling WebAssembly from bytes.*rnn-wasm\/rnn\.wasm/, k);
    }
  });
});

describe("bad input is a clear RnnError, not a hang", () => {
  const html = new TextEncoder().encode("<!DOCTYPE html><html><body>Not found</body></html>");

  test("bytes that are not WebAssembly (an HTML page, empty, random)", T, async () => {
    for (const [bytes, pattern] of [
      [html, /the given bytes is not a WebAssembly module: \d+ bytes starting 3c 21 44 4f 43 54 59 50 \("<!DOCTYP…": text, not wasm\); expected 00 61 73 6d/],
      [new Uint8Array(0), /not a WebAssembly module: 0 bytes starting \(empty\)/],
      [new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), /not a WebAssembly module: 9 bytes starting 01 02 03/],
    ]) {
      await rejects(init(bytes), pattern);
      throwsSync(() => initSync(bytes), pattern);
    }
  });

  test("a truncated rnn.wasm", T, async () => {
    const half = wasmBytes.subarray(0, wasmBytes.length >> 1);
    await rejects(init(half), /could not be compiled: .*truncated or corrupted/);
    throwsSync(() => initSync(half), /could not be compiled: .*truncated or corrupted/);
    // Just the header is a valid, empty module: refused for what it lacks.
    await rejects(init(wasmBytes.subarray(0, 8)), /is not this version's rnn\.wasm: it lacks the exports abi_version, model_param_bytes.*\(\d+\)/);
  });

  test("another module: missing exports, foreign imports", T, async () => {
    assert.ok(WebAssembly.validate(addModule) && WebAssembly.validate(wasiModule));
    await rejects(init(addModule), /not this version's rnn\.wasm: it lacks the exports abi_version/);
    throwsSync(() => initSync(new WebAssembly.Module(addModule)), /lacks the exports abi_version/);
    await rejects(init(wasiModule), /it lacks the exports .* and it imports wasi_snapshot_preview1\.fd_write/);
  });

  test("rnn.wasm of another ABI version", T, async () => {
    for (const other of [ABI - 1, ABI + 1]) {
      const patched = withAbiVersion(wasmBytes, other);
      assert.ok(WebAssembly.validate(patched));
      const message = new RegExp(`has ABI version ${other}, this rnn-wasm needs ${ABI}`);
      await rejects(init(patched), message);
      throwsSync(() => initSync(patched), message);
    }
    await sameAsReference(await init(withAbiVersion(wasmBytes, ABI))); // the patcher itself changes nothing else
  });

  test("a failed Response, an HTML page served as wasm, a wrong URL", T, async () => {
    await rejects(init(new Response("Not found", { status: 404, statusText: "Not Found" })), /fetching the given Response failed: HTTP 404 Not Found/);
    await rejects(init(`${base}/missing.wasm`), new RegExp(`fetching ${base}/missing\\.wasm failed: HTTP 404`));
    await rejects(init(fetch(`${base}/missing.wasm`)), /failed: HTTP 404/);
    await rejects(init(`${base}/page.wasm`), /page\.wasm is not a WebAssembly module: .*text, not wasm/);
    await rejects(init(`${base}/html-as-wasm.wasm`), /html-as-wasm\.wasm could not be compiled/); // streamed, then refused by the compiler
  });

  test("an unreachable URL, a rejected fetch, a file: URL where fetch cannot read files", T, async () => {
    const closed = createServer();
    await new Promise((r) => closed.listen(0, "127.0.0.1", r));
    const dead = `http://127.0.0.1:${closed.address().port}/rnn.wasm`;
    await new Promise((r) => closed.close(r));
    await rejects(init(dead), /fetching http:\/\/127\.0\.0\.1:\d+\/rnn\.wasm failed: fetch failed \(.+\)$/);
    await rejects(init(Promise.reject(new TypeError("network down"))), /fetching rnn\.wasm failed: network down/);
    await rejects(init(pathToFileURL(fileURLToPath(new URL("dist/rnn.wasm", root)))), /failed: fetch failed \(not implemented\.\.\. yet\.\.\.\); this fetch cannot read files: pass the bytes, init\(await readFile\(url\)\)/);
  });

  test("values of the wrong type; Responses and URLs are not for initSync", T, async () => {
    for (const x of [42, null, new Map(), [0, 97, 115, 109]]) {
      await rejects(init(x), /init: expected the bytes of rnn\.wasm, a Response, a URL or a WebAssembly\.Module; got (number|null|Map|Array)/);
    }
    throwsSync(() => initSync(new Response(wasmBytes)), /expected the bytes of rnn\.wasm or a WebAssembly\.Module \(for a URL or a Response use `await init\(…\)`\); got Response/);
    throwsSync(() => initSync(`${base}/rnn.wasm`), /got string/);
  });

  test("no SIMD: an RnnError naming the minimum engines, from WebAssembly.validate, before any compiling", T, async () => {
    const original = WebAssembly.validate;
    const probes = [];
    WebAssembly.validate = (bytes) => { probes.push(bytes); return false; };
    let compiled;
    try {
      compiled = await counting("compile", async () => {
        await rejects(init(), /lacks WebAssembly SIMD/);
        await rejects(init(wasmBytes), /lacks WebAssembly SIMD/);
        throwsSync(() => initSync(), /lacks WebAssembly SIMD/);
      });
    } finally {
      WebAssembly.validate = original;
    }
    assert.equal(compiled, 0);
    assert.ok(probes.length === 3 && probes.every((p) => p.includes(0xfd)), "the probe is a module with SIMD (0xfd) opcodes");
    assert.ok(probes.every((p) => original(p)), "and this engine, which has SIMD, accepts it");
    let message = "";
    WebAssembly.validate = () => false;
    try { initSync(); } catch (e) { message = e.message; } finally { WebAssembly.validate = original; }
    const engines = message.slice(message.indexOf(": ") + 2);
    for (const v of ["Node.js ≥ 16.4", "Deno ≥ 1.9", "Chrome/Edge ≥ 91", "Firefox ≥ 90", "Safari ≥ 16.4"]) {
      assert.ok(engines.includes(v), `the error names ${v}`);
    }
    const readme = readFileSync(new URL("README.md", root), "utf8");
    const requirements = readme.slice(readme.indexOf("## Engine requirements")).replace(/\s+/g, " ");
    for (const v of engines.split(", ")) assert.ok(requirements.includes(v), `README "Engine requirements" lists ${v}`);
  });
});

describe("the package", () => {
  test('"rnn-wasm" resolves (package exports) to the bundle; "rnn-wasm/rnn.wasm" to the standalone module', T, async () => {
    assert.equal(await import("rnn-wasm"), lib);
    const require = createRequire(import.meta.url);
    assert.equal(require.resolve("rnn-wasm/rnn.wasm"), fileURLToPath(new URL("dist/rnn.wasm", root)));
    const pkg = JSON.parse(readFileSync(new URL("package.json", root), "utf8"));
    assert.deepEqual(Object.keys(pkg.exports["."]), ["types", "workerd", "edge-light", "default"], "types first, default last");
    for (const [condition, file] of Object.entries(pkg.exports["."])) assert.ok(existsSync(new URL(file, root)), `${condition}: ${file} is built`);
  });

  test("npm pack ships the bundle, the types and rnn.wasm", { timeout: 30_000 }, async () => {
    const { stdout } = await run("npm", ["pack", "--dry-run", "--ignore-scripts", "--json"], { cwd: fileURLToPath(root), timeout: 30_000 });
    const files = JSON.parse(stdout)[0].files.map((f) => f.path);
    for (const f of ["dist/index.js", "dist/index.d.ts", "dist/wasm.d.ts", "dist/rnn.wasm", "package.json", "README.md", "LICENSE", "bin/rnn-wasm.js"]) assert.ok(files.includes(f), `${f} is packed`);
    // the CLI's every module: what bin/rnn-wasm.js and cli/*.js import from cli/ must ship too
    const cliFiles = readdirSync(new URL("cli/", root)).filter((f) => f.endsWith(".js")).map((f) => `cli/${f}`);
    for (const f of cliFiles) assert.ok(files.includes(f), `${f} is packed (the CLI imports it)`);
    assert.ok(!files.some((f) => f.endsWith(".wat") || f.startsWith("src/") || f.startsWith("tests/")), files.join(" "));
  });

  test("the bundle embeds the module and uses no eval, new Function, bare SharedArrayBuffer or sibling-file lookup (but fitAsync's worker.js)", () => {
    const js = readFileSync(new URL("dist/index.js", root), "utf8");
    // One sibling file is looked up, and only when fitAsync is given `workers`: dist/worker.js,
    // in the form bundlers recognise (webpack 5 and Vite copy the file along).
    const lookup = 'new URL("./worker.js", import.meta.url)';
    assert.equal(js.split(lookup).length, 2, "the worker's URL, once");
    // SharedArrayBuffer only as a property of globalThis, looked up when fitAsync has workers
    // (typeof-checked: engines and pages without it get copies); never as a bare name, which
    // would throw where it is not defined.
    for (const bad of [/\beval\s*\(/, /new Function\b/, /\bFunction\s*\(/, /(?<![.\w])SharedArrayBuffer\b/, /import\.meta/]) assert.doesNotMatch(js.replace(lookup, ""), bad);
    assert.match(js, /typeof \w+\.SharedArrayBuffer === "function"/, "the one use of SharedArrayBuffer is feature-detected");
    assert.ok(js.length > wasmBytes.length * 4 / 3, "the module's base64 is inside");
  });

  test("the README's Node snippet runs as printed", T, async () => {
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", readmeSnippet("Node")], { cwd: fileURLToPath(root), timeout: 10_000 });
    assert.match(stdout, /^loss \d+\.\d+\nsame loss true\n$/);
  });
});
