// Deno: import the built bundle, load rnn.wasm every way a Deno user can, train a few steps,
// try the bad inputs, and print one JSON line that deno.test.js compares with Node's run.
// From the repository root: deno run --no-prompt --allow-read=dist tests/runtimes/deno_smoke.ts
import * as lib from "../../dist/index.js";
import { fingerprint } from "./fingerprint.js";

const wasmUrl = new URL("../../dist/rnn.wasm", import.meta.url);
const bytes = await Deno.readFile(wasmUrl);

const loads: Record<string, () => Promise<unknown> | unknown> = {
  "init()": () => lib.init(),
  "initSync()": () => lib.initSync(),
  "init(bytes)": () => lib.init(bytes),
  "initSync(bytes)": () => lib.initSync(bytes),
  "init(file URL)": () => lib.init(wasmUrl),
  "init(fetch(file URL))": () => lib.init(fetch(wasmUrl)),
  "init(Response application/wasm)": () => lib.init(new Response(bytes, { headers: { "Content-Type": "application/wasm" } })),
  "init(Module)": async () => lib.init(await WebAssembly.compile(bytes)),
  "initSync(Module)": () => lib.initSync(new WebAssembly.Module(bytes)),
};
const bad: Record<string, () => Promise<unknown> | unknown> = {
  "not wasm": () => lib.init(new TextEncoder().encode("<!DOCTYPE html><p>Not found")),
  "truncated": () => lib.initSync(bytes.subarray(0, bytes.length >> 1)),
  "missing file": () => lib.init(new URL("./missing.wasm", wasmUrl)),
  "failed Response": () => lib.init(new Response("Not found", { status: 404, statusText: "Not Found" })),
};

const out = { deno: Deno.version.deno, v8: Deno.version.v8, hashes: {} as Record<string, string>, errors: {} as Record<string, string> };
for (const [name, load] of Object.entries(loads)) out.hashes[name] = (await fingerprint(lib, await load())).hash;
for (const [name, load] of Object.entries(bad)) {
  try {
    await load();
    out.errors[name] = "loaded";
  } catch (e) {
    out.errors[name] = e instanceof lib.RnnError ? `RnnError: ${e.message}` : `not an RnnError: ${e}`;
  }
}
console.log(JSON.stringify(out));
