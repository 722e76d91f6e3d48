// Loading rnn.wasm (or its FMA build, rnn-fma.wasm), and the typed interface of their raw
// exports. The names below are the exact export names of assembly/index.ts (one line each), so
// a mismatch is a type error rather than a silent `undefined`.
//
// Nothing here embeds the module: the package entry (src/index.ts, through embedded.ts) adds
// the embedded copy as the default source; the slim entry (src/slim.ts) has no default.
// rnn-fma.wasm is never embedded: the caller passes it as init({ fma }) (see InitOptions).

import { RnnError } from "./errors.js";
import { checkOptionKeys } from "./check.js";

/** Raw exports of rnn.wasm. Pointers are byte offsets (read them with `>>> 0`). */
export interface RnnExports {
  readonly memory: WebAssembly.Memory;
  /** ABI_VERSION below; a module from another rnn-wasm version is refused. */
  abi_version(): number;
  /** Bytes of the parameter block for these sizes (f64, never overflows). */
  model_param_bytes(n: number, d: number, k: number, input: number, layers: number, dirs: number, emb: number): number;
  /** Bytes of a work block for exactly T × B. */
  model_work_bytes(n: number, d: number, k: number, input: number, task: number, loss: number, layers: number, dirs: number, emb: number, dropout: number,
    pool: number, inDrop: number, outDrop: number, T: number, B: number, F: number): number;
  /** Create a model (parameters initialised from the seed); returns its header pointer. */
  model_create(n: number, d: number, k: number, input: number, task: number, act: number, loss: number, layers: number, dirs: number, emb: number, dropout: number,
    pool: number, inDrop: number, outDrop: number, seedLo: number, seedHi: number): number;
  /** Free a model's memory. */
  model_free(model: number): void;
  /** Plan the work block for exactly T × B: −1 too big (nothing changed), 0 already planned, 1 re-planned (pointers may have moved). */
  model_reserve(model: number, T: number, B: number, F: number): number;
  /** Parameter copy, gradient copy, optimizer moments (m then v). */
  model_params(model: number): number;
  model_grads(model: number): number;
  model_moments(model: number): number;
  /** Floats in one parameter copy (padding included). */
  model_nparams(model: number): number;
  /** Float offset of tensor i (0 U, 1 W, 2 b, 3 V, 4 c) inside a copy. */
  model_offset(model: number, i: number): number;
  /** Parameter tensors (E, U/W/b per cell, V, c): the length of the tensor table. */
  model_tensor_count(model: number): number;
  /** Work-block views: inputs (T,B) i32 or (T,B,n) f32; targets; lengths (B); states H (T+1,B,d); outputs O. */
  model_inputs(model: number): number;
  model_targets(model: number): number;
  /** Row weights ω of the loss, (rows) f32, read only while model_set_weighted is on (every ω = 1 otherwise). */
  model_weights(model: number): number;
  model_set_weighted(model: number, on: number): void;
  model_lengths(model: number): number;
  /** (B, S) initial states, S = L·D·d, sequence-major in slot order; read by a pass with hasH0. */
  model_h0(model: number): number;
  /** (B, S) final states after a pass. */
  model_final(model: number): number;
  /** Slot s's states (T+1, B, d): forward s_t at index t+1, reverse s_t at index t. */
  model_slot_states(model: number, slot: number): number;
  model_outputs(model: number): number;
  /** ∂L/∂h0 (B, S) after model_gradients. */
  model_dh0(model: number): number;
  /** Tell the module the host wrote parameters (its packed copies of W, V, U are rebuilt). */
  model_params_written(model: number): void;
  /** ‖∂L/∂s_t‖₂ for t = 0..T−1 (f32) after model_gradients. */
  model_state_grad_norms(model: number): number;
  /** Optimizer step counter (saturates at 2^31 − 1). */
  model_step(model: number): number;
  model_set_step(model: number, step: number): void;
  /** ‖g‖₂ before clipping, of the last model_train_step. */
  model_grad_norm(model: number): number;
  /** STEP_* below: what the last model_train_step did with its update. */
  model_step_status(model: number): number;
  /** Address of the 8-byte PCG32 state; next 32-bit output. */
  model_rng(model: number): number;
  model_random(model: number): number;
  /** Forward pass and outputs f2(o) into O. */
  model_predict(model: number, T: number, B: number, hasH0: number): void;
  /** Zero grads, forward, loss, BPTT; returns the loss. */
  model_gradients(model: number, T: number, B: number, hasH0: number): number;
  /** Forward and loss only; returns the loss (O keeps the logits, gradients untouched). */
  model_loss(model: number, T: number, B: number, hasH0: number): number;
  /**
   * Gradients, norm, clipping (maxNorm > 0) and one update (opt: OPT_SGD with a1 = momentum; OPT_ADAM or
   * OPT_ADAMW with a1..a3 = β1, β2, ε; weight decay wd on U, W, V, and on b, c if decayBiases) in one call;
   * returns the loss. Unless allowNonFinite, a non-finite loss, gradient norm or update is not applied
   * (model_step_status says why).
   */
  model_train_step(model: number, T: number, B: number, hasH0: number, maxNorm: number, opt: number, lr: number, a1: number, a2: number, a3: number,
    wd: number, decayBiases: number, allowNonFinite: number): number;
  /**
   * model_train_step's norm, clipping and update from the gradients the grads copy holds now
   * (summed there from several replicas, for data-parallel training); `loss` for the non-finite rule.
   */
  model_apply_gradients(model: number, loss: number, maxNorm: number, opt: number, lr: number, a1: number, a2: number, a3: number,
    wd: number, decayBiases: number, allowNonFinite: number): number;
}

