// An edge runtime as Cloudflare Workers and Vercel Edge are one: a V8 context in which
// compiling WebAssembly from bytes is forbidden (the embedder's code-generation switch, here
// vm's `codeGeneration: { wasm: false }`, as workerd sets it), where `.wasm` imports arrive as
// WebAssembly.Module objects the host compiled ahead of time. The README's Workers snippet
// and the cross-runtime fingerprint run inside it, on the built dist/ files.
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
  return out;
}
`;

const modules = new Map();
const source = (name, text) => modules.set(name, new vm.SourceTextModule(text, { identifier: name, context }));
source("rnn-wasm", readFileSync(file("dist/index.js"), "utf8"));
source("worker.js", readmeSnippet("Cloudflare Workers / edge"));
source("fingerprint.js", readFileSync(file("tests/runtimes/fingerprint.js"), "utf8"));
source("probe.js", probe);
modules.set("rnn-wasm/rnn.wasm", new vm.SyntheticModule(["default"], function () { this.setExport("default", precompiled); }, { identifier: "rnn-wasm/rnn.wasm", context }));

const main = modules.get("probe.js");
await main.link((specifier) => {
  const m = modules.get(specifier);
  if (!m) throw new Error(`edge sandbox: no module ${specifier}`);
  return m;
});
await main.evaluate();
console.log(JSON.stringify(await main.namespace.run(new Uint8Array(bytes))));
