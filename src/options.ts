// Option types of the public API, their defaults, and their validation.

import { RnnError } from "./errors.js";
import { describe, describeF32, isArrayLike, checkOptionKeys, flag } from "./check.js";
import { OPT_SGD, OPT_ADAM, OPT_ADAMW } from "./wasm.js";

/** How a model is built. */
export interface RNNConfig {
  /**
   * Token ids (x_t one-hot, so U x_t is a column of U) or dense feature vectors.
   * @default "ids"
   */
  input?: "ids" | "dense";
  /** n: the vocabulary size (ids) or the features per step (dense). */
  inputSize: number;
  /** d: the size of the hidden state s_t. */
  hiddenSize: number;
  /** k: classes (softmax), independent outputs (sigmoid) or values (MSE) per scored step. */
  outputSize: number;
  /**
   * `many-to-many` scores every real step (labelling, next-token training);
   * `many-to-one` scores the last real step of each sequence (classification).
   * @default "many-to-many"
   */
  task?: "many-to-many" | "many-to-one";
  /** f1. @default "tanh" */
  hiddenActivation?: "tanh" | "sigmoid" | "relu";
  /** The loss, and with it f2 (softmax, sigmoid, identity). @default "softmax-cross-entropy" */
  loss?: "softmax-cross-entropy" | "sigmoid-binary-cross-entropy" | "mse";
  /** Seed of the parameter initialisation: an integer in 0..2^53−1. @default 0 */
  seed?: number;
  /**
   * Softmax cross-entropy only (PyTorch `ignore_index`): a target equal to this integer is not
   * scored. That step has no loss and no gradient, and is left out of evaluate's accuracy,
   * confusion matrix and step counts. It may lie outside 0..k−1 (PyTorch's default is −100;
   * here there is no default: without it every target must be a class id). A sequence whose
   * every target is ignored contributes 0 to the loss but still counts in the batch's B.
   * @default undefined (nothing ignored)
   */
  ignoreIndex?: number;
  /**
   * Softmax cross-entropy only (PyTorch `weight`): k finite numbers ≥ 0, not all 0; a scored
   * step's loss is −w[y]·log ŷ[y]. The reduction stays the sum over time and the mean over the
   * batch, (1/B) Σ_i Σ_t w[y_it]·loss_it (not PyTorch's weighted mean; see docs/training.md).
   * Part of the model: model files keep it, and evaluate reports the same weighted loss.
   * @default undefined (every class weighs 1)
   */
  classWeights?: ArrayLike<number>;
  /**
   * L: a stack of this many Elman layers (PyTorch `num_layers`); layer ℓ > 0 reads layer ℓ−1's
   * output sequence (both directions concatenated when bidirectional). @default 1
   */
  layers?: number;
  /**
   * Add a reverse direction to every layer (PyTorch `bidirectional`), with its own U, W, b,
   * run over each sequence's true length from its last real step down to step 0. @default false
   */
  bidirectional?: boolean;
  /**
   * e: ids input only: a trainable table E (n×e, one row per id, as nn.Embedding) feeds layer 0
   * with E[id] instead of the one-hot gather of U's columns. @default undefined (no embedding)
   */
  embeddingSize?: number;
  /**
   * p in [0, 1): inverted dropout on each layer's output except the last (PyTorch `dropout`),
   * training only, masks drawn from the model's generator. Needs layers ≥ 2. @default 0
   */
  dropout?: number;
  /**
   * Many-to-one only: what the head reads. `last`: the last real step's state (the reverse
   * direction's at step 0, PyTorch's h_n); `mean` or `max`: the mean or the per-feature max of
   * the top layer's output over each sequence's real steps. @default "last"
   */
  pooling?: "last" | "mean" | "max";
  /**
   * p in [0, 1): inverted dropout on layer 0's input (the embedding's rows, or the dense
   * features), training only. Not for ids without an embedding. @default 0
   */
  inputDropout?: number;
  /** p in [0, 1): inverted dropout on the head's input (the top layer's output, pooled or not), training only. @default 0 */
  outputDropout?: number;
}

/** A configuration with every default filled in (ignoreIndex, classWeights and embeddingSize stay absent when not given). */
export type ResolvedConfig = Required<Omit<RNNConfig, "ignoreIndex" | "classWeights" | "embeddingSize">> & {
  ignoreIndex?: number;
  classWeights?: readonly number[];
  embeddingSize?: number;
};

/**
 * Weight decay, on the weight matrices U, W and V; the biases b and c are spared unless
 * `decayBiases` (PyTorch decays every parameter of a group: `decayBiases: true` is its behaviour).
 */
