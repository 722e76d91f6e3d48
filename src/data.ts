// Sequences → batches: the seeded generator, next-token pairs, <sos>/<eos>, cutting long
// sequences (truncate or windows), shuffling and batching by length buckets.
//
// A data set is { inputs, targets } with one entry per sequence, in the same forms as a batch
// (README "A batch"); these helpers only re-arrange references to its sequences, and a batch
// keeps every sequence's true length (padding is the model's business, and nothing past a
// sequence's length is scored).

import { RnnError } from "./errors.js";
import { describe, isArrayLike, checkArrayLike, checkOptionKeys, positiveInt, flag } from "./check.js";
import type { Sequence, Targets } from "./batch.js";
import { Vocabulary } from "./vocab.js";

/** A data set: one input sequence and one target entry per example. */
export interface Dataset {
  /** Ragged sequences: token ids, or feature vectors per step. */
  inputs: ArrayLike<Sequence>;
  /** One entry per sequence, in the loss's form (per step for many-to-many, per sequence for many-to-one). */
  targets: Targets;
  /** Per-example weights w_i (finite, ≥ 0): the loss is (1/N) Σ_i w_i Σ_t loss_it. @default every w_i = 1 */
  sampleWeight?: ArrayLike<number>;
}

/** A batch cut from a data set: the examples at `indices`, in that order. */
export interface IndexedBatch {
  inputs: Sequence[];
  targets: Targets[number][];
  /** The examples' sample weights, when the data set has them. */
  sampleWeight?: number[];
  /** Positions of these examples in the data set. */
  indices: number[];
}

/**
 * A small seeded generator: mulberry32 (Tommy Ettinger, 2017; public domain), 32 bits of
 * state, period 2³², statistically fine for shuffling and sampling (not for cryptography).
 * The same seed gives the same numbers in every JS runtime. Seeds are integers 0..2⁵³−1:
 * the high bits are folded into the 32-bit state, so seeds that differ anywhere differ.
 *
 * @example
 * const rng = new Random(42);
 * rng.next();        // a float in [0, 1)
 * rng.int(10);       // an integer in 0..9
 * rng.shuffle([1, 2, 3]);
 */
export class Random {
  #s: number;

  constructor(seed = 0) {
    if (typeof seed !== "number" || !Number.isSafeInteger(seed) || seed < 0) {
      throw new RnnError(`seed: expected an integer in 0..2^53−1, got ${describe(seed)}`);
    }
    const hi = Math.floor(seed / 2 ** 32);
    // lo ^ (hi scrambled by a 32-bit multiply, the constant of MurmurHash3's fmix32)
    this.#s = ((seed >>> 0) ^ Math.imul(hi ^ (hi >>> 16), 0x85ebca6b)) >>> 0;
  }

  /** The next 32-bit unsigned integer (mulberry32). */
  nextU32(): number {
    this.#s = (this.#s + 0x6d2b79f5) | 0;
    let t = Math.imul(this.#s ^ (this.#s >>> 15), 1 | this.#s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A float in [0, 1) with 32 random bits. */
  next(): number {
    return this.nextU32() / 2 ** 32;
  }

  /** An integer in 0..n−1 (n ≤ 2³²). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Shuffle in place (Fisher–Yates) and return the array. */
  shuffle<T>(array: T[]): T[] {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = array[i];
      array[i] = array[j];
      array[j] = tmp;
    }
    return array;
  }

  /** The generator's state (one 32-bit number), to resume it later with {@link Random.fromState}. */
  get state(): number {
    return this.#s >>> 0;
  }

  /** A generator that continues from a saved {@link state}. */
  static fromState(state: number): Random {
    const r = new Random(0);
    r.#s = state >>> 0;
    return r;
  }
}

/**
 * Check a data set's shape (not its values: the model validates those when a batch is
 * written) and return its size. Throws for an empty set or mismatched counts.
 */
export function checkDataset(data: unknown, where: string, withTargets = true): number {
  if (data === null || typeof data !== "object") throw new RnnError(`${where}: expected { inputs, targets }, got ${describe(data)}`);
  // A key nothing reads is refused rather than silently ignored. `source` and `indices` are
  // what cutSequences and makeBatches add.
  checkOptionKeys(where, data, ["inputs", "targets", "sampleWeight", "source", "indices"]);
  const { inputs, targets, sampleWeight } = data as Partial<Dataset>;
  if (!isArrayLike(inputs)) throw new RnnError(`${where}.inputs: expected an array of sequences, got ${describe(inputs)}`);
  if (inputs.length === 0) throw new RnnError(`${where}: the data set is empty (${where}.inputs has no sequences)`);
  if (withTargets) {
    if (!isArrayLike(targets)) throw new RnnError(`${where}.targets: expected an array with one entry per sequence, got ${describe(targets)}`);
    if (targets.length !== inputs.length) {
      throw new RnnError(`${where}.targets: expected ${inputs.length} entries (one per input sequence), got ${targets.length}`);
    }
  }
  if (sampleWeight !== undefined) {
    if (!isArrayLike(sampleWeight)) throw new RnnError(`${where}.sampleWeight: expected an array with one weight per sequence, got ${describe(sampleWeight)}`);
    if (sampleWeight.length !== inputs.length) {
      throw new RnnError(`${where}.sampleWeight: expected ${inputs.length} weights (one per input sequence), got ${sampleWeight.length}`);
    }
  }
  return inputs.length;
}

function specialId(value: boolean | number | undefined, fallback: number, field: string): number | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) throw new RnnError(`${field}: expected true, false or a token id, got ${describe(value)}`);
  return value;
}

