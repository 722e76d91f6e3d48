// The training loop around the one-call step: fit (epochs, batches, validation, callbacks,
// early stopping), evaluate (loss, accuracy, per-class accuracy, confusion matrix), and
// truncated BPTT (chunks of K steps, the state carried, an update after each chunk).
//
// Every number-heavy part stays in rnn.wasm: one trainStep (or computeGradients) call per
// batch or chunk. What runs here is per batch (choosing examples, timing) or per scored step
// (an argmax for the metrics, which the module does not compute).

import { RnnError } from "./errors.js";
import { resolveOptimizer, resolveClipNorm, stateSize, type OptimizerOptions, type ResolvedConfig } from "./options.js";
import { describe, checkOptionKeys, positiveInt, flag, callback } from "./check.js";
import { planBatch, stageBatch, stageTargets, checkExamples, unsortRows, lossWeight, type Batch, type Sequence, type Targets } from "./batch.js";
import { tensorNames, type Core, type Tensors } from "./core.js";
import type { RNN, StepResult } from "./model.js";
import { forwardOnly, type Parameters } from "./inference.js";
import { checkDataset, makeBatches, sliceSteps, stepsOf, Random, type Dataset, type IndexedBatch } from "./data.js";
import { isStream, checkStream, openStream, StreamReader, drive, runSync, type DataStream, type Step } from "./stream.js";
import { ConfusionMatrix, type ClassStats } from "./metrics.js";
import { DataParallel, MAX_WORKERS, type WorkerMemory } from "./parallel.js";

/** What {@link fit} reports after each batch. */
export interface BatchLog {
  /** Epoch, from 1. */
  epoch: number;
  /** Batch within the epoch, from 1. */
  batch: number;
  /** Batches per epoch (absent for a stream, whose length is not known in advance). */
  batches?: number;
  /** The batch's loss L = (1/B) Σ_i Σ_{scored t} loss_it (under tbptt: summed over its chunks). */
  loss: number;
  /** Sequences in the batch. */
  sequences: number;
  /** Real steps (tokens) in the batch, padding not counted. */
  tokens: number;
  /** Tokens per second over the epoch so far. */
  tokensPerSecond: number;
  /** Seconds since fit started. */
  elapsed: number;
}

/** What {@link fit} reports after each epoch (and keeps in the history). */
export interface EpochLog {
  /** Epoch, from 1. */
  epoch: number;
  /** Mean over the training sequences of Σ_{scored t} loss_t (the same L as trainStep, over the epoch). */
  loss: number;
  /**
   * The training loss per scored step: Σ ω·loss / Σ ω over the epoch's scored steps (ω = sample
   * weight × class weight, ignored targets left out), PyTorch's reduction="mean"; without
   * weights, the summed loss over the number of scored steps.
   */
  lossPerStep: number;
  /** Validation loss, as `loss` (when validation data was given). */
  valLoss?: number;
  /** Validation loss per scored step, as `lossPerStep`. */
  valLossPerStep?: number;
  /** Validation accuracy (softmax and sigmoid losses). */
  valAccuracy?: number;
  /** Real steps trained on in this epoch. */
  tokens: number;
  /** Training tokens per second in this epoch (validation not included). */
  tokensPerSecond: number;
  /** Seconds since fit started. */
  elapsed: number;
}

/** What {@link fit} returns. */
export interface History {
  /** One entry per epoch run. */
  epochs: EpochLog[];
  /** Training loss per epoch (the `loss` of each entry). */
  loss: number[];
  /** Validation loss per epoch (empty without validation data). */
  valLoss: number[];
  /** Validation accuracy per epoch (empty without validation data or for MSE). */
  valAccuracy: number[];
  /** The epoch with the lowest validation loss (with early stopping). */
  bestEpoch?: number;
  /**
   * Why training ended: all epochs ran; early stopping; or `stop()` was called from a
   * callback (or, in fitAsync, the signal was aborted).
   */
  stopped: "completed" | "early-stopping" | "stopped";
  /** Whether the parameters were set back to those of `bestEpoch`. */
  restoredBest: boolean;
  /**
   * With fitAsync's `workers`: how many, and where the parameters and gradients traveled:
   * `"shared"`, one SharedArrayBuffer (Node.js, Deno, cross-origin isolated pages), or
   * `"copies"` in the messages (elsewhere). The numbers are the same bits either way.
   */
  workers?: { count: number; memory: WorkerMemory };
}

/** Early stopping on the validation loss. */
export interface EarlyStoppingOptions {
  /** Stop after this many epochs in a row without an improvement of the validation loss (0: at the first). */
  patience: number;
  /** An improvement must lower the validation loss by more than this. @default 0 */
  minDelta?: number;
  /** At the end, set the parameters back to those of the best epoch. @default true */
  restoreBest?: boolean;
}

