// The bottom of the wrapper: one model's place in an engine. It owns the header pointer, the
// tensor table, reading and writing tensors, and the work block (reserve and its epoch).
// Every other module (the RNN class, training, streaming, model files, interop) builds on
// this one; none of them calls a model_* export that this file could call for it.

import { RnnError } from "./errors.js";
import { codes, directions, stateSize, type ResolvedConfig, type OptimizerType } from "./options.js";
import { unsortRows, type BatchPlan, type StagedBatch } from "./batch.js";
import type { Engine, RnnExports } from "./wasm.js";

// ── the tensor table ───────────────────────────────────────────────────────────────────
// One entry per parameter tensor, in the module's order (model_offset's index), which is
// PyTorch's state_dict order: E, then per layer forward then reverse U, W, b, then V, c.
// Every place that lists tensors (parameters(), model files, interop, truncated BPTT) reads it.

/** A tensor's name: U, W, b (layer 0, forward), with `_l{ℓ}` for layer ℓ > 0 and `_reverse` for the reverse direction; E; V, c. */
export type TensorName = string;

/** One tensor of each name, row-major. */
export type Tensors = Record<TensorName, Float32Array>;

export interface TensorSpec {
  readonly name: TensorName;
  /** The shape in the seeds' letters, for messages. */
  readonly dims: string;
  readonly shape: readonly number[];
  /** The recurrent layer and direction (0 forward, 1 reverse) of U, W, b; undefined for E, V, c. */
  readonly layer?: number;
  readonly reverse?: boolean;
  /** Whether weight decay applies by default (weights, not biases). */
  readonly weight: boolean;
}

/** U, W or b of layer ℓ, direction reverse: "U", "W_l1", "b_l2_reverse"… */
export const tensorName = (base: "U" | "W" | "b", layer: number, reverse: boolean): TensorName =>
  base + (layer > 0 ? `_l${layer}` : "") + (reverse ? "_reverse" : "");

const tables = new WeakMap<object, readonly TensorSpec[]>();

/** Every parameter tensor of a configuration, in the module's order. */
export function tensorTable(c: ResolvedConfig): readonly TensorSpec[] {
  let table = tables.get(c);
  if (table) return table;
  const n = c.inputSize, d = c.hiddenSize, k = c.outputSize, e = c.embeddingSize, D = directions(c);
  const out: TensorSpec[] = [];
  if (e !== undefined) out.push({ name: "E", dims: "n×e", shape: [n, e], weight: true });
  for (let layer = 0; layer < c.layers; layer++) {
    for (let r = 0; r < D; r++) {
      const reverse = r === 1;
      const inDims = layer > 0 ? (D === 2 ? "d×2d" : "d×d") : e !== undefined ? "d×e" : "d×n";
      const inSize = layer > 0 ? D * d : e ?? n;
      out.push({ name: tensorName("U", layer, reverse), dims: inDims, shape: [d, inSize], layer, reverse, weight: true });
      out.push({ name: tensorName("W", layer, reverse), dims: "d×d", shape: [d, d], layer, reverse, weight: true });
      out.push({ name: tensorName("b", layer, reverse), dims: "d", shape: [d], layer, reverse, weight: false });
    }
  }
  out.push({ name: "V", dims: D === 2 ? "k×2d" : "k×d", shape: [k, D * d], weight: true });
  out.push({ name: "c", dims: "k", shape: [k], weight: false });
  table = Object.freeze(out);
  if (Object.isFrozen(c)) tables.set(c, table);
  return table;
}

/** The tensors' names, in order. */
export const tensorNames = (c: ResolvedConfig): TensorName[] => tensorTable(c).map((t) => t.name);

/** Elements of a tensor of this shape. */
export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, s) => a * s, 1);

/** "d×n = 16×8" */
export const shapeText = (t: TensorSpec): string => `${t.dims} = ${t.shape.join("×")}`;

/** The four copies of the parameter layout in the parameter block. */
export type Copy = "params" | "grads" | "m" | "v";