/** Optimizer codes of model_train_step (assembly/optim.ts). */
export const OPT_SGD = 0;
export const OPT_ADAM = 1;
export const OPT_ADAMW = 2;

/** model_step_status codes (assembly/index.ts). */
export const STEP_APPLIED = 0;
export const STEP_NONFINITE_LOSS = 1;
export const STEP_NONFINITE_GRAD = 2;
export const STEP_NONFINITE_UPDATE = 3;

/** What an engine is running on: which module was loaded, and what this WebAssembly engine can do. */
export interface EngineFeatures {
  /** Fixed-width SIMD: always (neither module loads without it). */
  readonly simd: true;
  /** This WebAssembly engine validates relaxed SIMD (Node ≥ 22, Deno 2, Chrome/Edge ≥ 114), whichever module was loaded. */
  readonly relaxedSimd: boolean;
  /**
   * The loaded module is rnn-fma.wasm: its matrix products use `f32x4.relaxed_madd` (fused where
   * the CPU has FMA), so results may differ in the last bits between machines and engines.
   * `false`: the strict rnn.wasm, bit-identical everywhere.
   */
  readonly fma: boolean;
}

/** A loaded rnn.wasm instance. Models created on one engine share its memory. */
export interface Engine {
  readonly exports: RnnExports;
  /** Which module this is (`fma`) and whether the engine has relaxed SIMD. */
  readonly features: EngineFeatures;
}

/**
 * What the module can be loaded from: its bytes, a `Response` or a promise of one (compiled
 * while it downloads), a URL to fetch, or an already compiled `WebAssembly.Module` (what
 * Cloudflare Workers and Vercel Edge hand you: they forbid compiling from bytes).
 */
export type WasmSource = BufferSource | WebAssembly.Module | Response | PromiseLike<Response> | URL | string;

/** What {@link initSync} can load from: bytes or a compiled module. */
export type WasmSyncSource = BufferSource | WebAssembly.Module;

/**
 * `init({ fma })`: load rnn-fma.wasm where this engine has relaxed SIMD, else the strict module.
 * @example
 * // Node ≥ 22 (Node 20 falls back to the embedded rnn.wasm):
 * const fma = await readFile(fileURLToPath(import.meta.resolve("rnn-wasm/rnn-fma.wasm")));
 * const engine = await init({ fma });
 * engine.features.fma; // true where relaxed SIMD validated
 */