export interface DecayOptions {
  /** λ ≥ 0: the form and the default depend on the optimizer (sgd and adam: L2, 0; adamw: decoupled, 0.01). */
  weightDecay?: number;
  /** Decay the biases b and c too, as PyTorch does with one parameter group. @default false */
  decayBiases?: boolean;
}

/** SGD (with momentum when `momentum > 0`), as torch.optim.SGD. */
export interface SGDOptions extends DecayOptions {
  type: "sgd";
  /** Learning rate. @default 0.01 */
  lr?: number;
  /** Momentum μ: buf ← μ·buf + g, p ← p − lr·buf. @default 0 */
  momentum?: number;
  /** L2 weight decay λ (torch.optim.SGD's weight_decay): g ← g + λ·p before the momentum buffer and the step. @default 0 */
  weightDecay?: number;
}

/** Adam with bias correction, as torch.optim.Adam. */
export interface AdamOptions extends DecayOptions {
  type: "adam";
  /** Learning rate. @default 0.001 */
  lr?: number;
  /** @default 0.9 */
  beta1?: number;
  /** @default 0.999 */
  beta2?: number;
  /** @default 1e-8 */
  eps?: number;
  /** L2 weight decay λ (torch.optim.Adam's weight_decay): g ← g + λ·p before the moments. @default 0 */
  weightDecay?: number;
}

/**
 * Adam with decoupled weight decay, as torch.optim.AdamW: the same step as Adam, the decay
 * applied to the parameters.
 * @example
 * model.trainStep(batch, { optimizer: { type: "adamw", lr: 0.001, weightDecay: 0.01 } });
 */
export interface AdamWOptions extends Omit<AdamOptions, "type"> {
  type: "adamw";
  /** Decoupled weight decay λ: p ← p·(1 − lr·λ), then the Adam step on the undecayed gradient. @default 0.01 */
  weightDecay?: number;
}

export type OptimizerOptions = SGDOptions | AdamOptions | AdamWOptions;

/** The optimizer types (model files keep the type of a model's optimizer state). */
export type OptimizerType = OptimizerOptions["type"];

/** Options of one training step. */
export interface TrainStepOptions {
  /** The optimizer and its hyperparameters; its state is kept in the model between steps. @default { type: "adam" } */
  optimizer?: OptimizerOptions;
  /** Clip the gradients to this global L2 norm (clip_grad_norm_); 0 or absent: no clipping. @default undefined */
  clipNorm?: number;
  /**
   * Apply a step even when its loss or gradient norm is not finite, or when its update would
   * make a parameter non-finite. By default such a step is not applied (parameters and
   * optimizer state stay as they were) and throws an RnnError. @default false
   */
  allowNonFinite?: boolean;
}

const INPUTS = ["ids", "dense"] as const;
const TASKS = ["many-to-many", "many-to-one"] as const;
const ACTIVATIONS = ["tanh", "sigmoid", "relu"] as const;
const LOSSES = ["softmax-cross-entropy", "sigmoid-binary-cross-entropy", "mse"] as const;
const POOLINGS = ["last", "mean", "max"] as const;
const KNOWN_KEYS = ["input", "inputSize", "hiddenSize", "outputSize", "task", "hiddenActivation", "loss", "seed", "ignoreIndex", "classWeights",
  "layers", "bidirectional", "embeddingSize", "dropout", "pooling", "inputDropout", "outputDropout"];

/** Largest number of layers accepted. */
export const MAX_LAYERS = 64;

/** Codes shared with assembly/layout.ts (INPUT_*, TASK_*, ACT_*, LOSS_*): the index in each list. */
export const codes = {
  input: (c: ResolvedConfig) => INPUTS.indexOf(c.input),
  task: (c: ResolvedConfig) => TASKS.indexOf(c.task),
  act: (c: ResolvedConfig) => ACTIVATIONS.indexOf(c.hiddenActivation),
  loss: (c: ResolvedConfig) => LOSSES.indexOf(c.loss),
  pool: (c: ResolvedConfig) => POOLINGS.indexOf(c.pooling),
};

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) {
    throw new RnnError(`config.${field}: expected one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, got ${describe(value)}`);
  }
  return value as T;
}

/** Largest size accepted for n, d, k (each tensor must also fit the memory checks). */
export const MAX_DIM = 1 << 24;

function dim(field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > MAX_DIM) {
    throw new RnnError(`config.${field}: expected an integer in 1..${MAX_DIM}, got ${describe(value)}`);
  }
  return value;
}