/** The largest single block the allocator hands out (TLSF's limit in AssemblyScript's runtime). */
export const MAX_BLOCK_BYTES = 2 ** 30 - 64;

// ── undisposed models ──────────────────────────────────────────────────────────────────
// A model that is garbage-collected without dispose() gives its memory back here, once the
// engine allows it; dispose() stays the way (collection may come late, or never).

interface Region { readonly exports: RnnExports; readonly ptr: number }

let registry: FinalizationRegistry<Region> | undefined;
let warned = false;

function reclaim(region: Region): void {
  region.exports.model_free(region.ptr);
  if (!warned) {
    warned = true;
    console.warn("rnn-wasm: a model was garbage-collected without dispose(); its memory has been freed. Call model.dispose() when you are done with a model.");
  }
}

/** The engine's memory in MiB, for messages. */
const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

/** Run an allocating export, turning "too big" and "out of memory" into a clear RnnError. */
function allocate<T>(ex: RnnExports, what: string, bytes: number, run: () => T): T {
  if (!(bytes <= MAX_BLOCK_BYTES)) {
    throw new RnnError(`${what} would need ${mib(bytes)} MiB in one block; the limit is 1024 MiB (reduce the sizes, the batch or the sequence length)`);
  }
  try {
    return run();
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError || e instanceof RangeError) {
      throw new RnnError(`out of memory: ${what} needs ${mib(bytes)} MiB and the engine refused to grow wasm memory for it (it holds ${mib(ex.memory.buffer.byteLength)} MiB)`);
    }
    throw e;
  }
}

/** Bytes of a config's parameter block (f64: exact for any size). */
const paramBytes = (ex: RnnExports, cfg: ResolvedConfig): number =>
  ex.model_param_bytes(cfg.inputSize, cfg.hiddenSize, cfg.outputSize, codes.input(cfg), cfg.layers, directions(cfg), cfg.embeddingSize ?? 0);

/** One model in an engine's linear memory. */
export class Core {
  readonly engine: Engine;
  readonly ptr: number;
  readonly config: Readonly<ResolvedConfig>;
  /** The optimizer type of the last train step (model files save and restore it). */
  optimizer: OptimizerType | undefined;
  /**
   * Counts attempts to re-plan the work block (successful or not): views into it taken at
   * one count stay valid until the count changes or wasm memory grows.
   */
  workEpoch = 0;
  /** Bytes of the work block the module holds: the largest ever planned (0 before the first batch). */
  workHeld = 0;
  #disposed = false;

  private constructor(engine: Engine, ptr: number, config: ResolvedConfig) {
    this.engine = engine;
    this.ptr = ptr;
    this.config = Object.freeze(config);
    registry ??= typeof FinalizationRegistry === "function" ? new FinalizationRegistry(reclaim) : undefined;
    registry?.register(this, { exports: engine.exports, ptr }, this);
  }

  /** A new model, parameters drawn by the module's seeded generator. */
  static create(engine: Engine, cfg: ResolvedConfig): Core {
    const ex = engine.exports;
    const bytes = paramBytes(ex, cfg);
    const ptr = allocate(ex, "the model's parameters", bytes, () =>
      ex.model_create(cfg.inputSize, cfg.hiddenSize, cfg.outputSize, codes.input(cfg), codes.task(cfg), codes.act(cfg), codes.loss(cfg),
        cfg.layers, directions(cfg), cfg.embeddingSize ?? 0, cfg.dropout, cfg.seed % 2 ** 32, Math.floor(cfg.seed / 2 ** 32)) >>> 0);
    return new Core(engine, ptr, cfg);
  }

  /** The model's tensors, in the module's order. */
  get tensors(): readonly TensorSpec[] {
    return tensorTable(this.config);
  }