/** Options of {@link fit}. */
export interface FitOptions {
  /** Passes over the training data. @default 10 */
  epochs?: number;
  /** Sequences per step. @default 32 */
  batchSize?: number;
  /** The optimizer; its state lives in the model across calls. @default { type: "adam" } */
  optimizer?: OptimizerOptions;
  /** Clip the global gradient norm to this (0: off). @default undefined */
  clipNorm?: number;
  /**
   * Shuffle the examples every epoch. A stream is not shuffled (its order is the caller's);
   * with `shuffle: true` it is shuffled within each window only.
   * @default true (false for a stream)
   */
  shuffle?: boolean;
  /**
   * Seed of the shuffling (one stream for the whole call). By default each epoch's shuffle is
   * seeded from the model's own generator (whose state model files keep), so fit(2 epochs)
   * equals fit(1), save, load, fit(1). @default drawn from the model, per epoch
   */
  seed?: number;
  /** Batch sequences of similar length together (see makeBatches; for a stream, within each window). @default true */
  buckets?: boolean;
  /**
   * For a stream of examples: how many are gathered, checked and batched together (sorted by
   * length with `buckets`); a multiple of batchSize. A bad example refuses its whole window.
   * @default 64 × batchSize
   */
  window?: number;
  /** Held-out data, evaluated after every epoch (a stream too, in fitAsync). */
  validationData?: Dataset | DataStream;
  /** Sequences per evaluation batch. @default max(batchSize, 256) */
  validationBatchSize?: number;
  /** Stop when the validation loss stops improving (needs validationData). */
  earlyStopping?: EarlyStoppingOptions;
  /**
   * Truncated BPTT: cut every batch into chunks of this many steps, carry the state from one
   * chunk to the next, stop gradients at chunk boundaries and update after each chunk.
   * @default undefined (full BPTT)
   */
  tbptt?: number;
  /**
   * The learning rate over training, as a factor of `optimizer.lr` (see {@link LrSchedule}).
   * @default undefined (constant)
   */
  schedule?: LrSchedule;
  /**
   * Epochs already trained (a resumed run): epochs are numbered from initialEpoch + 1, and the
   * schedule continues from there. @default 0
   */
  initialEpoch?: number;
  /** Apply steps whose loss, gradient norm or update is not finite (see trainStep). @default false */
  allowNonFinite?: boolean;
  /**
   * Data-parallel training (fitAsync): each batch is split into this many contiguous shards,
   * whose gradients replicas of the model compute in as many workers (worker_threads in
   * Node.js, Web Workers in browsers and Deno); they are summed in a fixed order and applied
   * here as one update. A given N gives the same bits on every run; N = 1 gives exactly fit's
   * (see docs/training.md). Not with tbptt. In fit, only 1 (trained in-process).
   * @default undefined (no workers: every step on the caller's thread)
   */
  workers?: number;
  /** Called after every batch; `control.stop()` ends training after this batch. */
  onBatch?: (log: BatchLog, control: FitControl) => void;
  /** Called after every epoch; `control.stop()` ends training after this epoch. */
  onEpoch?: (log: EpochLog, control: FitControl) => void;
}

/**
 * A learning-rate schedule: the learning rate of each batch, from the optimizer's `lr` (the
 * base). Epochs count from 1 and include `initialEpoch`; steps are the optimizer steps the
 * model has taken (its step count, kept in model files).
 * - `{ type: "step", stepSize, gamma }`: lr · γ^⌊(epoch − 1) / stepSize⌋ (PyTorch StepLR).
 * - `{ type: "exponential", gamma }`: lr · γ^(epoch − 1) (PyTorch ExponentialLR).
 * - `{ type: "cosine", warmupSteps?, totalSteps?, minLr? }`: per step, a linear warm-up from
 *   lr / warmupSteps to lr over warmupSteps steps, then a cosine from lr down to minLr at
 *   totalSteps (default: the steps this fit call will take, after those already taken).
 * - a function `({ epoch, step, lr }) => number`, called before every batch.
 */
export type LrSchedule =
  | { type: "step"; stepSize: number; gamma?: number }
  | { type: "exponential"; gamma: number }
  | { type: "cosine"; warmupSteps?: number; totalSteps?: number; minLr?: number }
  | ((at: { epoch: number; step: number; lr: number }) => number);

/** The second argument of the fit callbacks. */
export interface FitControl {
  /** End training once this callback returns (the history's `stopped` is then "stopped"). */
  stop(): void;
}

/** Options of {@link fitAsync}: those of fit, and a signal. */
export interface FitAsyncOptions extends FitOptions {
  /** Abort training: checked after every batch (the history's `stopped` is then "stopped"). */
  signal?: AbortSignal;
  /** Give the event loop a turn when this many milliseconds of training have passed since the last. @default 20 */
  yieldEvery?: number;
  /**
   * With `workers`: the URL of the package's `dist/worker.js`, where a bundler or a server put
   * it elsewhere. @default new URL("./worker.js", import.meta.url) of the bundle
   */
  workerUrl?: string | URL;
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Sequences per batch. @default 256 */
  batchSize?: number;
  /** For a stream of examples: how many are gathered, checked and batched together (a multiple of batchSize). @default 64 × batchSize */
  window?: number;
  /** Class names for the confusion matrix (default: the model's `labels`, else the ids). */
  classes?: ArrayLike<string> | { classes: ArrayLike<string> };
  /** Also return the predicted class ids (softmax models). @default false */
  predictions?: boolean;
}

