// Ragged sequences → one padded, time-major batch written straight into the model's work
// block: inputs (T,B[,n]), targets, lengths (B), h0 → H[0]. Sequences are placed longest
// first (a stable sort), which lets the wasm side step only the rows still running; `order`
// maps a row back to the caller's index. Every value is validated while it is copied, so a
// bad batch throws before any computation and leaves parameters and gradients untouched.

import { RnnError } from "./errors.js";
import { describe, describeF32, finiteF32, FINITE_F32, type ResolvedConfig } from "./options.js";

/** A sequence of token ids. */
export type IdSequence = ArrayLike<number>;
/** A sequence of feature vectors: an array of steps (each n numbers), or one flat array of len·n numbers. */
export type DenseSequence = ArrayLike<ArrayLike<number>> | ArrayLike<number>;
export type Sequence = IdSequence | DenseSequence;

/**
 * Targets in the loss's form:
 * - softmax cross-entropy: a class id per scored step (many-to-many: an array per sequence; many-to-one: one id per sequence);
 * - sigmoid BCE / MSE: k numbers per scored step (many-to-many: an array of vectors per sequence; many-to-one: one vector per sequence).
 */
export type Targets = ArrayLike<number | ArrayLike<number> | ArrayLike<ArrayLike<number>>>;

/** A training batch. */
export interface Batch {
  /** B ragged sequences, each of length ≥ 1. */
  inputs: ArrayLike<Sequence>;
  /** One target entry per sequence, in the loss's form. */
  targets: Targets;
  /** Initial states: B vectors of d numbers, or one flat array of B·d. Zeros when absent. */
  h0?: ArrayLike<ArrayLike<number>> | ArrayLike<number>;
}

/** The shape of a batch once validated: what the wasm side needs, and how to map rows back. */
export interface BatchPlan {
  T: number;
  B: number;
  /** Length of each sequence, in the caller's order. */
  lengths: Int32Array;
  /** order[row] = the caller's index of the sequence placed at that row. */
  order: Int32Array;
}

function isArrayLike(x: unknown): x is ArrayLike<unknown> {
  return Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView)) ||
    (x !== null && typeof x === "object" && Number.isSafeInteger((x as { length?: unknown }).length) && (x as { length: number }).length >= 0);
}

function sequenceLength(cfg: ResolvedConfig, seq: unknown, where: string): number {
  if (!isArrayLike(seq)) throw new RnnError(`${where}: expected an array, got ${describe(seq)}`);
  if (seq.length === 0) throw new RnnError(`${where}: empty sequence (every sequence needs at least one step)`);
  if (cfg.input === "ids") return seq.length;
  if (typeof seq[0] === "number") {
    if (seq.length % cfg.inputSize !== 0) {
      throw new RnnError(`${where}: a flat dense sequence needs a multiple of inputSize ${cfg.inputSize} numbers, got ${seq.length}`);
    }
    return seq.length / cfg.inputSize;
  }
  return seq.length;
}

/** Validate the structure of the inputs and plan the padded batch. */
export function planBatch(cfg: ResolvedConfig, inputs: unknown, field = "batch.inputs"): BatchPlan {
  if (!isArrayLike(inputs)) throw new RnnError(`${field}: expected an array of sequences, got ${describe(inputs)}`);
  const B = inputs.length;
  if (B === 0) throw new RnnError(`${field}: empty batch (need at least one sequence)`);
  const lengths = new Int32Array(B);
  let T = 0;
  for (let i = 0; i < B; i++) {
    lengths[i] = sequenceLength(cfg, inputs[i], `${field}[${i}]`);
    if (lengths[i] > T) T = lengths[i];
  }
  const order = Int32Array.from({ length: B }, (_, i) => i).sort((a, b) => lengths[b] - lengths[a] || a - b);
  return { T, B, lengths, order };
}

function finite(value: unknown, where: string): number {
  if (!finiteF32(value)) throw new RnnError(`${where}: expected ${FINITE_F32}, got ${describeF32(value)}`);
  return value;
}

/** Write the inputs and lengths of a planned batch into the work block. */
export function writeInputs(cfg: ResolvedConfig, plan: BatchPlan, inputs: ArrayLike<Sequence>, mem: ArrayBuffer, inputsPtr: number, lengthsPtr: number, field = "batch.inputs"): void {
  const { T, B, order, lengths } = plan;
  const n = cfg.inputSize;
  new Int32Array(mem, lengthsPtr, B).set(Int32Array.from(order, (i) => lengths[i]));
  if (cfg.input === "ids") {
    const X = new Int32Array(mem, inputsPtr, T * B);
    X.fill(0);
    for (let row = 0; row < B; row++) {
      const i = order[row];
      const seq = inputs[i] as IdSequence;
      for (let t = 0; t < seq.length; t++) {
        const id = seq[t];
        if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id >= n) {
          throw new RnnError(`${field}[${i}][${t}]: expected a token id, an integer in 0..${n - 1} (inputSize ${n}), got ${describe(id)}`);
        }
        X[t * B + row] = id;
      }
    }
    return;
  }
  const X = new Float32Array(mem, inputsPtr, T * B * n);
  X.fill(0);
  for (let row = 0; row < B; row++) {
    const i = order[row];
    const seq = inputs[i] as ArrayLike<unknown>;
    if (typeof seq[0] === "number") {
      const flat = seq as ArrayLike<number>;
      for (let t = 0; t < lengths[i]; t++) {
        const base = (t * B + row) * n;
        for (let j = 0; j < n; j++) X[base + j] = finite(flat[t * n + j], `${field}[${i}][${t * n + j}]`);
      }
      continue;
    }
    for (let t = 0; t < seq.length; t++) {
      const step = seq[t];
      if (!isArrayLike(step) || step.length !== n) {
        throw new RnnError(`${field}[${i}][${t}]: expected ${n} features (inputSize), got ${isArrayLike(step) ? `${step.length}` : describe(step)}`);
      }
      const base = (t * B + row) * n;
      for (let j = 0; j < n; j++) X[base + j] = finite(step[j], `${field}[${i}][${t}][${j}]`);
    }
  }
}