  /** The raw exports; throws once the model is disposed. */
  get ex(): RnnExports {
    if (this.#disposed) throw new RnnError("this model has been disposed");
    return this.engine.exports;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** Free the model's memory (harmless twice). */
  dispose(): void {
    if (this.#disposed) return;
    registry?.unregister(this);
    this.engine.exports.model_free(this.ptr);
    this.#disposed = true;
  }

  /** A view of `length` floats at byte address `ptr`. */
  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.engine.exports.memory.buffer, ptr >>> 0, length);
  }

  /** Byte address of a copy of the parameter layout. */
  #base(copy: Copy): number {
    const ex = this.ex, p = this.ptr;
    switch (copy) {
      case "params": return ex.model_params(p) >>> 0;
      case "grads": return ex.model_grads(p) >>> 0;
      case "m": return ex.model_moments(p) >>> 0;
      case "v": return (ex.model_moments(p) >>> 0) + 4 * ex.model_nparams(p);
    }
  }

  /** Views of every tensor of one copy, in table order (valid until memory grows). */
  views(copy: Copy): Tensors {
    const ex = this.ex, base = this.#base(copy);
    const out = {} as Tensors;
    this.tensors.forEach((t, i) => { out[t.name] = this.f32(base + 4 * ex.model_offset(this.ptr, i), sizeOf(t.shape)); });
    return out;
  }

  /** Copies of every tensor of one copy. */
  read(copy: Copy): Tensors {
    const v = this.views(copy);
    for (const t of this.tensors) v[t.name] = v[t.name].slice();
    return v;
  }

  /** Write tensors (already validated, of the right sizes) into one copy. */
  write(copy: Copy, values: Tensors): void {
    const v = this.views(copy);
    for (const t of this.tensors) v[t.name].set(values[t.name]);
    if (copy === "params") this.ex.model_params_written(this.ptr);
  }

  /** Zero the optimizer's state (moments) and its step count. */
  resetOptimizer(): void {
    const ex = this.ex;
    this.f32(ex.model_moments(this.ptr), 2 * ex.model_nparams(this.ptr)).fill(0);
    ex.model_set_step(this.ptr, 0);
  }

  get step(): number {
    return this.ex.model_step(this.ptr);
  }

  set step(step: number) {
    this.ex.model_set_step(this.ptr, step);
  }

  /** The generator's 64-bit state as [low, high] 32-bit words. */
  get rng(): [number, number] {
    const view = new DataView(this.ex.memory.buffer, this.ex.model_rng(this.ptr) >>> 0, 8);
    return [view.getUint32(0, true), view.getUint32(4, true)];
  }

  set rng([lo, hi]: [number, number]) {
    const view = new DataView(this.ex.memory.buffer, this.ex.model_rng(this.ptr) >>> 0, 8);
    view.setUint32(0, lo, true);
    view.setUint32(4, hi, true);
  }

  /** The next 32-bit output of the model's generator. */
  random(): number {
    return this.ex.model_random(this.ptr) >>> 0;
  }

  /**
   * Make the work block hold exactly T × B. The size is checked here, in f64, before the
   * module is asked; whatever the module then does, the epoch moves, so no view taken
   * before this call is trusted after it.
   */
  reserve(T: number, B: number, F = 1): void {
    const ex = this.ex;
    const bytes = this.workBytes(T, B, F);
    let changed = 1;
    try {
      changed = allocate(ex, `a batch of ${B} sequences × ${T} steps`, bytes, () => ex.model_reserve(this.ptr, T, B, F));
    } finally {
      if (changed !== 0) this.workEpoch++;
    }
    if (changed < 0) throw new RnnError(`a batch of ${B} sequences × ${T} steps: the module refused a work block of ${mib(bytes)} MiB`);
    this.workHeld = Math.max(this.workHeld, bytes);   // model_reserve keeps its block when a smaller one will do
  }

  /** Bytes of the parameter block: parameters, gradients, optimizer moments, packed weights, scratch. */
  get paramBytes(): number {
    return paramBytes(this.ex, this.config);
  }