/** What {@link evaluate} returns. */
export interface Evaluation {
  /** Mean over the sequences of Σ_{scored t} loss_t: the L of trainStep, over the whole set (weighted as it is). */
  loss: number;
  /**
   * The loss per scored step: Σ ω·loss / Σ ω (ω = sample weight × class weight), PyTorch's
   * reduction="mean" with `weight` and `ignore_index`; without weights, the summed loss over
   * `scored`. NaN when every target is ignored.
   */
  lossPerStep: number;
  /** Sequences evaluated. */
  sequences: number;
  /**
   * Steps scored: every real step (many-to-many) or one per sequence (many-to-one), less the
   * targets equal to the config's ignoreIndex. Padding never counts.
   */
  scored: number;
  /**
   * Softmax: the fraction of scored steps whose most probable class is the target (per real
   * token for many-to-many, per sequence for many-to-one). Sigmoid: the fraction of scored
   * outputs with (ŷ > 0.5) equal to the target. Absent for MSE.
   */
  accuracy?: number;
  /** Softmax: per-class accuracy (recall), precision and F1, in class-id order. */
  perClass?: ClassStats[];
  /** Softmax: the confusion matrix (rows: true class; `toString()` renders it). */
  confusion?: ConfusionMatrix;
  /** With `predictions: true` (softmax): the predicted ids, per sequence (an array per step for many-to-many). */
  predictions?: (number | number[])[];
}

/** Options of a truncated-BPTT step. */
export interface TruncatedStepOptions {
  /** The optimizer. @default { type: "adam" } */
  optimizer?: OptimizerOptions;
  /** Gradient clipping, applied to each chunk's gradients. */
  clipNorm?: number;
  /** Apply chunks whose loss, gradient norm or update is not finite (see trainStep). @default false */
  allowNonFinite?: boolean;
}

/** What a truncated-BPTT step returns. */
export interface TruncatedResult extends StepResult {
  /** Number of chunks (wasm training calls). */
  chunks: number;
}

const now = (): number => (globalThis.performance?.now?.() ?? Date.now());

function stepSizeOf(model: RNN): number {
  return model.config.input === "dense" ? model.config.inputSize : 1;
}

// ── truncated BPTT ──────────────────────────────────────────────────────────────────────────
//
//   steps      0 ……… K−1 │ K ……… 2K−1 │ 2K ……                   (a batch of B sequences)
//   chunk c    trainStep({ inputs: steps cK..(c+1)K−1, h0: state after chunk c−1 })
//   state      finalState of chunk c → h0 of chunk c+1 (h0 is an input: gradients stop there)
//
// A sequence that has ended leaves the later chunks. Many-to-one scores only a sequence's
// last step, so a chunk runs the sequences that end in it through a training step and the
// others through a forward pass only (no loss there: no gradient, no update for them).
//
// The state carried is a sequence's whole state, S = stateSize numbers (every layer's, in h_n
// order): a deep model truncates as a one-layer one does. A bidirectional model cannot: its
// reverse direction's state at a chunk's end would come from the chunks after it.

/** Refuse truncated BPTT for a model that is not forward-only. */
function checkTruncatable(cfg: ResolvedConfig, field: string): void {
  forwardOnly(cfg, field, "truncated BPTT");
}

function runChunks(model: RNN, batch: Batch, K: number, step: (chunk: Batch) => StepResult): TruncatedResult {
  const cfg = model.config;
  checkTruncatable(cfg, "tbptt");
  const d = stateSize(cfg);                          // the width of the state carried between chunks
  const size = stepSizeOf(model);
  // The whole batch is checked before the first chunk trains: a bad value in a later chunk
  // must not leave the earlier chunks' updates applied.
  const staged = stageBatch(cfg, batch, stageTargets);
  const { T, B, lengths } = staged;
  const targets = batch.targets;
  const state = staged.h0 ? unsortRows(staged, staged.h0, d) : new Float32Array(B * d);
  const m2o = cfg.task === "many-to-one";
  let total = 0;
  let chunks = 0;
  const gather = (rows: number[]) => {
    const h = new Float32Array(rows.length * d);
    rows.forEach((i, r) => h.set(state.subarray(i * d, (i + 1) * d), r * d));
    return h;
  };
  const scatter = (rows: number[], fs: Float32Array) => rows.forEach((i, r) => state.set(fs.subarray(r * d, (r + 1) * d), i * d));
  for (let a = 0; a < T; a += K) {
    const b = a + K;
    const rows: number[] = [];
    for (let i = 0; i < B; i++) if (lengths[i] > a) rows.push(i);
    const carry = a > 0 || batch.h0 !== undefined;
    const piece = (i: number) => sliceSteps(batch.inputs[i], a, Math.min(lengths[i], b), size);
    const scored = m2o ? rows.filter((i) => lengths[i] <= b) : rows;
    const going = m2o ? rows.filter((i) => lengths[i] > b) : [];
    if (going.length > 0) {
      const r = model.forward(going.map(piece), carry ? { h0: gather(going) } : {});
      scatter(going, r.finalState);
    }
    if (scored.length > 0) {
      const chunkTargets = scored.map((i) => (m2o ? targets[i] : sliceSteps(targets[i] as Sequence, a, Math.min(lengths[i], b)))) as Targets;
      const sw = batch.sampleWeight;
      const r = step({
        inputs: scored.map(piece), targets: chunkTargets, ...(carry ? { h0: gather(scored) } : {}),
        ...(sw !== undefined ? { sampleWeight: scored.map((i) => sw[i]) } : {}),
      });
      scatter(scored, r.finalState);
      total += r.loss * scored.length;
      chunks++;
    }
  }
  return { loss: total / B, finalState: state, chunks };
}

