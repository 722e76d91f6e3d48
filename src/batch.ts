// Ragged sequences → one padded, time-major batch: inputs (T,B[,n]), targets, lengths (B),
// h0 (B,S: a state per layer and direction, S = stateSize(cfg)). Sequences are placed longest first (a stable sort), which lets the wasm side step
// only the rows still running; `order` maps a row back to the caller's index.
//
// A batch is staged whole in JS arrays, every value validated as it is copied, before the
// model is asked for room: a bad value anywhere (the last id of a 2,000,000-step sequence)
// throws before wasm memory grows or the work block is touched.

import { RnnError } from "./errors.js";
import { describe, describeF32, finiteF32, FINITE_F32, isArrayLike, checkArrayLike, checkOptionKeys } from "./check.js";
import { stateSize, type ResolvedConfig } from "./options.js";

/** A sequence of token ids. */
/**
 * A sequence of token ids: one id a step, or a feature bag (an array of ids: x_t multi-hot, so
 * U x_t, or the embedding, is the sum of those ids' columns or rows), mixed freely.
 */
export type IdSequence = ArrayLike<number | ArrayLike<number>>;
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
  /**
   * Initial states: B vectors of stateSize numbers (d for one layer in one direction; L·D·d for
   * L layers and D directions, in PyTorch's h_n order: layer by layer, forward before
   * reverse), or one flat array of B·stateSize, sequence by sequence. Zeros when absent.
   */
  h0?: ArrayLike<ArrayLike<number>> | ArrayLike<number>;
  /**
   * Per-sequence weights w_i: B finite numbers ≥ 0. The loss becomes (1/B) Σ_i w_i Σ_t loss_it
   * (still divided by B, not by Σ w_i). Every loss and task. @default every w_i = 1
   */
  sampleWeight?: ArrayLike<number>;
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

/** A batch staged in JS arrays, validated, in the layout of the work block. */
export interface StagedBatch extends BatchPlan {
  /** Lengths in row order (longest first). */
  rowLengths: Int32Array;
  /** ids (T·B·F) or features (T·B·n), time-major, zero past each sequence's end; a step's ids first, then −1. */
  X: Int32Array | Float32Array;
  /** Ids a step (ids input): the largest bag in the batch, 1 without bags. */
  F: number;
  /** Class ids (rows) or k values per row; rows = T·B, or B for many-to-one. */
  targets?: Int32Array | Float32Array;
  /** Initial states (B·S, S = stateSize) in row order. */
  h0?: Float32Array;
  /**
   * The loss weight ω of every target row (the targets' layout; 0 past a sequence's end):
   * sample weight × class weight, 0 for an ignored target. Absent when every ω is 1 (no
   * sampleWeight, classWeights or ignoreIndex), so the module runs its unweighted loss.
   */
  weights?: Float32Array;
}

/** How messages name the batch's parts: a data set's examples are checked a few at a time, named by their index in the set. */
export interface Names {
  targets: string;
  /** The data set's index of the batch's first sequence. */
  first: number;
}

/** Elements of the largest batch staged in JS (2^31 − 1 would be the typed-array limit; the work block's 1 GiB comes first). */
const MAX_STAGED = 2 ** 28;

/**
 * Validate a whole batch and stage it: inputs and lengths, targets when `withTargets`, h0
 * when given. Nothing outside the returned arrays is touched.
 */