/**
 * Next-token pairs for generation: each sequence of ids, wrapped as `<sos> x₁ … xₙ <eos>`,
 * becomes inputs `<sos> x₁ … xₙ` and targets `x₁ … xₙ <eos>` (a many-to-many data set whose
 * targets are the inputs shifted by one). Sequences with nothing to predict (fewer than two
 * ids after wrapping) are left out.
 * @param options.sos prepend `<sos>` (true: {@link Vocabulary.SOS}, or a given id). @default true
 * @param options.eos append `<eos>` (true: {@link Vocabulary.EOS}, or a given id). @default true
 * @example
 * nextTokenData([[5, 6, 7]]);   // { inputs: [[1, 5, 6, 7]], targets: [[5, 6, 7, 2]] }
 */
export function nextTokenData(sequences: ArrayLike<ArrayLike<number>>, options: { sos?: boolean | number; eos?: boolean | number } = {}): Dataset & { inputs: number[][]; targets: number[][] } {
  if (!isArrayLike(sequences)) throw new RnnError(`nextTokenData: expected an array of id sequences, got ${describe(sequences)}`);
  checkOptionKeys("nextTokenData options", options, ["sos", "eos"]);
  const sos = specialId(options.sos ?? true, Vocabulary.SOS, "nextTokenData options.sos");
  const eos = specialId(options.eos ?? true, Vocabulary.EOS, "nextTokenData options.eos");
  const inputs: number[][] = [];
  const targets: number[][] = [];
  for (let i = 0; i < sequences.length; i++) {
    const seq = sequences[i];
    if (!isArrayLike(seq)) throw new RnnError(`nextTokenData: sequences[${i}] must be an array of ids, got ${describe(seq)}`);
    const full = [...(sos === undefined ? [] : [sos]), ...Array.from(seq), ...(eos === undefined ? [] : [eos])];
    if (full.length < 2) continue;
    inputs.push(full.slice(0, -1));
    targets.push(full.slice(1));
  }
  if (inputs.length === 0) throw new RnnError("nextTokenData: no sequence has anything to predict (need at least two ids after adding <sos>/<eos>)");
  return { inputs, targets };
}

/**
 * Sequence labelling (tagging) with `lookahead` L, for a model that reads left to right: each
 * sequence of ids gets L `fill` steps appended (`<eos>` by default), and the label of step j
 * is scored at step j + L, after the model has seen L inputs to its right. The first L + 1
 * steps are all trained on the first label. With L = 0 the data set is the pairs as given.
 * Read a model's outputs back with {@link fromLookahead}.
 * @example
 * labellingData([[7, 8, 9]], [[4, 5, 6]], { lookahead: 1 });   // { inputs: [[7, 8, 9, 2]], targets: [[4, 4, 5, 6]] }
 */
export function labellingData(sequences: ArrayLike<ArrayLike<number>>, labels: ArrayLike<ArrayLike<number>>, options: { lookahead?: number; fill?: number } = {}): Dataset & { inputs: number[][]; targets: number[][] } {
  checkOptionKeys("labellingData options", options, ["lookahead", "fill"]);
  const L = positiveInt("labellingData options.lookahead", options.lookahead, 0, 0);
  const fill = positiveInt("labellingData options.fill", options.fill, Vocabulary.EOS, 0);
  checkArrayLike("labellingData sequences", sequences, "an array of id sequences");
  checkArrayLike("labellingData labels", labels, "an array of label sequences");
  if (labels.length !== sequences.length) throw new RnnError(`labellingData labels: expected ${sequences.length} entries (one per sequence), got ${labels.length}`);
  const inputs: number[][] = [];
  const targets: number[][] = [];
  for (let i = 0; i < sequences.length; i++) {
    checkArrayLike(`labellingData sequences[${i}]`, sequences[i], "an array of ids");
    checkArrayLike(`labellingData labels[${i}]`, labels[i], "an array of labels");
    const x = Array.from(sequences[i]), y = Array.from(labels[i]);
    if (y.length !== x.length || x.length === 0) throw new RnnError(`labellingData labels[${i}]: expected ${x.length} labels (one per id of sequences[${i}], at least one), got ${y.length}`);
    inputs.push(L === 0 ? x : [...x, ...Array<number>(L).fill(fill)]);
    targets.push(L === 0 ? y : [...Array<number>(L).fill(y[0]), ...y]);
  }
  return { inputs, targets };
}