  /** Bytes of a work block for T × B, F ids a step (f64: exact for any size). */
  workBytes(T: number, B: number, F = 1): number {
    const cfg = this.config;
    return this.ex.model_work_bytes(cfg.inputSize, cfg.hiddenSize, cfg.outputSize, codes.input(cfg), codes.task(cfg), codes.loss(cfg),
      cfg.layers, directions(cfg), cfg.embeddingSize ?? 0, cfg.dropout, T, B, F);
  }

  /** Refuse a T × B batch whose work block could never be allocated, before it is staged. */
  checkRoom = (T: number, B: number, F = 1): void => {
    const bytes = this.workBytes(T, B, F);
    if (!(bytes <= MAX_BLOCK_BYTES)) allocate(this.ex, `a batch of ${B} sequences × ${T} steps`, bytes, () => 0);
  };

  /** Make room for a staged batch and copy it into the work block. */
  load(batch: StagedBatch): void {
    const { T, B, F } = batch;
    this.reserve(T, B, F);
    const ex = this.ex, p = this.ptr, buf = ex.memory.buffer;
    new Int32Array(buf, ex.model_lengths(p) >>> 0, B).set(batch.rowLengths);
    const X = batch.X instanceof Int32Array ? new Int32Array(buf, ex.model_inputs(p) >>> 0, batch.X.length) : this.f32(ex.model_inputs(p), batch.X.length);
    X.set(batch.X);
    if (batch.targets) {
      const ptr = ex.model_targets(p) >>> 0;
      (batch.targets instanceof Int32Array ? new Int32Array(buf, ptr, batch.targets.length) : this.f32(ptr, batch.targets.length)).set(batch.targets);
    }
    // The loss reads the row weights only for a batch that has them (the default stays the unweighted loss).
    if (batch.weights) this.f32(ex.model_weights(p), batch.weights.length).set(batch.weights);
    ex.model_set_weighted(p, batch.weights ? 1 : 0);
    if (batch.h0) this.f32(ex.model_h0(p), batch.h0.length).set(batch.h0);
  }

  /** A sequence's state: L·D·d numbers, slot s = ℓ·D + r at [s·d, (s+1)·d). */
  get stateSize(): number {
    return stateSize(this.config);
  }

  /** Every sequence's state at its true length (reverse slots: at step 0), B × stateSize in the caller's order. */
  finalState(plan: BatchPlan): Float32Array {
    const S = this.stateSize;
    return unsortRows(plan, this.f32(this.ex.model_final(this.ptr), plan.B * S), S);
  }

  /** ∂L/∂h0 after a gradient pass, B × stateSize in the caller's order. */
  dh0(plan: BatchPlan): Float32Array {
    const S = this.stateSize;
    return unsortRows(plan, this.f32(this.ex.model_dh0(this.ptr), plan.B * S), S);
  }

  /**
   * Every slot's state at every step of the last pass, T·B·S time-major, rows in the staged
   * (sorted) order: row (t, i) holds slot s's s_t at [s·d, (s+1)·d) (reverse slots: s←_t).
   */
  stepStates(plan: BatchPlan): Float32Array {
    const { T, B } = plan, d = this.config.hiddenSize, D = directions(this.config), S = this.stateSize, slots = S / d;
    const out = new Float32Array(T * B * S);
    for (let s = 0; s < slots; s++) {
      const reverse = s % D === 1;
      const H = this.f32(this.ex.model_slot_states(this.ptr, s), (T + 1) * B * d);
      for (let r = 0; r < T * B; r++) out.set(H.subarray((reverse ? r : r + B) * d, (reverse ? r + 1 : r + B + 1) * d), r * S + s * d);
    }
    return out;
  }

  /** ‖∂L/∂s_t‖₂ for t = 0..T−1 after a gradient pass. */
  stateGradientNorms(T: number): Float64Array {
    return Float64Array.from(this.f32(this.ex.model_state_grad_norms(this.ptr), T));
  }

  /** A view of the outputs O of the last pass: `rows` rows of k (valid until the next reserve or memory growth). */
  outputs(rows: number): Float32Array {
    return this.f32(this.ex.model_outputs(this.ptr), rows * this.config.outputSize);
  }
}