export function stageBatch(cfg: ResolvedConfig, batch: unknown, withTargets: typeof stageTargets | undefined, field = "batch.inputs", names: Names = { targets: "batch.targets", first: 0 }, room?: (T: number, B: number, F: number) => void): StagedBatch {
  if (batch === null || typeof batch !== "object") throw new RnnError(`batch: expected { inputs, targets, h0? }, got ${describe(batch)}`);
  checkOptionKeys("batch", batch, ["inputs", "targets", "h0", "sampleWeight", "indices"]);   // `indices`: makeBatches' batches
  const { inputs, targets, h0, sampleWeight } = batch as Partial<Batch>;
  const plan = planBatch(cfg, inputs, field, names.first);
  if (withTargets && targets === undefined) throw new RnnError(`${names.targets}: missing (one entry per input sequence)`);
  const { T, B, order, lengths } = plan;
  const F = cfg.input === "ids" ? bagWidth(inputs as ArrayLike<ArrayLike<unknown>>) : 1;
  room?.(T, B, F);                                // a batch the model could never hold is refused before it is copied
  const m2o = cfg.task === "many-to-one";
  const rows = m2o ? B : T * B;
  const width = cfg.input === "dense" ? cfg.inputSize : F;
  const targetWidth = cfg.loss === "softmax-cross-entropy" ? 1 : cfg.outputSize;
  for (const [what, count] of [["inputs", T * B * width], ["targets", withTargets ? rows * targetWidth : 0]] as const) {
    if (count > MAX_STAGED) {
      throw new RnnError(`${what === "inputs" ? field : names.targets}: a batch of ${B} sequences × ${T} steps would need ${(count / 2 ** 18).toFixed(1)} MiB of memory for its ${what} alone; the limit is 1024 MiB (reduce the batch or the sequence length)`);
    }
  }
  const X = cfg.input === "ids" ? new Int32Array(T * B * F) : new Float32Array(T * B * width);
  if (F > 1) for (let r = 0; r < T * B; r++) X.fill(-1, r * F + 1, (r + 1) * F);   // a padded step reads id 0 alone
  writeInputs(cfg, plan, inputs as ArrayLike<Sequence>, X, field, names.first, F);
  const staged: StagedBatch = { ...plan, rowLengths: Int32Array.from(order, (i) => lengths[i]), X, F };
  withTargets?.(cfg, staged, targets, sampleWeight, names);
  if (h0 !== undefined) {
    staged.h0 = new Float32Array(B * stateSize(cfg));
    writeH0(cfg, plan, h0, staged.h0, withTargets ? "batch.h0" : "h0");
  }
  return staged;
}

/**
 * Stage (validating) a batch's targets and, when the loss weighs its rows, their weights:
 * the second half of {@link stageBatch} for training and evaluation. A separate function, so
 * that an app that only predicts (the slim entry) carries none of it.
 */
export function stageTargets(cfg: ResolvedConfig, staged: StagedBatch, targets: unknown, sampleWeight: unknown, names: Names): void {
  const rows = cfg.task === "many-to-one" ? staged.B : staged.T * staged.B;
  const sw = sampleWeight === undefined ? undefined : sampleWeights(staged, sampleWeight, names);
  if (sw !== undefined || cfg.ignoreIndex !== undefined || cfg.classWeights !== undefined) staged.weights = new Float32Array(rows);
  staged.targets = cfg.loss === "softmax-cross-entropy" ? new Int32Array(rows) : new Float32Array(rows * cfg.outputSize);
  writeTargets(cfg, staged, targets, staged.targets, names, staged.weights, sw);
}