/** The values of a lookahead-L sequence's real steps (see {@link labellingData}): steps L .. L + length − 1. */
export function fromLookahead<T>(stepValues: ArrayLike<T>, length: number, lookahead = 0): T[] {
  return Array.from({ length }, (_, j) => stepValues[j + lookahead]);
}

/** How {@link cutSequences} shortens long sequences. */
export interface CutOptions {
  /** The longest sequence to keep (in steps). */
  maxLength: number;
  /**
   * `"truncate"`: keep one piece of maxLength steps per sequence (see `keep`);
   * `"windows"`: cut every sequence into windows of maxLength steps, `stride` apart (the last
   * may be shorter), each its own example.
   * @default "truncate"
   */
  mode?: "truncate" | "windows";
  /** With `"truncate"`: keep the first or the last maxLength steps. @default "start" */
  keep?: "start" | "end";
  /** With `"windows"`: steps between window starts (< maxLength: overlapping windows). @default maxLength */
  stride?: number;
  /**
   * Whether targets are per step (cut alongside the inputs) or per sequence (kept whole, and
   * copied to every window of that sequence).
   * @default "many-to-many"
   */
  task?: "many-to-many" | "many-to-one";
  /** Numbers per step when a dense sequence is one flat array (the model's inputSize). @default 1 */
  stepSize?: number;
}

/** Steps of a sequence: its length, or its length / stepSize for a flat dense sequence. */
export function stepsOf(seq: unknown, stepSize = 1): number {
  if (!isArrayLike(seq)) throw new RnnError(`expected a sequence (an array), got ${describe(seq)}`);
  return stepSize > 1 && typeof seq[0] === "number" ? Math.floor(seq.length / stepSize) : seq.length;
}

/** Steps a..b of a sequence (ids, vectors per step, or flat dense with stepSize numbers per step). */
export function sliceSteps(seq: Sequence, a: number, b: number, stepSize = 1): Sequence {
  const flat = stepSize > 1 && typeof (seq as ArrayLike<unknown>)[0] === "number";
  const s = seq as ArrayLike<unknown> & { slice?: (a: number, b: number) => unknown };
  const [from, to] = flat ? [a * stepSize, b * stepSize] : [a, b];
  return (typeof s.slice === "function" ? s.slice(from, to) : Array.prototype.slice.call(s, from, to)) as Sequence;
}

/**
 * Shorten long sequences, as the caller chooses: truncate them, or cut them into windows.
 * Sequences of at most maxLength steps pass unchanged. Returns the new data set and, for each
 * of its examples, the index of the sequence it came from.
 * @example
 * cutSequences(data, { maxLength: 100, mode: "windows", stride: 50 });
 */