export interface InitOptions<S = WasmSource> {
  /**
   * rnn.wasm, the strict module: what is loaded when `fma` is not given or the engine lacks
   * relaxed SIMD. In the package entry it defaults to the embedded module; the slim entry has
   * no default, so there an engine without relaxed SIMD refuses `{ fma }` alone.
   */
  wasm?: S;
  /**
   * rnn-fma.wasm (`rnn-wasm/rnn-fma.wasm`), in any form `wasm` takes. Loaded instead of `wasm`
   * where `WebAssembly.validate` accepts relaxed SIMD, and only there (a URL is not fetched
   * elsewhere). {@link EngineFeatures.fma} says which was loaded.
   * @default undefined (the strict module)
   */
  fma?: S;
}

/** The value abi_version() of assembly/index.ts returns; both change together. */
const ABI_VERSION = 5;

/** [name, kind] of every export of the rnn.wasm built with this wrapper (scripts/build.js defines it). */
declare const RNN_WASM_EXPORTS: readonly (readonly [string, string])[];

const ENGINES = "Node.js ≥ 16.4, Deno ≥ 1.9, Chrome/Edge ≥ 91, Firefox ≥ 90, Safari ≥ 16.4";

// (module (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt)): wasm-feature-detect's
// SIMD probe; popcnt is among the last opcodes fixed, so pre-standard SIMD fails too.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

// (module (func (result v128) i32.const 0 i8x16.splat ×3 f32x4.relaxed_madd)): only an engine
// with relaxed SIMD validates it (opcode 0xfd 0x105, the relaxed SIMD proposal's binary encoding).
const RELAXED_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 19, 1, 17, 0,
  65, 0, 253, 15, 65, 0, 253, 15, 65, 0, 253, 15, 253, 133, 2, 11]);

/** Whether this engine has relaxed SIMD (what rnn-fma.wasm needs). */
function hasRelaxedSimd(): boolean {
  return typeof WebAssembly === "object" && WebAssembly.validate(RELAXED_PROBE);
}

const RELAXED_ENGINES = "Node.js ≥ 22, Deno ≥ 2, Chrome/Edge ≥ 114; Node.js 20 with --experimental-wasm-relaxed-simd";

/** The custom section scripts/build.js appends to rnn-fma.wasm; the strict module has none. */
const FMA_SECTION = "rnn-wasm.fma";
const isFmaModule = (module: WebAssembly.Module): boolean => WebAssembly.Module.customSections(module, FMA_SECTION).length > 0;

/** A plain object ({ wasm, fma }; {} is the defaults), as opposed to any of the sources init takes. */
export function isInitOptions(x: unknown): x is InitOptions<unknown> {
  const proto = typeof x === "object" && x !== null ? Object.getPrototypeOf(x) : undefined;
  return (proto === Object.prototype || proto === null) && !isResponse(x) && typeof (x as PromiseLike<unknown>).then !== "function";
}

/**
 * Which source to load: [source, its name for errors, whether it is the `fma` option]. With
 * options, `fma` where the engine has relaxed SIMD, else `wasm` (named `name`: the embedded module).
 */
function choose(fn: string, source: unknown, name: string | undefined): [unknown, string | undefined, boolean] {
  if (!isInitOptions(source)) return [source, name, false];
  checkOptionKeys("options", source, ["wasm", "fma"]);
  const { wasm, fma } = source;
  if (fma !== undefined && hasRelaxedSimd()) return [fma, undefined, true];
  if (wasm === undefined && fma !== undefined) {
    throw new RnnError(`${fn}: this engine lacks relaxed SIMD, which rnn-fma.wasm needs (${RELAXED_ENGINES}); pass rnn.wasm too: ${fn}({ wasm, fma })`);
  }
  return [wasm, name, false];
}