function sequenceLength(cfg: ResolvedConfig, seq: unknown, where: string): number {
  checkArrayLike(where, seq);
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
export function planBatch(cfg: ResolvedConfig, inputs: unknown, field = "batch.inputs", first = 0): BatchPlan {
  checkArrayLike(field, inputs, "an array of sequences");
  const B = inputs.length;
  if (B === 0) throw new RnnError(`${field}: empty batch (need at least one sequence)`);
  const lengths = new Int32Array(B);
  let T = 0;
  for (let i = 0; i < B; i++) {
    lengths[i] = sequenceLength(cfg, inputs[i], `${field}[${first + i}]`);
    if (lengths[i] > T) T = lengths[i];
  }
  const order = Int32Array.from({ length: B }, (_, i) => i).sort((a, b) => lengths[b] - lengths[a] || a - b);
  return { T, B, lengths, order };
}

function finite(value: unknown, where: string): number {
  if (!finiteF32(value)) throw new RnnError(`${where}: expected ${FINITE_F32}, got ${describeF32(value)}`);
  return value;
}

/** The largest feature bag of a batch of id sequences (1 when every step is one id). */
function bagWidth(inputs: ArrayLike<ArrayLike<unknown>>): number {
  let F = 1;
  for (let i = 0; i < inputs.length; i++) {
    const seq = inputs[i];
    if (typeof seq === "string" || ArrayBuffer.isView(seq)) continue;   // typed arrays hold one id a step
    for (let t = 0; t < seq.length; t++) {
      const step = seq[t];
      if (typeof step !== "number" && isArrayLike(step) && step.length > F) F = step.length;
    }
  }
  return F;
}

/** A token id in 0..n−1. */
function tokenId(id: unknown, n: number, where: string): number {
  if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id >= n) {
    throw new RnnError(`${where}: expected a token id, an integer in 0..${n - 1} (inputSize ${n}), got ${describe(id)}`);
  }
  return id;
}

/** Write (validating) the inputs of a planned batch into X: (T,B,F) ids (a step's ids first, the rest −1, as prepared) or (T,B,n) features. */
function writeInputs(cfg: ResolvedConfig, plan: BatchPlan, inputs: ArrayLike<Sequence>, X: Int32Array | Float32Array, field: string, first: number, F: number): void {
  const { B, order, lengths } = plan;
  const n = cfg.inputSize;
  if (cfg.input === "ids") {
    for (let row = 0; row < B; row++) {
      const i = order[row];
      const seq = inputs[i] as IdSequence;
      for (let t = 0; t < seq.length; t++) {
        const step = seq[t], at = (t * B + row) * F;
        if (typeof step === "number" || !isArrayLike(step)) {
          X[at] = tokenId(step, n, `${field}[${first + i}][${t}]`);
          continue;
        }
        if (step.length === 0) throw new RnnError(`${field}[${first + i}][${t}]: an empty feature bag (a step needs at least one id)`);
        for (let f = 0; f < step.length; f++) X[at + f] = tokenId(step[f], n, `${field}[${first + i}][${t}][${f}]`);
      }
    }
    return;
  }
  for (let row = 0; row < B; row++) {
    const i = order[row];
    const seq = inputs[i] as ArrayLike<unknown>;
    if (typeof seq[0] === "number") {
      const flat = seq as ArrayLike<number>;
      for (let t = 0; t < lengths[i]; t++) {
        const base = (t * B + row) * n;
        for (let j = 0; j < n; j++) X[base + j] = finite(flat[t * n + j], `${field}[${first + i}][${t * n + j}]`);
      }
      continue;
    }
    for (let t = 0; t < seq.length; t++) {
      const step = seq[t];
      if (!isArrayLike(step) || step.length !== n) {
        throw new RnnError(`${field}[${first + i}][${t}]: expected ${n} features (inputSize), got ${isArrayLike(step) ? `${step.length}` : describe(step)}`);
      }
      const base = (t * B + row) * n;
      for (let j = 0; j < n; j++) X[base + j] = finite(step[j], `${field}[${first + i}][${t}][${j}]`);
    }
  }
}

/** A class id in 0..k−1, or −1 for a target equal to cfg.ignoreIndex (not scored). */
function classId(cfg: ResolvedConfig, value: unknown, where: string): number {
  const k = cfg.outputSize, ignore = cfg.ignoreIndex;
  if (ignore !== undefined && value === ignore) return -1;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value >= k) {
    const or = ignore === undefined ? "" : `, or ${ignore} (ignoreIndex: not scored)`;
    throw new RnnError(`${where}: expected a class id, an integer in 0..${k - 1} (outputSize ${k})${or}, got ${describe(value)}`);
  }
  return value;
}