/**
 * One truncated-BPTT step on a batch: chunks of K steps, each one trainStep (one wasm call)
 * whose h0 is the state the previous chunk ended in; gradients stop at chunk boundaries and
 * the parameters are updated after every chunk. With K ≥ the batch's longest sequence this is
 * exactly `model.trainStep(batch, options)`. Deep models carry their whole state (stateSize
 * numbers); bidirectional ones are refused.
 * @returns the loss summed over chunks (per sequence, averaged over the batch), each
 *   sequence's final state, and the number of chunks trained.
 */
export function trainTruncated(model: RNN, batch: Batch, K: number, options: TruncatedStepOptions = {}): TruncatedResult {
  const k = positiveInt("tbptt", K);
  return runChunks(model, batch, k, (chunk) => model.trainStep(chunk, options));
}

/**
 * The gradients truncated BPTT computes for a batch, without updating: the chunks are run as
 * in {@link trainTruncated} at the current parameters and their gradients summed (each
 * chunk's loss is averaged over the sequences in that chunk). With K ≥ T it equals
 * `computeGradients(batch)` followed by `gradients()`.
 */
export function truncatedGradients(model: RNN, batch: Batch, K: number): { loss: number; finalState: Float32Array; chunks: number; gradients: Parameters } {
  const k = positiveInt("tbptt", K);
  const p = model.parameters();
  const names = tensorNames(model.config);
  const sum = Object.fromEntries(names.map((name) => [name, new Float64Array(p[name].length)])) as Record<keyof Tensors, Float64Array>;
  const r = runChunks(model, batch, k, (chunk) => {
    const res = model.computeGradients(chunk);
    const g = model.gradients();
    for (const name of names) {
      const s = sum[name];
      const x = g[name];
      for (let j = 0; j < x.length; j++) s[j] += x[j];
    }
    return res;
  });
  const gradients = Object.fromEntries(names.map((name) => [name, Float32Array.from(sum[name])])) as Parameters;
  return { ...r, gradients };
}

// ── evaluate ─────────────────────────────────────────────────────────────────────────────

/**
 * Loss and metrics of a model on a data set, batch by batch. Each batch is one
 * computeLoss call (forward and loss, no BPTT: the module's own loss from the logits, exactly
 * as in training); the predicted class of every scored step is the argmax of its logits,
 * read from the module. Padding is never scored, so neither the loss nor any metric sees it.
 * Gradients are not touched.
 *
 * A stream (an async or sync iterable of examples or batches, or a function returning one)
 * is read once, a window at a time, and the result is a promise; see {@link DataStream}.
 */
export function evaluate(model: RNN, core: Core, data: Dataset, options?: EvaluateOptions): Evaluation;
export function evaluate(model: RNN, core: Core, data: DataStream, options?: EvaluateOptions): Promise<Evaluation>;
export function evaluate(model: RNN, core: Core, data: Dataset | DataStream, options?: EvaluateOptions): Evaluation | Promise<Evaluation>;
export function evaluate(model: RNN, core: Core, data: Dataset | DataStream, options: EvaluateOptions = {}): Evaluation | Promise<Evaluation> {
  if (isStream(data)) return drive(evaluateLoop(model, core, data, options, "evaluate data", "evaluate options"), 20);
  return runSync(evaluateLoop(model, core, data, options, "evaluate data", "evaluate options"));
}