function requireSimd(): void {
  if (typeof WebAssembly !== "object") throw new RnnError(`this runtime has no WebAssembly; rnn-wasm needs WebAssembly with SIMD: ${ENGINES}`);
  if (!WebAssembly.validate(SIMD_PROBE)) {
    throw new RnnError(`this engine lacks WebAssembly SIMD (fixed-width, 128-bit), which rnn.wasm needs: ${ENGINES}`);
  }
}

/** An error's message, with its cause's (Node's fetch says "fetch failed" and puts the reason in `cause`). */
const message = (e: unknown): string =>
  e instanceof Error ? e.message + (e.cause instanceof Error ? ` (${e.cause.message})` : "") : String(e);

// toStringTag rather than instanceof: a module compiled in another realm (a worker's host, a vm context) is still one.
const isModule = (x: unknown): boolean => Object.prototype.toString.call(x) === "[object WebAssembly.Module]";
const isResponse = (x: unknown): x is Response =>
  typeof x === "object" && x !== null && typeof (x as Response).arrayBuffer === "function" && typeof (x as Response).status === "number";

function bytesOf(x: unknown): Uint8Array<ArrayBuffer> | undefined {
  if (x instanceof ArrayBuffer) return new Uint8Array(x);
  if (ArrayBuffer.isView(x)) return new Uint8Array(x.buffer as ArrayBuffer, x.byteOffset, x.byteLength);
  return undefined;
}

function sourceName(x: unknown): string {
  if (isModule(x)) return "the given WebAssembly.Module";
  if (bytesOf(x)) return "the given bytes";
  if (isResponse(x)) return x.url ? `the response from ${x.url}` : "the given Response";
  return String(x);
}

function expected(x: unknown, what: string): RnnError {
  const got = x === null ? "null" : typeof x === "object" ? (x.constructor?.name ?? "an object") : typeof x;
  return new RnnError(`init: expected ${what}; got ${got}`);
}

/** Bytes that cannot be rnn.wasm are refused before the compiler sees them (an HTML 404 page, a JSON error, …). */
function checkHeader(bytes: Uint8Array, from: string): void {
  const head = Array.from(bytes.subarray(0, 8));
  if (head.length === 8 && head.join() === "0,97,115,109,1,0,0,0") return;
  const hex = head.map((b) => b.toString(16).padStart(2, "0")).join(" ");
  const text = head.every((b) => b >= 9 && b < 127) ? ` ("${String.fromCharCode(...head)}…": text, not wasm)` : "";
  throw new RnnError(`${from} is not a WebAssembly module: ${bytes.length} bytes starting ${hex || "(empty)"}${text}; expected 00 61 73 6d 01 00 00 00`);
}

function compileError(e: unknown, from: string): RnnError {
  const msg = message(e);
  const hint = /relaxed/.test(msg)
    ? `; rnn-fma.wasm needs relaxed SIMD (${RELAXED_ENGINES})`
    : /disallowed by embedder|unsafe-eval/.test(msg)
    ? "; this runtime forbids compiling WebAssembly from bytes (an edge runtime, or a Content-Security-Policy without 'wasm-unsafe-eval'): " +
      `pass a precompiled module instead, e.g. import wasm from "rnn-wasm/rnn.wasm" and init(wasm)`
    : "; is it truncated or corrupted? Use the rnn.wasm of the same rnn-wasm version";
  return new RnnError(`${from} could not be compiled: ${msg}${hint}`);
}

/** Is this our module? Its imports must be ours to give, its exports everything the wrapper calls. */
function checkModule(module: WebAssembly.Module, from: string): void {
  const have = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind as string]));
  const missing = RNN_WASM_EXPORTS.filter(([name, kind]) => have.get(name) !== kind).map(([name]) => name);
  const foreign = WebAssembly.Module.imports(module).filter((i) => !(i.module === "env" && i.name === "abort")).map((i) => `${i.module}.${i.name}`);
  if (!missing.length && !foreign.length) return;
  const list = (xs: string[]) => xs.slice(0, 5).join(", ") + (xs.length > 5 ? `, … (${xs.length})` : "");
  throw new RnnError(`${from} is not this version's rnn.wasm: ` +
    [missing.length && `it lacks the exports ${list(missing)}`, foreign.length && `it imports ${list(foreign)}`].filter(Boolean).join(" and ") +
    "; use the rnn.wasm of the same rnn-wasm version");
}