/** Validate a batch's sampleWeight: B finite numbers ≥ 0, in the caller's order. */
function sampleWeights(plan: BatchPlan, value: unknown, names: Names): Float64Array {
  const field = names.targets.replace(/targets$/, "sampleWeight");
  const B = plan.B;
  checkArrayLike(field, value, `an array of ${B} numbers (one weight per sequence)`);
  if (value.length !== B) throw new RnnError(`${field}: expected ${B} weights (one per input sequence), got ${value.length}`);
  const out = new Float64Array(B);
  for (let i = 0; i < B; i++) {
    const w = value[i];
    if (!finiteF32(w) || !(w >= 0)) throw new RnnError(`${field}[${names.first + i}]: expected a finite number ≥ 0 (as a 32-bit float), got ${describeF32(w)}`);
    out[i] = w;
  }
  return out;
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

/**
 * Write (validating) the targets of a planned batch into `dst`, zeroed: class ids, or k values
 * per scored row; and, when `weights` is given, each row's loss weight ω = sample weight ×
 * class weight (0 for an ignored target, whose id is written as 0 and never read).
 */
function writeTargets(cfg: ResolvedConfig, plan: BatchPlan, targets: unknown, dst: Int32Array | Float32Array, names: Names, weights?: Float32Array, sw?: Float64Array): void {
  const { B, order, lengths } = plan;
  const field = names.targets, first = names.first;
  checkArrayLike(field, targets, "an array with one entry per sequence");
  if (targets.length !== B) throw new RnnError(`${field}: expected ${B} entries (one per input sequence), got ${targets.length}`);
  const ids = dst instanceof Int32Array ? dst : undefined;
  const vals = dst instanceof Float32Array ? dst : undefined;
  const k = cfg.outputSize;
  const m2o = cfg.task === "many-to-one";
  const cw = cfg.classWeights;
  // ω of a row whose class id is y (−1: ignored) in sequence i.
  const omega = (i: number, y: number): number => (y < 0 ? 0 : (sw ? sw[i] : 1) * (cw && y >= 0 ? cw[y] : 1));
  const id = (i: number, r: number, value: unknown, where: string): void => {
    const y = classId(cfg, value, where);
    ids![r] = y < 0 ? 0 : y;
    if (weights) weights[r] = omega(i, y);
  };
  for (let row = 0; row < B; row++) {
    const i = order[row];
    const tgt = targets[i];
    if (m2o) {
      if (ids) id(i, row, tgt, `${field}[${first + i}]`);
      else {
        writeVector(cfg, vals!, row * k, tgt, `${field}[${first + i}]`);
        if (weights) weights[row] = sw![i];
      }
      continue;
    }
    if (!isArrayLike(tgt) || tgt.length !== lengths[i]) {
      throw new RnnError(`${field}[${first + i}]: expected ${lengths[i]} targets (one per step of inputs[${first + i}]), got ${isArrayLike(tgt) ? tgt.length : describe(tgt)}`);
    }
    for (let t = 0; t < lengths[i]; t++) {
      if (ids) id(i, t * B + row, tgt[t], `${field}[${first + i}][${t}]`);
      else {
        writeVector(cfg, vals!, (t * B + row) * k, tgt[t], `${field}[${first + i}][${t}]`);
        if (weights) weights[t * B + row] = sw![i];
      }
    }
  }
}

/**
 * What a sequence's state is, for messages: "8 numbers (hiddenSize)" for one layer in one
 * direction, "24 numbers (stateSize = layers × directions × hiddenSize = 3 × 1 × 8)" otherwise.
 */
export function stateText(cfg: ResolvedConfig): string {
  const S = stateSize(cfg), d = cfg.hiddenSize;
  return `${S} numbers (${S === d ? "hiddenSize" : `stateSize = layers × directions × hiddenSize = ${cfg.layers} × ${S / cfg.layers / d} × ${d}`})`;
}

/** Write (validating) initial states into H0 (B,S), rows in batch order. */
function writeH0(cfg: ResolvedConfig, plan: BatchPlan, h0: unknown, H0: Float32Array, field: string): void {
  const { B, order } = plan;
  const S = stateSize(cfg);
  const what = stateText(cfg);
  if (!isArrayLike(h0)) throw new RnnError(`${field}: expected ${B} vectors of ${S} numbers, or ${B * S} numbers, got ${describe(h0)}`);
  const flat = h0.length > 0 && typeof h0[0] === "number";
  if (flat ? h0.length !== B * S : h0.length !== B) {
    throw new RnnError(`${field}: expected ${B} vectors of ${what}, or ${B * S} numbers, got ${h0.length} entries`);
  }
  for (let row = 0; row < B; row++) {
    const i = order[row];
    if (flat) {
      for (let j = 0; j < S; j++) H0[row * S + j] = finite(h0[i * S + j], `${field}[${i * S + j}]`);
      continue;
    }
    const v = h0[i];
    if (!isArrayLike(v) || v.length !== S) throw new RnnError(`${field}[${i}]: expected ${what}, got ${isArrayLike(v) ? v.length : describe(v)}`);
    for (let j = 0; j < S; j++) H0[row * S + j] = finite(v[j], `${field}[${i}][${j}]`);
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

/**
 * Check every example of a data set as a batch would (ids, values, target counts), a few at
 * a time, so that training or evaluation can refuse a bad example before its first effect.
 */
export function checkExamples(cfg: ResolvedConfig, data: { inputs: ArrayLike<Sequence>; targets?: Targets; sampleWeight?: ArrayLike<number> }, where: string, withTargets = true): void {
  const N = data.inputs.length;
  const part = <T>(xs: ArrayLike<T>, a: number, b: number): T[] => Array.prototype.slice.call(xs, a, b);
  const sw = withTargets ? data.sampleWeight : undefined;
  if (sw !== undefined) {
    checkArrayLike(`${where}.sampleWeight`, sw, `an array of ${N} numbers (one weight per example)`);
    if (sw.length !== N) throw new RnnError(`${where}.sampleWeight: expected ${N} weights (one per example), got ${sw.length}`);
  }
  for (let a = 0; a < N; a += CHECK_CHUNK) {
    const b = Math.min(N, a + CHECK_CHUNK);
    const batch = {
      inputs: part(data.inputs, a, b), targets: withTargets ? part(data.targets!, a, b) : undefined,
      ...(sw !== undefined ? { sampleWeight: part(sw, a, b) } : {}),
    };
    stageBatch(cfg, batch, withTargets ? stageTargets : undefined, `${where}.inputs`, { targets: `${where}.targets`, first: a });
  }
}

/** Examples checked at a time by checkExamples. */
const CHECK_CHUNK = 64;

/**
 * The total loss weight of a batch's scored targets, Σ_i Σ_{scored t} ω_it with ω = sample
 * weight × class weight (0 for an ignored target): without any weights, the number of scored
 * steps. Targets are assumed valid (staged or checked already). Dividing the summed loss by it
 * gives the weighted mean per step, PyTorch's reduction="mean".
 */
export function lossWeight(cfg: ResolvedConfig, targets: Targets, sampleWeight?: ArrayLike<number>): number {
  const m2o = cfg.task === "many-to-one";
  const softmax = cfg.loss === "softmax-cross-entropy";
  const cw = cfg.classWeights, ignore = cfg.ignoreIndex;
  const of = (y: number): number => (y === ignore ? 0 : cw ? cw[y] : 1);
  let total = 0;
  for (let i = 0; i < targets.length; i++) {
    const w = sampleWeight ? sampleWeight[i] : 1;
    const tgt = targets[i];
    if (m2o) {
      total += w * (softmax ? of(tgt as number) : 1);
      continue;
    }
    const steps = tgt as ArrayLike<unknown>;
    if (!softmax) {
      total += w * steps.length;
      continue;
    }
    let s = 0;
    for (let t = 0; t < steps.length; t++) s += of(steps[t] as number);
    total += w * s;
  }
  return total;
}