function classId(value: unknown, k: number, where: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value >= k) {
    throw new RnnError(`${where}: expected a class id, an integer in 0..${k - 1} (outputSize ${k}), got ${describe(value)}`);
  }
  return value;
}

function writeVector(cfg: ResolvedConfig, dst: Float32Array, offset: number, value: unknown, where: string): void {
  const k = cfg.outputSize;
  if (!isArrayLike(value) || value.length !== k) {
    throw new RnnError(`${where}: expected ${k} target values (outputSize), got ${isArrayLike(value) ? value.length : describe(value)}`);
  }
  const binary = cfg.loss === "sigmoid-binary-cross-entropy";
  for (let j = 0; j < k; j++) {
    const v = value[j];
    if (binary ? v !== 0 && v !== 1 : !finiteF32(v)) {
      throw new RnnError(`${where}[${j}]: expected ${binary ? "0 or 1 (binary cross-entropy)" : FINITE_F32}, got ${describeF32(v)}`);
    }
    dst[offset + j] = v as number;
  }
}

/** Write the targets of a planned batch into the work block. */
export function writeTargets(cfg: ResolvedConfig, plan: BatchPlan, targets: unknown, mem: ArrayBuffer, ptr: number): void {
  const { T, B, order, lengths } = plan;
  const k = cfg.outputSize;
  if (!isArrayLike(targets)) throw new RnnError(`batch.targets: expected an array with one entry per sequence, got ${describe(targets)}`);
  if (targets.length !== B) throw new RnnError(`batch.targets: expected ${B} entries (one per input sequence), got ${targets.length}`);
  const classes = cfg.loss === "softmax-cross-entropy";
  const m2o = cfg.task === "many-to-one";
  const rows = m2o ? B : T * B;
  const ids = classes ? new Int32Array(mem, ptr, rows) : undefined;
  const vals = classes ? undefined : new Float32Array(mem, ptr, rows * k);
  ids?.fill(0);
  vals?.fill(0);
  for (let row = 0; row < B; row++) {
    const i = order[row];
    const tgt = targets[i];
    if (m2o) {
      if (ids) ids[row] = classId(tgt, k, `batch.targets[${i}]`);
      else writeVector(cfg, vals!, row * k, tgt, `batch.targets[${i}]`);
      continue;
    }
    if (!isArrayLike(tgt) || tgt.length !== lengths[i]) {
      throw new RnnError(`batch.targets[${i}]: expected ${lengths[i]} targets (one per step of inputs[${i}]), got ${isArrayLike(tgt) ? tgt.length : describe(tgt)}`);
    }
    for (let t = 0; t < lengths[i]; t++) {
      if (ids) ids[t * B + row] = classId(tgt[t], k, `batch.targets[${i}][${t}]`);
      else writeVector(cfg, vals!, (t * B + row) * k, tgt[t], `batch.targets[${i}][${t}]`);
    }
  }
}

/** Write initial states into H[0] (B,d), rows in batch order. */
export function writeH0(cfg: ResolvedConfig, plan: BatchPlan, h0: unknown, mem: ArrayBuffer, ptr: number, field = "batch.h0"): void {
  const { B, order } = plan;
  const d = cfg.hiddenSize;
  const H0 = new Float32Array(mem, ptr, B * d);
  if (!isArrayLike(h0)) throw new RnnError(`${field}: expected ${B} vectors of ${d} numbers, or ${B * d} numbers, got ${describe(h0)}`);
  const flat = h0.length > 0 && typeof h0[0] === "number";
  if (flat ? h0.length !== B * d : h0.length !== B) {
    throw new RnnError(`${field}: expected ${B} vectors of ${d} numbers (hiddenSize), or ${B * d} numbers, got ${h0.length} entries`);
  }
  for (let row = 0; row < B; row++) {
    const i = order[row];
    if (flat) {
      for (let j = 0; j < d; j++) H0[row * d + j] = finite(h0[i * d + j], `${field}[${i * d + j}]`);
      continue;
    }
    const v = h0[i];
    if (!isArrayLike(v) || v.length !== d) throw new RnnError(`${field}[${i}]: expected ${d} numbers (hiddenSize), got ${isArrayLike(v) ? v.length : describe(v)}`);
    for (let j = 0; j < d; j++) H0[row * d + j] = finite(v[j], `${field}[${i}][${j}]`);
  }
}

/** Copy rows (B, width) from batch order back to the caller's order. */
export function unsortRows(plan: BatchPlan, src: Float32Array, width: number): Float32Array {
  const out = new Float32Array(plan.B * width);
  for (let row = 0; row < plan.B; row++) {
    const i = plan.order[row];
    out.set(src.subarray(row * width, (row + 1) * width), i * width);
  }
  return out;
}