/** evaluate, as a loop that yields after every batch and waits for a stream's items (see stream.ts). */
function* evaluateLoop(model: RNN, core: Core, data: Dataset | DataStream, options: EvaluateOptions, where: string, field: string, epoch?: number): Generator<Step, Evaluation> {
  const stream = isStream(data);
  const N0 = stream ? 0 : checkDataset(data, where);
  checkOptionKeys(field, options, ["batchSize", "classes", "predictions", "window"]);
  const batchSize = positiveInt(`${field}.batchSize`, options.batchSize, 256);
  const window = streamWindow(field, options.window, batchSize, stream);
  const withPredictions = flag(`${field}.predictions`, options.predictions, false);
  const cfg = model.config;
  if (!stream) checkExamples(cfg, data as Dataset, where);
  const k = cfg.outputSize;
  const m2o = cfg.task === "many-to-one";
  const softmax = cfg.loss === "softmax-cross-entropy";
  const sigmoid = cfg.loss === "sigmoid-binary-cross-entropy";
  const classes = options.classes ?? model.labels;
  if (classes !== undefined && softmax) {
    const count = "classes" in classes ? classes.classes.length : classes.length;
    if (count !== k) throw new RnnError(`${options.classes !== undefined ? `${field}.classes` : "model.labels"}: ${count} class names for outputSize ${k}`);
  }
  const confusion = softmax ? new ConfusionMatrix(classes ?? k) : undefined;
  const predictions: (number | number[])[] | undefined = withPredictions && softmax ? new Array(N0) : undefined;
  const ignore = cfg.ignoreIndex;
  let lossTotal = 0;
  let weightTotal = 0;
  let scored = 0;
  let right = 0;
  let judged = 0;
  let N = 0;
  const score = (batch: IndexedBatch): void => {
    const sw = batch.sampleWeight;
    const { loss } = model.computeLoss({ inputs: batch.inputs, targets: batch.targets, ...(sw !== undefined ? { sampleWeight: sw } : {}) });
    const B = batch.inputs.length;
    N += B;
    lossTotal += loss * B;
    weightTotal += lossWeight(cfg, batch.targets, sw);
    // After model_loss the module's O holds the logits of every scored row, time-major,
    // rows longest first (batch.ts's order): O[(t·B + row)·k + j] (many-to-one: O[row·k + j]).
    const { T, order, lengths } = planBatch(cfg, batch.inputs);
    const O = core.outputs(m2o ? B : T * B);
    for (let row = 0; row < B; row++) {
      const i = order[row];
      const steps = m2o ? 1 : lengths[i];
      scored += steps;
      const tgt = batch.targets[i];
      const preds = predictions && !m2o ? new Array<number>(steps) : undefined;
      for (let t = 0; t < steps; t++) {
        const base = (m2o ? row : t * B + row) * k;
        const y = (m2o ? tgt : (tgt as ArrayLike<unknown>)[t]) as number | ArrayLike<number>;
        if (softmax) {
          let best = 0;
          for (let j = 1; j < k; j++) if (O[base + j] > O[base + best]) best = j;
          if (y === ignore) scored--;                       // not scored: no loss, not in the metrics
          else confusion!.add(y as number, best);
          if (preds) preds[t] = best;
          else if (predictions) predictions[batch.indices[i]] = best;
        } else if (sigmoid) {
          const v = y as ArrayLike<number>;
          for (let j = 0; j < k; j++) if ((O[base + j] > 0 ? 1 : 0) === v[j]) right++;
          judged += k;
        }
      }
      if (preds) predictions![batch.indices[i]] = preds;
    }
  };
  if (stream) {
    // Every window is checked whole before its first batch is scored; batches of similar
    // lengths within it, as makeBatches does for an array (which is one window).
    const it = yield* openStream(data, where, epoch);
    const item = (i: number) => `${where}: ${epoch === undefined ? "" : `epoch ${epoch}, `}item ${i}`;
    const reader = new StreamReader(cfg, it, where, item, { batchSize, window, shuffle: false, buckets: true, random: () => new Random(0), stepSize: stepSizeOf(model) });
    for (;;) {
      const batches = yield* reader.next();
      if (batches === undefined) break;
      for (const batch of batches) {
        score(batch);
        yield;
      }
    }
    if (reader.items === 0) throw new RnnError(`${where}: ${epoch === undefined ? "" : `epoch ${epoch}: `}the stream yielded nothing${epoch !== undefined && epoch > 1 ? " (a generator can be read once: return a new one each time)" : ""}`);
  } else {
    for (const batch of makeBatches(data as Dataset, { batchSize, shuffle: false, buckets: true, stepSize: stepSizeOf(model) })) {
      score(batch);
      yield;
    }
  }
  const out: Evaluation = { loss: lossTotal / N, lossPerStep: lossTotal / weightTotal, sequences: N, scored };
  if (confusion) {
    out.accuracy = confusion.accuracy;
    out.perClass = confusion.perClass();
    out.confusion = confusion;
  } else if (sigmoid) {
    out.accuracy = right / judged;
  }
  if (predictions) out.predictions = predictions;
  return out;
}

/**
 * The `window` option: examples of a stream gathered, checked and batched together (a
 * multiple of the batch size, so that only a pass's last batch is short). For an array it is
 * refused: an array is bucketed whole.
 */
function streamWindow(field: string, value: unknown, batchSize: number, stream: boolean): number {
  if (!stream) {
    if (value !== undefined) throw new RnnError(`${field}.window: only for a stream (an array data set is batched whole; see buckets)`);
    return 0;
  }
  const window = positiveInt(`${field}.window`, value, 64 * batchSize);
  if (window % batchSize !== 0) throw new RnnError(`${field}.window: expected a multiple of batchSize (${batchSize}), got ${window}`);
  return window;
}

// ── fit ──────────────────────────────────────────────────────────────────────────────────

const FIT_KEYS = ["epochs", "batchSize", "optimizer", "clipNorm", "shuffle", "seed", "buckets", "window", "validationData",
  "validationBatchSize", "earlyStopping", "tbptt", "schedule", "initialEpoch", "allowNonFinite", "workers", "onBatch", "onEpoch"];

/** The learning rate of a batch under a schedule, checked (a function may return anything). */
type LrAt = (epoch: number, step: number) => number;