function engineFrom(module: WebAssembly.Module, instance: WebAssembly.Instance, from: string, chosenFma: boolean): Engine {
  const fma = isFmaModule(module);
  if (chosenFma && !fma) throw new RnnError(`options.fma: ${from} is not rnn-fma.wasm`);
  const exports = instance.exports as unknown as RnnExports;
  const abi = exports.abi_version();
  if (abi !== ABI_VERSION) {
    throw new RnnError(`${from} has ABI version ${abi}, this rnn-wasm needs ${ABI_VERSION}; use the rnn.wasm of the same rnn-wasm version`);
  }
  const engine: Engine = { exports, features: { simd: true, relaxedSimd: hasRelaxedSimd(), fma } };
  modules.set(engine, module);
  first ??= engine;
  return engine;
}

/** The compiled module of every engine, for workers (a WebAssembly.Module can be posted to one). */
const modules = new WeakMap<Engine, WebAssembly.Module>();

/** The compiled module an engine was instantiated from. */
export function moduleOf(engine: Engine): WebAssembly.Module | undefined {
  return modules.get(engine);
}

function readAbortMessage(memory: WebAssembly.Memory, ptr: number): string {
  if (!ptr) return "";
  const p = ptr >>> 0;
  const bytes = new Uint32Array(memory.buffer, p - 4, 1)[0];
  return String.fromCharCode(...new Uint16Array(memory.buffer, p, bytes >>> 1));
}

function imports(get: () => RnnExports | undefined): WebAssembly.Imports {
  return {
    env: {
      abort(msg: number, file: number, line: number, col: number) {
        const ex = get();
        const text = ex ? `${readAbortMessage(ex.memory, msg)} (${readAbortMessage(ex.memory, file)}:${line}:${col})` : "";
        throw new RnnError(`rnn.wasm aborted: ${text}`);
      },
    },
  };
}

/** Compile and check a source; async for Responses and URLs (streaming when the MIME type allows). */
async function compileAsync(source: unknown, name?: string): Promise<[WebAssembly.Module, string]> {
  let from = name ?? sourceName(source);
  if (typeof source === "string" || source instanceof URL) {
    try {
      source = await fetch(source);
    } catch (e) {
      const hint = String(source).startsWith("file:") && /not implemented|scheme/i.test(message(e)) ? "; this fetch cannot read files: pass the bytes, init(await readFile(url))" : "";
      throw new RnnError(`fetching ${from} failed: ${message(e)}${hint}`);
    }
  } else if (typeof (source as PromiseLike<unknown> | null)?.then === "function") {
    try { source = await source; } catch (e) { throw new RnnError(`fetching rnn.wasm failed: ${message(e)}`); }
    from = sourceName(source);
  }
  if (isResponse(source)) {
    if (!source.ok) throw new RnnError(`fetching ${from} failed: HTTP ${source.status} ${source.statusText}`.trim());
    const mime = (source.headers.get("Content-Type") ?? "").split(";")[0].trim().toLowerCase();
    if (mime === "application/wasm" && typeof WebAssembly.compileStreaming === "function") {
      try { return [await WebAssembly.compileStreaming(source), from]; } catch (e) { throw compileError(e, from); }
    }
    // The wrong MIME type (or no streaming in this engine): the same module, from the whole body.
    try { source = await source.arrayBuffer(); } catch (e) { throw new RnnError(`reading ${from} failed: ${message(e)}`); }
  }
  if (isModule(source)) return [source as WebAssembly.Module, from];
  const bytes = bytesOf(source);
  if (!bytes) throw expected(source, "the bytes of rnn.wasm, a Response, a URL or a WebAssembly.Module");
  checkHeader(bytes, from);
  try { return [await WebAssembly.compile(bytes), from]; } catch (e) { throw compileError(e, from); }
}

