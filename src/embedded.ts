// The package entry's loading: rnn.wasm embedded in the bundle (esbuild's binary loader) is
// the default source, and the default engine of models created without one. The slim entry
// does not import this file, so its bundles carry no copy of the module.

import embeddedWasm from "../dist/rnn.wasm";
import { load, loadSync, type Engine, type WasmSource, type WasmSyncSource } from "./wasm.js";

const EMBEDDED = "the embedded rnn.wasm";

/**
 * Load rnn.wasm: nothing (the module embedded in the bundle), its bytes, a `Response` or
 * `fetch(…)` promise, a URL, or a precompiled `WebAssembly.Module` (edge runtimes).
 * Anything that is not this version's rnn.wasm is refused with an {@link RnnError}.
 */
export function init(source: WasmSource = embeddedWasm): Promise<Engine> {
  return load(source, source === embeddedWasm ? EMBEDDED : undefined);
}

/**
 * Load rnn.wasm synchronously from its bytes or a compiled module (default: the module
 * embedded in the bundle). For workers and tests; on a browser's main thread prefer `init`.
 */
export function initSync(source: WasmSyncSource = embeddedWasm): Engine {
  return loadSync(source, source === embeddedWasm ? EMBEDDED : undefined);
}

let shared: Promise<Engine> | undefined;

/** The engine models use by default: the embedded module, instantiated once (retried if that failed). */
export function embeddedEngine(): Promise<Engine> {
  shared ??= init().catch((e) => { shared = undefined; throw e; });
  return shared;
}