function resolveSchedule(schedule: unknown, base: number, stepsAhead: () => number): LrAt {
  const field = "fit options.schedule";
  if (schedule === undefined) return () => base;
  if (typeof schedule === "function") {
    return (epoch, step) => {
      const lr = (schedule as (at: { epoch: number; step: number; lr: number }) => unknown)({ epoch, step, lr: base });
      if (typeof lr !== "number" || !(lr >= 0) || !Number.isFinite(Math.fround(lr))) {
        throw new RnnError(`${field}: returned ${describe(lr)} at epoch ${epoch}, step ${step}; expected a finite learning rate ≥ 0`);
      }
      return lr;
    };
  }
  if (schedule === null || typeof schedule !== "object") throw new RnnError(`${field}: expected { type: "step" | "exponential" | "cosine", … } or a function, got ${describe(schedule)}`);
  const o = schedule as Record<string, unknown>;
  const gamma = (fallback?: number): number => {
    const g = o.gamma ?? fallback;
    if (typeof g !== "number" || !(g > 0) || !Number.isFinite(g)) throw new RnnError(`${field}.gamma: expected a number > 0, got ${describe(o.gamma)}`);
    return g;
  };
  switch (o.type) {
    case "step": {
      checkOptionKeys(field, o, ["type", "stepSize", "gamma"]);
      const every = positiveInt(`${field}.stepSize`, o.stepSize);
      const g = gamma(0.1);
      return (epoch) => base * g ** Math.floor((epoch - 1) / every);
    }
    case "exponential": {
      checkOptionKeys(field, o, ["type", "gamma"]);
      const g = gamma();
      return (epoch) => base * g ** (epoch - 1);
    }
    case "cosine": {
      checkOptionKeys(field, o, ["type", "warmupSteps", "totalSteps", "minLr"]);
      const warmup = positiveInt(`${field}.warmupSteps`, o.warmupSteps, 0, 0);
      const minLr = o.minLr ?? 0;
      if (typeof minLr !== "number" || !(minLr >= 0) || !(minLr <= base)) throw new RnnError(`${field}.minLr: expected a number in 0..${base} (optimizer.lr), got ${describe(o.minLr)}`);
      const total = o.totalSteps === undefined ? stepsAhead() : positiveInt(`${field}.totalSteps`, o.totalSteps);
      if (total <= warmup) throw new RnnError(`${field}: totalSteps (${total}) must be more than warmupSteps (${warmup})`);
      return (_epoch, step) => {
        if (step < warmup) return (base * (step + 1)) / warmup;
        const p = Math.min(1, (step - warmup) / (total - warmup));
        return minLr + ((base - minLr) * (1 + Math.cos(Math.PI * p))) / 2;
      };
    }
  }
  throw new RnnError(`${field}.type: expected "step", "exponential" or "cosine", got ${describe(o.type)}`);
}

/**
 * The training loop, one batch per resumption: fit runs it straight through, fitAsync gives
 * the event loop a turn between batches and awaits a stream's items (see stream.ts).
 * `stopped()` is polled after every batch (and, for a stream, after every item read).
 */