/** Validate a configuration and fill in the defaults. */
export function resolveConfig(config: RNNConfig): ResolvedConfig {
  if (config === null || typeof config !== "object") throw new RnnError(`config: expected an object, got ${describe(config)}`);
  checkOptionKeys("config", config, KNOWN_KEYS);
  const seed = config.seed === undefined ? 0 : config.seed;
  if (typeof seed !== "number" || !Number.isSafeInteger(seed) || seed < 0) {
    throw new RnnError(`config.seed: expected an integer in 0..2^53−1, got ${describe(seed)}`);
  }
  const resolved: ResolvedConfig = {
    input: oneOf("input", config.input, INPUTS, "ids"),
    inputSize: dim("inputSize", config.inputSize),
    hiddenSize: dim("hiddenSize", config.hiddenSize),
    outputSize: dim("outputSize", config.outputSize),
    task: oneOf("task", config.task, TASKS, "many-to-many"),
    hiddenActivation: oneOf("hiddenActivation", config.hiddenActivation, ACTIVATIONS, "tanh"),
    loss: oneOf("loss", config.loss, LOSSES, "softmax-cross-entropy"),
    seed,
    layers: config.layers === undefined ? 1 : layersOf(config.layers),
    bidirectional: flag("config.bidirectional", config.bidirectional, false),
    dropout: 0,
    pooling: oneOf("pooling", config.pooling, POOLINGS, "last"),
    inputDropout: probability("inputDropout", config.inputDropout),
    outputDropout: probability("outputDropout", config.outputDropout),
  };
  resolved.dropout = dropoutOf(resolved, config.dropout);
  if (config.embeddingSize !== undefined) {
    if (resolved.input !== "ids") throw new RnnError(`config.embeddingSize: only for input "ids" (an embedding table has one row per id), not ${JSON.stringify(resolved.input)}`);
    resolved.embeddingSize = dim("embeddingSize", config.embeddingSize);
  }
  if (resolved.pooling !== "last" && resolved.task !== "many-to-one") {
    throw new RnnError(`config.pooling: only for task "many-to-one" (a many-to-many head reads every step), not ${JSON.stringify(resolved.task)}`);
  }
  if (resolved.inputDropout > 0 && resolved.input === "ids" && resolved.embeddingSize === undefined) {
    throw new RnnError("config.inputDropout: acts on an embedding's rows or on dense features; with ids and no embeddingSize there is nothing to drop");
  }
  // Present only when given, so a config without them (and its model file) is as before.
  if (config.ignoreIndex !== undefined) resolved.ignoreIndex = ignoreIndexOf(resolved, config.ignoreIndex);
  if (config.classWeights !== undefined) resolved.classWeights = classWeightsOf(resolved, config.classWeights);
  return resolved;
}

function layersOf(value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > MAX_LAYERS) {
    throw new RnnError(`config.layers: expected an integer in 1..${MAX_LAYERS}, got ${describe(value)}`);
  }
  return value;
}

/** A dropout probability in [0, 1) (also as the f32 the module uses). */
function probability(field: string, value: unknown): number {
  if (value === undefined || value === 0) return 0;
  if (typeof value !== "number" || !(value >= 0 && value < 1) || !(Math.fround(value) < 1)) {
    throw new RnnError(`config.${field}: expected a number in [0, 1) (the probability of dropping), got ${describe(value)}`);
  }
  return value;
}

function dropoutOf(cfg: ResolvedConfig, value: unknown): number {
  if (probability("dropout", value) === 0) return 0;
  if (cfg.layers < 2) throw new RnnError(`config.dropout: acts between layers (PyTorch's dropout), so it needs layers ≥ 2; this config has layers = ${cfg.layers}`);
  return value as number;
}

/** D: 2 directions when bidirectional, else 1. */
export const directions = (c: ResolvedConfig): number => (c.bidirectional ? 2 : 1);

/** A sequence's state: one hidden vector per layer and direction, L·D·d numbers in PyTorch's h_n order (slot ℓ·D + r). */
export const stateSize = (c: ResolvedConfig): number => c.layers * directions(c) * c.hiddenSize;

function softmaxOnly(cfg: ResolvedConfig, field: string): void {
  if (cfg.loss !== "softmax-cross-entropy") {
    throw new RnnError(`config.${field}: only for loss "softmax-cross-entropy" (class-id targets), not ${JSON.stringify(cfg.loss)}`);
  }
}

function ignoreIndexOf(cfg: ResolvedConfig, value: unknown): number {
  softmaxOnly(cfg, "ignoreIndex");
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw new RnnError(`config.ignoreIndex: expected an integer (PyTorch's ignore_index, such as -100), got ${describe(value)}`);
  }
  return value;
}

