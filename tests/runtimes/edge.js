// An edge runtime as Cloudflare Workers and Vercel Edge are one: a V8 context in which
// compiling WebAssembly from bytes is forbidden (the embedder's code-generation switch, here
// vm's `codeGeneration: { wasm: false }`, as workerd sets it), where `.wasm` imports arrive as
// WebAssembly.Module objects the host compiled ahead of time. The README's Workers snippet
// and the cross-runtime fingerprint run inside it, on the built dist/ files, and so do the
// workerd and edge-light builds, their .wasm import linked to the precompiled module.
//   node --experimental-vm-modules tests/runtimes/edge.js   → one JSON line (loader.test.js reads it)
import vm from "node:vm";
import { readFileSync } from "node:fs";
import { readmeSnippet } from "./readme.js";

const file = (p) => new URL(`../../${p}`, import.meta.url);
const bytes = readFileSync(file("dist/rnn.wasm"));
const precompiled = new WebAssembly.Module(bytes); // the host compiles at deploy time, outside the isolate's code

const context = vm.createContext(
  { console, Response, Request, Headers, URL, TextEncoder, TextDecoder, crypto },
  { codeGeneration: { strings: false, wasm: false } },
);

const probe = `
import * as lib from "rnn-wasm";
import wasm from "rnn-wasm/rnn.wasm";
import worker from "worker.js";
import { fingerprint } from "fingerprint.js";
import * as workerd from "dist/workerd.js";
import * as edgeLight from "dist/edge-light.js";

export async function run(bytes) {
  const out = {};
  try { new WebAssembly.Module(bytes); out.compileFromBytes = "allowed"; } catch (e) { out.compileFromBytes = e.message; }
  for (const [name, load] of [["init()", () => lib.init()], ["initSync()", () => lib.initSync()], ["init(bytes)", () => lib.init(bytes)]]) {
    try { await load(); out[name] = "loaded"; } catch (e) { out[name] = e.name + ": " + e.message; }
  }
  const res = await worker.fetch(new Request("https://edge.example/"));
  out.worker = { status: res.status, body: await res.json() };
  out.asyncModule = (await fingerprint(lib, await lib.init(wasm))).hash;
  out.syncModule = (await fingerprint(lib, lib.initSync(wasm))).hash;
  // The builds package.json's workerd and edge-light conditions pick: their .wasm import is
  // the platform's precompiled module, so the defaults (RNN.create, init()) just work.
  out.workerdDefault = (await fingerprint(workerd)).hash;
  out.edgeLightDefault = (await fingerprint(edgeLight)).hash;
  out.edgeLightInitSync = (await fingerprint(edgeLight, edgeLight.initSync())).hash;
  return out;
}
`;

const modules = new Map();
const source = (name, text) => modules.set(name, new vm.SourceTextModule(text, { identifier: name, context }));
source("rnn-wasm", readFileSync(file("dist/index.js"), "utf8"));
source("worker.js", readmeSnippet("Cloudflare Workers / edge"));
source("fingerprint.js", readFileSync(file("tests/runtimes/fingerprint.js"), "utf8"));
source("probe.js", probe);
source("dist/workerd.js", readFileSync(file("dist/workerd.js"), "utf8"));
source("dist/edge-light.js", readFileSync(file("dist/edge-light.js"), "utf8"));
// What the platforms' bundlers give for a .wasm import: the module, compiled at deploy time.
const wasmModule = (name) => new vm.SyntheticModule(["default"], function () { this.setExport("default", precompiled); }, { identifier: name, context });
modules.set("rnn-wasm/rnn.wasm", wasmModule("rnn-wasm/rnn.wasm"));
const imports = { "dist/workerd.js": { "./rnn.wasm": "rnn-wasm/rnn.wasm" }, "dist/edge-light.js": { "./rnn.wasm?module": "rnn-wasm/rnn.wasm" } };

const main = modules.get("probe.js");
await main.link((specifier, referencing) => {
  const m = modules.get(imports[referencing.identifier]?.[specifier] ?? specifier);
  if (!m) throw new Error(`edge sandbox: no module ${specifier} (imported by ${referencing.identifier})`);
  return m;
});
await main.evaluate();
console.log(JSON.stringify(await main.namespace.run(new Uint8Array(bytes))));
