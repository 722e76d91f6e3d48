// The package entry's loading: rnn.wasm embedded in the bundle (esbuild's binary loader) is
// the default source, and the default engine of models created without one. The slim entry
// does not import this file, so its bundles carry no copy of the module.

import embeddedWasm from "../dist/rnn.wasm";
import { load, loadSync, isInitOptions, type Engine, type InitOptions, type WasmSource, type WasmSyncSource } from "./wasm.js";

const EMBEDDED = "the embedded rnn.wasm";

/** `{ wasm, fma }` with `wasm` defaulting to the embedded module (undefined counts as absent). */
function withEmbedded<S>(source: S | InitOptions<S>): S | InitOptions<S> {
  return isInitOptions(source) ? { ...source, wasm: source.wasm ?? (embeddedWasm as S) } : source;
}

const nameOf = (source: unknown): string | undefined =>
  source === embeddedWasm || (isInitOptions(source) && source.wasm === embeddedWasm) ? EMBEDDED : undefined;

/**
 * Load rnn.wasm: nothing (the module embedded in the bundle), its bytes, a `Response` or
 * `fetch(…)` promise, a URL, or a precompiled `WebAssembly.Module` (edge runtimes).
 * `init({ fma })` loads rnn-fma.wasm instead where the engine has relaxed SIMD, and the
 * embedded module elsewhere (`engine.features.fma` says which; see {@link InitOptions}).
 * Anything that is not this version's rnn.wasm is refused with an {@link RnnError}.
 */
export function init(source: WasmSource | InitOptions = embeddedWasm): Promise<Engine> {
  const chosen = withEmbedded(source);
  return load(chosen, nameOf(chosen));
}

/**
 * Load rnn.wasm synchronously from its bytes or a compiled module (default: the module
 * embedded in the bundle), or `{ fma }` as `init` does. For workers and tests; on a browser's
 * main thread prefer `init`.
 */
export function initSync(source: WasmSyncSource | InitOptions<WasmSyncSource> = embeddedWasm): Engine {
  const chosen = withEmbedded(source);
  return loadSync(chosen, nameOf(chosen));
}

let shared: Promise<Engine> | undefined;

/** The engine models use by default: the embedded module, instantiated once (retried if that failed). */
export function embeddedEngine(): Promise<Engine> {
  shared ??= init().catch((e) => { shared = undefined; throw e; });
  return shared;
}