function* fitLoop(model: RNN, core: Core, data: Dataset | DataStream, options: FitOptions, keys: string[], stopped: () => boolean, canWait: boolean,
  parallel?: (count: number) => DataParallel): Generator<Step, History> {
  // Everything is checked before the first effect (an update, or a draw from the model's
  // generator): options, then every example of the training and validation data. A stream is
  // checked as it is read: every window (or yielded batch) before any of it is trained.
  const stream = isStream(data);
  if (stream && !canWait) throw new RnnError("fit data: a stream (an iterable or a function) needs fitAsync, which can wait for it; fit takes { inputs, targets }");
  const N = stream ? 0 : checkDataset(data, "fit data");
  checkOptionKeys("fit options", options, keys);
  const epochs = positiveInt("fit options.epochs", options.epochs, 10);
  const batchSize = positiveInt("fit options.batchSize", options.batchSize, 32);
  const window = streamWindow("fit options", options.window, batchSize, stream);
  const valBatchSize = positiveInt("fit options.validationBatchSize", options.validationBatchSize, Math.max(batchSize, 256));
  const K = options.tbptt === undefined ? undefined : positiveInt("fit options.tbptt", options.tbptt);
  if (K !== undefined) checkTruncatable(model.config, "fit options.tbptt");
  const workers = options.workers === undefined ? 0 : positiveInt("fit options.workers", options.workers);
  if (workers > MAX_WORKERS) throw new RnnError(`fit options.workers: expected at most ${MAX_WORKERS}, got ${workers}`);
  if (workers > 1 && !canWait) {
    throw new RnnError(`fit options.workers: ${workers} workers need fitAsync, which can wait for them (fit runs on the caller's thread): await model.fitAsync(data, { workers: ${workers} })`);
  }
  if (workers > 0 && K !== undefined) throw new RnnError("fit options.workers: not with tbptt (truncated BPTT updates after every chunk, on the caller's thread)");
  const shuffle = flag("fit options.shuffle", options.shuffle, !stream);
  const buckets = flag("fit options.buckets", options.buckets, true);
  const allowNonFinite = flag("fit options.allowNonFinite", options.allowNonFinite, false);
  const initialEpoch = positiveInt("fit options.initialEpoch", options.initialEpoch, 0, 0);
  const optimizer = resolveOptimizer(options.optimizer);
  resolveClipNorm(options.clipNorm);
  if (options.seed !== undefined) new Random(options.seed);     // checks it
  if (stream) checkStream(data, "fit data", epochs, `epochs is ${epochs}`);
  const val = options.validationData;
  const valStream = isStream(val);
  if (valStream && !canWait) throw new RnnError("fit options.validationData: a stream needs fitAsync, which can wait for it");
  if (valStream) checkStream(val, "validationData", epochs, `it is evaluated after each of the ${epochs} epochs`);
  else if (val !== undefined) checkDataset(val, "validationData");
  const es = options.earlyStopping;
  let patience = 0;
  let minDelta = 0;
  let restoreBest = true;
  if (es !== undefined) {
    if (es === null || typeof es !== "object") throw new RnnError(`earlyStopping: expected { patience, minDelta?, restoreBest? }, got ${describe(es)}`);
    checkOptionKeys("earlyStopping", es, ["patience", "minDelta", "restoreBest"]);
    patience = positiveInt("earlyStopping.patience", es.patience, undefined, 0);
    minDelta = es.minDelta ?? 0;
    if (typeof minDelta !== "number" || !Number.isFinite(minDelta) || minDelta < 0) throw new RnnError(`earlyStopping.minDelta: expected a number ≥ 0, got ${describe(es.minDelta)}`);
    restoreBest = flag("earlyStopping.restoreBest", es.restoreBest, true);
    if (val === undefined) throw new RnnError("earlyStopping: needs validationData (it watches the validation loss)");
  }
  const onBatch = callback<FitOptions["onBatch"]>("fit options.onBatch", options.onBatch);
  const onEpoch = callback<FitOptions["onEpoch"]>("fit options.onEpoch", options.onEpoch);
  const size = stepSizeOf(model);
  const batchesPerEpoch = Math.ceil(N / batchSize);
  const lrAt = resolveSchedule(options.schedule, optimizer.lr, () => {
    if (stream) throw new RnnError("fit options.schedule: a cosine schedule needs totalSteps when the data is a stream (its number of batches is not known in advance)");
    return core.step + epochs * batchesPerEpoch;
  });
  if (!stream) checkExamples(model.config, data as Dataset, "fit data");
  if (val !== undefined && !valStream) checkExamples(model.config, val as Dataset, "validationData");
  // Workers are started on the first step (after every check), by fitAsync's factory; fit's
  // `workers: 1` trains here, which is the same.
  const replicas = workers > 0 && canWait && parallel ? parallel(workers) : undefined;
  if (replicas) {
    try {
      yield* replicas.ready();
    } catch (e) {
      if (e instanceof RnnError) throw new RnnError(`fit options.workers: ${e.message}`);
      throw e;
    }
  }

  const stepOptions = { optimizer: options.optimizer, clipNorm: options.clipNorm, allowNonFinite };
  // With a seed: one stream for the whole call. Without: each epoch's shuffle is seeded by the
  // model's own generator, so epochs split across calls (or across a save and load) shuffle
  // exactly as in one call. (A stream draws too, so that it leaves the model as an array does.)
  const fixed = options.seed !== undefined ? new Random(options.seed) : undefined;
  const epochRandom = () => fixed ?? new Random(core.random());
  const m2o = model.config.task === "many-to-one";
  // Any weight or ignored target: lossPerStep divides by the summed weight, not the step count.
  const weightedLoss = model.config.ignoreIndex !== undefined || model.config.classWeights !== undefined;
  let stopRequested = false;
  const control: FitControl = { stop: () => { stopRequested = true; } };

  const history: History = { epochs: [], loss: [], valLoss: [], valAccuracy: [], stopped: "completed", restoredBest: false };
  if (replicas?.memory) history.workers = { count: replicas.count, memory: replicas.memory };
  let best = Infinity;
  let bestParams: Parameters | undefined;
  let wait = 0;
  const start = now();
  for (let epoch = initialEpoch + 1; epoch <= initialEpoch + epochs; epoch++) {
    // Drawn when the first batches are made (for a stream: once its first window has passed
    // its checks, so that a refused first window leaves the model as it was).
    let drawn: Random | undefined;
    const random = () => (drawn ??= epochRandom());
    let batches: IndexedBatch[] = [];
    let reader: StreamReader | undefined;
    if (stream) {
      const it = yield* openStream(data, "fit data", epoch);
      reader = new StreamReader(model.config, it, "fit data", (i) => `fit data: epoch ${epoch}, item ${i}`,
        { batchSize, window, shuffle, buckets, random, stepSize: size, stopped });
    } else {
      batches = makeBatches(data as Dataset, { batchSize, shuffle, seed: random(), buckets, stepSize: size });
    }
    const t0 = now();
    let lossSum = 0;
    let tokens = 0;
    let seen = 0;
    let scored = 0;
    let bi = 0;                                   // the batch number in this epoch
    let at = 0;                                   // the next batch of `batches`
    for (; !stopRequested; at++) {
      if (at === batches.length) {
        if (reader === undefined) break;
        const next = yield* reader.next();        // the next window (checked whole), or the next yielded batch
        if (next === undefined) {
          if (reader.aborted) stopRequested = true;
          break;
        }
        batches = next;
        at = 0;
      }
      const batch = batches[at];
      bi++;
      const step: Batch = { inputs: batch.inputs, targets: batch.targets, ...(batch.sampleWeight !== undefined ? { sampleWeight: batch.sampleWeight } : {}) };
      const lr = lrAt(epoch, core.step);
      const opts = options.schedule === undefined ? stepOptions : { ...stepOptions, optimizer: { ...(options.optimizer ?? { type: "adam" as const }), lr } };
      let r: StepResult;
      try {
        r = replicas ? yield* replicas.step(step, opts) : K === undefined ? model.trainStep(step, opts) : trainTruncated(model, step, K, opts);
      } catch (e) {
        // Only a step the module refused gets here (everything else was checked up front).
        if (e instanceof RnnError) throw new RnnError(`fit: epoch ${epoch}, batch ${bi}: ${e.message}`);
        throw e;
      }
      const B = batch.inputs.length;
      let batchTokens = 0;
      for (const x of batch.inputs) batchTokens += stepsOf(x, size);
      lossSum += r.loss * B;
      tokens += batchTokens;
      seen += B;
      scored += weightedLoss || batch.sampleWeight !== undefined ? lossWeight(model.config, batch.targets, batch.sampleWeight) : m2o ? B : batchTokens;
      if (onBatch) {
        const t = now();
        onBatch({
          epoch, batch: bi, ...(reader === undefined ? { batches: batches.length } : {}), loss: r.loss, sequences: B, tokens: batchTokens,
          tokensPerSecond: tokens / Math.max((t - t0) / 1000, 1e-9), elapsed: (t - start) / 1000,
        }, control);
      }
      if (stopped()) stopRequested = true;
      yield;
    }
    if (reader !== undefined && reader.done && reader.items === 0) {
      throw new RnnError(`fit data: epoch ${epoch}: the stream yielded nothing${epoch > initialEpoch + 1 ? " (a generator can be read once: return a new one each time)" : ""}`);
    }
    if (seen === 0) {
      if (stopRequested) history.stopped = "stopped";        // a stream aborted before its first window was complete
      break;
    }
    const trainSeconds = (now() - t0) / 1000;
    const log: EpochLog = {
      epoch, loss: lossSum / seen, lossPerStep: lossSum / scored, tokens, tokensPerSecond: tokens / Math.max(trainSeconds, 1e-9), elapsed: 0,
    };
    // A stream's epoch is complete when it has ended and every batch of its last window trained.
    const complete = reader !== undefined ? reader.done && at >= batches.length : seen === N;
    if (val !== undefined && complete) {
      const ev = yield* evaluateLoop(model, core, val, { batchSize: valBatchSize }, "validationData", "fit options", valStream ? epoch : undefined);
      log.valLoss = ev.loss;
      log.valLossPerStep = ev.lossPerStep;
      if (ev.accuracy !== undefined) log.valAccuracy = ev.accuracy;
    }
    log.elapsed = (now() - start) / 1000;
    history.epochs.push(log);
    history.loss.push(log.loss);
    if (log.valLoss !== undefined) history.valLoss.push(log.valLoss);
    if (log.valAccuracy !== undefined) history.valAccuracy.push(log.valAccuracy);
    if (es !== undefined && complete) {
      if (log.valLoss! < best - minDelta) {
        best = log.valLoss!;
        history.bestEpoch = epoch;
        wait = 0;
        if (restoreBest) bestParams = model.parameters();
      } else {
        wait++;
      }
    }
    if (complete && onEpoch) onEpoch(log, control);
    if (stopRequested) {
      history.stopped = "stopped";
      break;
    }
    if (es !== undefined && wait > 0 && wait >= patience) {
      history.stopped = "early-stopping";
      break;
    }
  }
  if (bestParams && history.bestEpoch !== history.epochs.at(-1)?.epoch) {
    model.setParameters(bestParams);
    history.restoredBest = true;
  }
  return history;
}