/**
 * Load rnn.wasm synchronously from its bytes or a compiled module, or `{ wasm, fma }` (see
 * {@link InitOptions}). For workers and tests; on a browser's main thread prefer `init`.
 * `name` names the source (`wasm`) in errors.
 */
export function loadSync(options: WasmSyncSource | InitOptions<WasmSyncSource>, name?: string): Engine {
  requireSimd();
  const [chosen, chosenName, chosenFma] = choose("initSync", options, name);
  const source = chosen as WasmSyncSource;
  name = chosenName;
  if (source === undefined) throw new RnnError("initSync: this entry embeds no rnn.wasm; pass its bytes or a compiled WebAssembly.Module");
  const from = name ?? sourceName(source);
  let module: WebAssembly.Module;
  if (isModule(source)) module = source as WebAssembly.Module;
  else {
    const bytes = bytesOf(source);
    if (!bytes) throw expected(source, "the bytes of rnn.wasm or a WebAssembly.Module (for a URL or a Response use `await init(…)`)");
    checkHeader(bytes, from);
    try { module = new WebAssembly.Module(bytes); } catch (e) { throw compileError(e, from); }
  }
  checkModule(module, from);
  let exports: RnnExports | undefined;
  let instance: WebAssembly.Instance;
  try { instance = new WebAssembly.Instance(module, imports(() => exports)); } catch (e) { throw new RnnError(`${from} could not be instantiated: ${message(e)}`); }
  exports = instance.exports as unknown as RnnExports;
  return engineFrom(module, instance, from, chosenFma);
}

/**
 * Load rnn.wasm from its bytes, a `Response` or `fetch(…)` promise, a URL, or a precompiled
 * `WebAssembly.Module` (edge runtimes); or `{ wasm, fma }` to load rnn-fma.wasm where the engine
 * has relaxed SIMD (see {@link InitOptions}). Anything that is not this version's rnn.wasm is
 * refused with an {@link RnnError}. `name` names the source (`wasm`) in errors.
 */
export async function load(options: WasmSource | InitOptions, name?: string): Promise<Engine> {
  requireSimd();
  const [chosen, chosenName, chosenFma] = choose("init", options, name);
  const source = chosen as WasmSource;
  name = chosenName;
  if (source === undefined) throw new RnnError(`init: this entry embeds no rnn.wasm; pass its URL, bytes or a compiled WebAssembly.Module (where your app serves rnn-wasm's dist/rnn.wasm, for example: await init("/rnn.wasm"))`);
  const [module, from] = await compileAsync(source, name);
  checkModule(module, from);
  let exports: RnnExports | undefined;
  let instance: WebAssembly.Instance;
  try { instance = await WebAssembly.instantiate(module, imports(() => exports)); } catch (e) { throw new RnnError(`${from} could not be instantiated: ${message(e)}`); }
  exports = instance.exports as unknown as RnnExports;
  return engineFrom(module, instance, from, chosenFma);
}

/** Refuse anything that is not an engine from init/initSync, before it is used. */
export function checkEngine(field: string, engine: unknown): asserts engine is Engine {
  const ex = (engine as { exports?: { model_create?: unknown; memory?: unknown } } | null)?.exports;
  if (engine === null || typeof engine !== "object" || typeof ex?.model_create !== "function" || Object.prototype.toString.call(ex.memory) !== "[object WebAssembly.Memory]") {
    throw new RnnError(`${field}: expected an engine from init() or initSync(), got ${engine === null ? "null" : typeof engine === "object" ? "an object that is not one" : typeof engine}`);
  }
}

let first: Engine | undefined;

/** The first engine this copy of the library loaded (the slim entry's default engine). */
export function firstEngine(): Engine | undefined {
  return first;
}