function classWeightsOf(cfg: ResolvedConfig, value: unknown): readonly number[] {
  softmaxOnly(cfg, "classWeights");
  const k = cfg.outputSize;
  if (!isArrayLike(value) || value.length !== k) {
    throw new RnnError(`config.classWeights: expected ${k} numbers (one per class, outputSize), got ${isArrayLike(value) ? `${value.length} entries` : describe(value)}`);
  }
  const out: number[] = [];
  let any = false;
  for (let j = 0; j < k; j++) {
    const w = value[j];
    if (typeof w !== "number" || !Number.isFinite(Math.fround(w)) || !(w >= 0) || (w > 0 && Math.fround(w) === 0)) {
      throw new RnnError(`config.classWeights[${j}]: expected a finite number ≥ 0 (as a 32-bit float), got ${describeF32(w)}`);
    }
    if (w > 0) any = true;
    out.push(w);
  }
  if (!any) throw new RnnError("config.classWeights: every weight is 0 (nothing would be trained)");
  return Object.freeze(out);
}

/** A validated optimizer: its code and the numbers model_train_step takes. */
export interface ResolvedOptimizer {
  type: OptimizerType;
  code: number;
  lr: number;
  a1: number;
  a2: number;
  a3: number;
  /** Weight decay λ (0: none). */
  wd: number;
  decayBiases: boolean;
}

/**
 * A hyperparameter, checked as the f32 the optimizer will use: β₁ = 1 − 1e−9 is 1 in f32
 * (bias correction 1 − β^t = 0), ε = 1e−50 is 0 (0/0 where a gradient is 0).
 */
function hyper(field: string, value: unknown, fallback: number, ok: (v: number) => boolean, expected: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || !ok(value)) throw new RnnError(`${field}: expected ${expected}, got ${describe(value)}`);
  const f = Math.fround(value);
  if (!Number.isFinite(f) || !ok(f)) throw new RnnError(`${field}: expected ${expected}, got ${value} (${f} as a 32-bit float, which the optimizer uses)`);
  return value;
}

/** A number ≥ 0 where 0 means off: a positive value that rounds to 0 in f32 would silently switch `what` off. */
function offOrPositive(field: string, value: unknown, fallback: number, expected: string, what: string): number {
  const x = hyper(field, value, fallback, (v) => v >= 0, expected);
  if (x > 0 && Math.fround(x) === 0) throw new RnnError(`${field}: expected ${expected}, got ${x} (0 as a 32-bit float, which would switch ${what} off)`);
  return x;
}

/** Validate optimizer options and fill in PyTorch's defaults. */
export function resolveOptimizer(opt: OptimizerOptions | undefined): ResolvedOptimizer {
  const o = opt ?? { type: "adam" };
  if (o === null || typeof o !== "object" || Array.isArray(o)) throw new RnnError(`optimizer: expected an object, got ${describe(o)}`);
  const type = o.type;
  const decay = (fallback: number) => ({
    wd: offOrPositive("optimizer.weightDecay", o.weightDecay, fallback, "a number ≥ 0 (0: no decay)", "decay"),
    decayBiases: flag("optimizer.decayBiases", o.decayBiases, false),
  });
  const lr = (fallback: number) => hyper("optimizer.lr", o.lr, fallback, (v) => v >= 0, "a number ≥ 0");
  if (type === "sgd") {
    checkOptionKeys("optimizer", o, ["type", "lr", "momentum", "weightDecay", "decayBiases"]);
    return {
      type, code: OPT_SGD, lr: lr(0.01),
      a1: hyper("optimizer.momentum", o.momentum, 0, (v) => v >= 0 && v < 1, "a number in [0, 1)"),
      a2: 0,
      a3: 0,
      ...decay(0),
    };
  }
  if (type === "adam" || type === "adamw") {
    checkOptionKeys("optimizer", o, ["type", "lr", "beta1", "beta2", "eps", "weightDecay", "decayBiases"]);
    return {
      type, code: type === "adam" ? OPT_ADAM : OPT_ADAMW, lr: lr(0.001),
      a1: hyper("optimizer.beta1", o.beta1, 0.9, (v) => v >= 0 && v < 1, "a number in [0, 1)"),
      a2: hyper("optimizer.beta2", o.beta2, 0.999, (v) => v >= 0 && v < 1, "a number in [0, 1)"),
      a3: hyper("optimizer.eps", o.eps, 1e-8, (v) => v > 0, "a number > 0"),
      ...decay(type === "adam" ? 0 : 0.01),
    };
  }
  throw new RnnError(`optimizer.type: expected "sgd", "adam" or "adamw", got ${describe(type)}`);
}

/** Validate a clip norm: undefined/0 means off; a positive norm that rounds to 0 in f32 would silently switch clipping off. */
export function resolveClipNorm(value: unknown): number {
  return offOrPositive("clipNorm", value, 0, "a number ≥ 0 (0: no clipping)", "clipping");
}