/**
 * Train on a data set for a number of epochs: each batch is one trainStep (one wasm call), or
 * with `tbptt: K` one call per chunk of K steps. After each epoch the validation data (if
 * any) is evaluated, `onEpoch` is called, and early stopping may end training. Runs to the
 * end without giving the event loop a turn; see {@link fitAsync} for that, and for streams.
 * @returns the history: one log per epoch, the loss curves, and why training stopped.
 */
export function fit(model: RNN, core: Core, data: Dataset, options: FitOptions = {}): History {
  return runSync(fitLoop(model, core, data, options, FIT_KEYS, () => false, false));
}

/**
 * {@link fit}, giving the event loop a turn every `yieldEvery` ms (so that a page stays
 * responsive, a worker receives messages, Ctrl-C handlers run), and stopping after the
 * current batch once `signal` is aborted. The numbers are exactly those of fit.
 *
 * `data` (and `validationData`) may also be a stream: an async or sync iterable of examples
 * `{ input, target, sampleWeight? }` or of batches `{ inputs, targets, sampleWeight? }`, or a
 * function returning one per epoch (see {@link DataStream}). Examples are gathered in windows
 * of `window`, each checked whole, then batched (by length, with `buckets`); a yielded batch
 * is one step as it is. A stream is not shuffled. A bad item throws an RnnError naming its
 * epoch and index, before anything of its window (or batch) is trained; the steps before it
 * stay applied. An error the stream itself throws is passed on as it is.
 */
export async function fitAsync(model: RNN, core: Core, data: Dataset | DataStream, options: FitAsyncOptions = {}): Promise<History> {
  checkOptionKeys("fit options", options, [...FIT_KEYS, "signal", "yieldEvery", "workerUrl"]);
  const { signal, yieldEvery, workerUrl, ...rest } = options ?? {};
  if (workerUrl !== undefined && !(typeof workerUrl === "string" || workerUrl instanceof URL)) {
    throw new RnnError(`fit options.workerUrl: expected a URL or a string, got ${describe(workerUrl)}`);
  }
  if (workerUrl !== undefined && rest.workers === undefined) throw new RnnError("fit options.workerUrl: only with workers");
  if (signal !== undefined && (signal === null || typeof signal !== "object" || typeof signal.aborted !== "boolean")) {
    throw new RnnError(`fit options.signal: expected an AbortSignal, got ${describe(signal)}`);
  }
  const every = yieldEvery ?? 20;
  if (typeof every !== "number" || !(every >= 0)) throw new RnnError(`fit options.yieldEvery: expected a number ≥ 0 (ms), got ${describe(yieldEvery)}`);
  let replicas: DataParallel | undefined;
  const parallel = (count: number) => (replicas = new DataParallel(core, count, workerUrl));
  try {
    return await drive(fitLoop(model, core, data, rest, FIT_KEYS, () => signal?.aborted === true, true, parallel), every);
  } finally {
    replicas?.close();                            // completed, stopped, aborted or failed: no worker outlives the call
  }
}
