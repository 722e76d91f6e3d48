// Loading the one rnn.wasm, and the typed interface of its raw exports.
// The names below are the exact export names of assembly/index.ts (one line each), so a
// mismatch is a type error rather than a silent `undefined`.

import embeddedWasm from "../dist/rnn.wasm";
import { RnnError } from "./errors.js";

/** Raw exports of rnn.wasm. Pointers are byte offsets (read them with `>>> 0`). */
export interface RnnExports {
  readonly memory: WebAssembly.Memory;
  /** Bytes of the parameter block for these sizes (f64, never overflows). */
  model_param_bytes(n: number, d: number, k: number, input: number): number;
  /** Bytes of a work block for T × B. */
  model_work_bytes(n: number, d: number, k: number, input: number, task: number, loss: number, T: number, B: number): number;
  /** Create a model (parameters initialised from the seed); returns its header pointer. */
  model_create(n: number, d: number, k: number, input: number, task: number, act: number, loss: number, seedLo: number, seedHi: number): number;
  /** Free a model's memory. */
  model_free(model: number): void;
  /** Make room for a T × B batch; 1 if the work block moved. */
  model_reserve(model: number, T: number, B: number): number;
  /** Parameter copy, gradient copy, optimizer moments (m then v). */
  model_params(model: number): number;
  model_grads(model: number): number;
  model_moments(model: number): number;
  /** Floats in one parameter copy (padding included). */
  model_nparams(model: number): number;
  /** Float offset of tensor i (0 U, 1 W, 2 b, 3 V, 4 c) inside a copy. */
  model_offset(model: number, i: number): number;
  /** Work-block views: inputs (T,B) i32 or (T,B,n) f32; targets; lengths (B); states H (T+1,B,d); outputs O. */
  model_inputs(model: number): number;
  model_targets(model: number): number;
  model_lengths(model: number): number;
  model_states(model: number): number;
  model_outputs(model: number): number;
  /** ∂L/∂h0 (B,d) after model_gradients. */
  model_dh0(model: number): number;
  /** Tell the module the host wrote parameters (its packed copies of W, V, U are rebuilt). */
  model_params_written(model: number): void;
  /** ‖∂L/∂s_t‖₂ for t = 0..T−1 (f32) after model_gradients. */
  model_state_grad_norms(model: number): number;
  /** Optimizer step counter. */
  model_step(model: number): number;
  model_set_step(model: number, step: number): void;
  /** Address of the 8-byte PCG32 state; next 32-bit output. */
  model_rng(model: number): number;
  model_random(model: number): number;
  /** Forward pass and outputs f2(o) into O. */
  model_predict(model: number, T: number, B: number, hasH0: number): void;
  /** Zero grads, forward, loss, BPTT; returns the loss. */
  model_gradients(model: number, T: number, B: number, hasH0: number): number;
  /** Global-norm clipping; returns the norm before clipping. */
  model_clip(model: number, maxNorm: number): number;
  /** One optimizer update (opt: 0 SGD with a1 = momentum; 1 Adam with a1..a3 = β1, β2, ε). */
  model_update(model: number, opt: number, lr: number, a1: number, a2: number, a3: number): void;
  /** Gradients, clipping (maxNorm > 0) and update in one call; returns the loss. */
  model_train_step(model: number, T: number, B: number, hasH0: number, maxNorm: number, opt: number, lr: number, a1: number, a2: number, a3: number): number;
  /** Count of NaN/±Infinity among n floats. */
  f32_nonfinite(ptr: number, n: number): number;
}

/** Optimizer codes of model_update (assembly/index.ts). */
export const OPT_SGD = 0;
export const OPT_ADAM = 1;

/** A loaded rnn.wasm instance. Models created on one engine share its memory. */
export interface Engine {
  readonly exports: RnnExports;
}

/** What the module can be loaded from. */
export type WasmSource = BufferSource | WebAssembly.Module;

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

function engineFrom(instance: WebAssembly.Instance): Engine {
  return { exports: instance.exports as unknown as RnnExports };
}

/** Instantiate synchronously from bytes or a compiled module (workers, tests, edge runtimes). */
export function initSync(source: WasmSource = embeddedWasm): Engine {
  let exports: RnnExports | undefined;
  const module = source instanceof WebAssembly.Module ? source : new WebAssembly.Module(source);
  const instance = new WebAssembly.Instance(module, imports(() => exports));
  exports = instance.exports as unknown as RnnExports;
  return engineFrom(instance);
}

/** Instantiate asynchronously from bytes or a compiled module (default: the embedded module). */
export async function init(source: WasmSource = embeddedWasm): Promise<Engine> {
  let exports: RnnExports | undefined;
  const module = source instanceof WebAssembly.Module ? source : await WebAssembly.compile(source);
  const instance = await WebAssembly.instantiate(module, imports(() => exports));
  exports = instance.exports as unknown as RnnExports;
  return engineFrom(instance);
}

let shared: Promise<Engine> | undefined;

/** The engine models use by default: the embedded module, instantiated once. */
export function defaultEngine(): Promise<Engine> {
  shared ??= init();
  return shared;
}