export function cutSequences(data: Dataset, options: CutOptions): Dataset & { inputs: Sequence[]; targets: Targets[number][]; source: number[]; sampleWeight?: number[] } {
  const N = checkDataset(data, "cutSequences data");
  if (options === null || typeof options !== "object") throw new RnnError(`cutSequences options: expected an object, got ${describe(options)}`);
  checkOptionKeys("cutSequences options", options, ["maxLength", "mode", "keep", "stride", "task", "stepSize"]);
  const L = positiveInt("cutSequences options.maxLength", options.maxLength);
  const mode = options.mode ?? "truncate";
  if (mode !== "truncate" && mode !== "windows") throw new RnnError(`cutSequences options.mode: expected "truncate" or "windows", got ${describe(mode)}`);
  const keep = options.keep ?? "start";
  if (keep !== "start" && keep !== "end") throw new RnnError(`cutSequences options.keep: expected "start" or "end", got ${describe(keep)}`);
  const stride = positiveInt("cutSequences options.stride", options.stride, L);
  const task = options.task ?? "many-to-many";
  if (task !== "many-to-many" && task !== "many-to-one") throw new RnnError(`cutSequences options.task: expected "many-to-many" or "many-to-one", got ${describe(task)}`);
  const step = positiveInt("cutSequences options.stepSize", options.stepSize, 1);
  const perStep = task === "many-to-many";
  const out: { inputs: Sequence[]; targets: Targets[number][]; source: number[]; sampleWeight?: number[] } = { inputs: [], targets: [], source: [] };
  const sw = data.sampleWeight;
  if (sw !== undefined) out.sampleWeight = [];
  const push = (i: number, a: number, b: number) => {
    out.inputs.push(sliceSteps(data.inputs[i], a, b, step));
    out.targets.push(perStep ? (sliceSteps(data.targets[i] as Sequence, a, b) as Targets[number]) : data.targets[i]);
    out.source.push(i);
    if (sw !== undefined) out.sampleWeight!.push(sw[i]);   // every piece weighs what its sequence weighs
  };
  for (let i = 0; i < N; i++) {
    const n = stepsOf(data.inputs[i], step);
    if (perStep) {
      const tgt = data.targets[i];
      if (!isArrayLike(tgt) || tgt.length !== n) {
        throw new RnnError(`cutSequences data.targets[${i}]: expected ${n} per-step targets (task "many-to-many"), got ${isArrayLike(tgt) ? tgt.length : describe(tgt)}`);
      }
    }
    if (n <= L) {
      push(i, 0, n);
    } else if (mode === "truncate") {
      if (keep === "start") push(i, 0, L);
      else push(i, n - L, n);
    } else {
      for (let a = 0; ; a += stride) {
        push(i, a, Math.min(a + L, n));
        if (a + L >= n) break;
      }
    }
  }
  return out;
}

/** How {@link makeBatches} groups examples. */
export interface BatchOptions {
  /** Examples per batch (the last batch may be smaller). */
  batchSize: number;
  /** Shuffle the examples, and the order of the batches. @default false */
  shuffle?: boolean;
  /** Seed of the shuffle, or a {@link Random} to draw from (it advances). @default 0 */
  seed?: number | Random;
  /**
   * Batch sequences of similar length together so that little padding is computed: examples
   * (shuffled first, if asked) are sorted by length inside pools of `bucketPool` batches,
   * cut into batches, and the batches shuffled. Without shuffling the whole set is one pool.
   * @default true
   */
  buckets?: boolean;
  /** Batches per sorting pool when shuffling with buckets. @default 64 */
  bucketPool?: number;
  /** Numbers per step when dense sequences are flat arrays (for lengths). @default 1 */
  stepSize?: number;
}

/**
 * Group a data set into batches: seeded shuffling, and length buckets so that sequences of
 * similar length share a batch. Every example appears in exactly one batch.
 * @example
 * for (const batch of makeBatches(data, { batchSize: 32, shuffle: true, seed: 1 })) model.trainStep(batch);
 */
export function makeBatches(data: Dataset, options: BatchOptions): IndexedBatch[] {
  const N = checkDataset(data, "makeBatches data", data?.targets !== undefined);
  if (options === null || typeof options !== "object") throw new RnnError(`makeBatches options: expected an object, got ${describe(options)}`);
  checkOptionKeys("makeBatches options", options, ["batchSize", "shuffle", "seed", "buckets", "bucketPool", "stepSize"]);
  const size = positiveInt("batchSize", options.batchSize);
  const pool = positiveInt("bucketPool", options.bucketPool, 64);
  const step = positiveInt("stepSize", options.stepSize, 1);
  const rng = options.seed instanceof Random ? options.seed : new Random(options.seed ?? 0);
  const shuffle = flag("makeBatches options.shuffle", options.shuffle, false);
  const order = Array.from({ length: N }, (_, i) => i);
  if (shuffle) rng.shuffle(order);
  if (flag("makeBatches options.buckets", options.buckets, true)) {
    const lengths = Array.from({ length: N }, (_, i) => stepsOf(data.inputs[i], step));
    const span = shuffle ? size * pool : N;
    for (let a = 0; a < N; a += span) {
      const part = order.slice(a, a + span).sort((x, y) => lengths[x] - lengths[y]);   // stable
      for (let j = 0; j < part.length; j++) order[a + j] = part[j];
    }
  }
  const batches: IndexedBatch[] = [];
  for (let a = 0; a < N; a += size) {
    const indices = order.slice(a, a + size);
    const batch: IndexedBatch = {
      indices,
      inputs: indices.map((i) => data.inputs[i]),
      targets: data.targets === undefined ? [] : indices.map((i) => data.targets[i]),
    };
    if (data.sampleWeight !== undefined) batch.sampleWeight = indices.map((i) => data.sampleWeight![i]);
    batches.push(batch);
  }
  if (shuffle) rng.shuffle(batches);
  return batches;
}
