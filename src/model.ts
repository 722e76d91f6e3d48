// The RNN class users hold: one model in the engine's linear memory.

import { RnnError } from "./errors.js";
import { defaultEngine, type Engine, type RnnExports } from "./wasm.js";
import {
  resolveConfig, resolveOptimizer, resolveClipNorm, checkOptionKeys, codes, describe, describeF32, finiteF32, FINITE_F32,
  type RNNConfig, type ResolvedConfig, type TrainStepOptions,
} from "./options.js";
import { saveModel, loadModel, loadModelSync, type SaveOptions, type LoadOptions } from "./io.js";
import { planBatch, writeInputs, writeTargets, writeH0, unsortRows, type Batch, type BatchPlan, type Sequence } from "./batch.js";
import type { Vocabulary, LabelEncoder } from "./vocab.js";
import { fit, fitAsync, evaluate, type FitOptions, type FitAsyncOptions, type History, type EvaluateOptions, type Evaluation } from "./train.js";
import type { Dataset } from "./data.js";
import { generate, type GenerateOptions, type Generated } from "./generate.js";
import { Stepper } from "./stepper.js";

/** The five parameter tensors, row-major: U (d×n), W (d×d), b (d), V (k×d), c (k). */
export interface Parameters {
  U: Float32Array;
  W: Float32Array;
  b: Float32Array;
  V: Float32Array;
  c: Float32Array;
}

/** Parameters to set: each a Float32Array or number[] of exactly its shape's size. */
export type ParameterInput = { [K in keyof Parameters]: ArrayLike<number> };

/** Gradients of the last computeGradients/trainStep; `h0` when that batch had initial states (B×d). */
export interface Gradients extends Parameters {
  h0?: Float32Array;
}

/** What a step returns. */
export interface StepResult {
  /** L = (1/B) Σ_i Σ_{scored t} loss_it. */
  loss: number;
  /** Each sequence's state at its true length, B×d row-major in the batch's order. */
  finalState: Float32Array;
}

/** What forward returns. */
export interface ForwardResult {
  /** Per sequence, one Float32Array of k outputs per scored step (see predict). */
  outputs: Float32Array[][];
  /** Each sequence's state at its true length, B×d row-major in the caller's order. */
  finalState: Float32Array;
}

/** Options of predict and forward. */
export interface PredictOptions {
  /** Initial states: B vectors of d numbers, or B·d numbers. Zeros when absent. */
  h0?: ArrayLike<ArrayLike<number>> | ArrayLike<number>;
}

/** A model's place in its engine, for the library's own modules (save/load, streaming); not public API. */
export interface ModelHandle {
  readonly exports: RnnExports;
  readonly ptr: number;
  readonly engine: Engine;
  /** The optimizer type of the last trainStep (model files save and restore it). */
  optimizer: "sgd" | "adam" | undefined;
  /**
   * Counts replacements of the work block (model_reserve returning 1): views into it taken
   * at one count stay valid until the count changes or wasm memory grows.
   */
  readonly workEpoch: number;
  /** Make the work block hold T × B (model_reserve, with a clear error when memory runs out). */
  reserve(T: number, B: number): void;
}

/** @internal Reach a live model's engine and header pointer (throws once disposed). */
export let modelHandle: (model: RNN) => ModelHandle;

/** The largest single block the allocator hands out (TLSF's limit in AssemblyScript's runtime). */
const MAX_BLOCK_BYTES = 2 ** 30 - 64;

const TENSORS = ["U", "W", "b", "V", "c"] as const;

/**
 * An Elman RNN: s_t = f1(U x_t + W s_{t−1} + b), ŷ_t = f2(V s_t + c), trained and run inside
 * rnn.wasm. Create with {@link RNN.create}; free with {@link RNN.dispose}.
 *
 * @example
 * const model = await RNN.create({ inputSize: 8, hiddenSize: 16, outputSize: 8, seed: 1 });
 * const { loss } = model.trainStep({ inputs: [[1, 2, 3]], targets: [[2, 3, 4]] });
 */
export class RNN {
  /** The configuration, with defaults filled in. */
  readonly config: Readonly<ResolvedConfig>;
  /** The input vocabulary, when there is one: generate() encodes tokens and stops at its `<eos>`; model files keep it. */
  vocabulary?: Vocabulary;
  /** The class or tag names, when there are: evaluate() names the confusion matrix's rows with them; model files keep them. */
  labels?: LabelEncoder;
  #engine: Engine;
  #ptr: number;
  #disposed = false;
  #dh0: Float32Array | undefined;
  #optimizer: "sgd" | "adam" | undefined;
  #gnorm = new Float64Array(0);
  #workEpoch = 0;

  // Sets modelHandle. A static field initializer, not a static block: for the engines
  // without static blocks (Chrome < 94, Node < 16.11) esbuild would lower every private
  // member of the class to WeakMap lookups, which cost the streaming stepper a third of its step.
  static #handle = void (modelHandle = (model) => ({
    exports: model.#ex, ptr: model.#ptr, engine: model.#engine,
    get optimizer() { return model.#optimizer; },
    set optimizer(type) { model.#optimizer = type; },
    get workEpoch() { return model.#workEpoch; },
    reserve: (T, B) => model.#reserve(T, B),
  }));

  private constructor(engine: Engine, ptr: number, config: ResolvedConfig) {
    this.#engine = engine;
    this.#ptr = ptr;
    this.config = Object.freeze(config);
  }

  /**
   * Create a model with parameters drawn from U(−1/√d, 1/√d) by the seeded generator
   * inside the module (the same numbers in every runtime).
   * @param config sizes, task, activation, loss and seed.
   * @param options.engine a loaded module to share (default: the embedded module, loaded once).
   */
  static async create(config: RNNConfig, options: { engine?: Engine } = {}): Promise<RNN> {
    const cfg = resolveConfig(config);
    return RNN.#make(options.engine ?? (await defaultEngine()), cfg);
  }

  /** Create a model synchronously on an engine from `initSync` (workers, edge runtimes). */
  static createSync(config: RNNConfig, engine: Engine): RNN {
    return RNN.#make(engine, resolveConfig(config));
  }

  /**
   * Load a model saved by {@link save}: config, parameters, optimizer state, generator state
   * (and vocabulary / labels), so that training resumes exactly. Bad files throw an RnnError.
   */
  static load(bytes: Uint8Array | ArrayBuffer, options: LoadOptions = {}): Promise<RNN> {
    return loadModel(bytes, options);
  }

  /** {@link load} on an engine from `initSync`. */
  static loadSync(bytes: Uint8Array | ArrayBuffer, engine: Engine, options: Omit<LoadOptions, "engine"> = {}): RNN {
    return loadModelSync(bytes, engine, options);
  }

  /** The model as bytes (a safetensors file with rnn-wasm metadata; see README "Model files"). */
  save(options: SaveOptions = {}): Uint8Array {
    return saveModel(this, options);
  }

  static #make(engine: Engine, cfg: ResolvedConfig): RNN {
    const ex = engine.exports;
    const bytes = ex.model_param_bytes(cfg.inputSize, cfg.hiddenSize, cfg.outputSize, codes.input(cfg));
    const ptr = allocate(ex, "the model's parameters", bytes, () =>
      ex.model_create(cfg.inputSize, cfg.hiddenSize, cfg.outputSize, codes.input(cfg), codes.task(cfg), codes.act(cfg), codes.loss(cfg),
        cfg.seed % 2 ** 32, Math.floor(cfg.seed / 2 ** 32)) >>> 0);
    return new RNN(engine, ptr, cfg);
  }

  get #ex(): RnnExports {
    if (this.#disposed) throw new RnnError("this model has been disposed");
    return this.#engine.exports;
  }

  #f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.#engine.exports.memory.buffer, ptr >>> 0, length);
  }

  #sizes(): Record<(typeof TENSORS)[number], number> {
    const { inputSize: n, hiddenSize: d, outputSize: k } = this.config;
    return { U: d * n, W: d * d, b: d, V: k * d, c: k };
  }

  #readTensors(base: number): Parameters {
    const ex = this.#ex;
    const sizes = this.#sizes();
    const out = {} as Parameters;
    TENSORS.forEach((name, i) => {
      out[name] = this.#f32(base + 4 * ex.model_offset(this.#ptr, i), sizes[name]).slice();
    });
    return out;
  }

  /** Copies of the parameters, row-major: U (d×n), W (d×d), b (d), V (k×d), c (k). */
  parameters(): Parameters {
    return this.#readTensors(this.#ex.model_params(this.#ptr));
  }

  /** Replace all five parameters. Every value is checked before any is written. */
  setParameters(params: ParameterInput): void {
    const ex = this.#ex;
    if (params === null || typeof params !== "object") throw new RnnError(`setParameters: expected { U, W, b, V, c }, got ${describe(params)}`);
    const sizes = this.#sizes();
    for (const key of Object.keys(params)) {
      if (!(TENSORS as readonly string[]).includes(key)) throw new RnnError(`setParameters: unknown tensor "${key}" (expected U, W, b, V, c)`);
    }
    for (const name of TENSORS) {
      const v = params[name];
      if (v === undefined || v === null || typeof v.length !== "number") throw new RnnError(`setParameters: ${name} is missing (expected ${sizes[name]} numbers)`);
      if (v.length !== sizes[name]) throw new RnnError(`setParameters: ${name} must have ${sizes[name]} numbers (${shapeOf(name, this.config)}), got ${v.length}`);
      for (let i = 0; i < v.length; i++) {
        if (!finiteF32(v[i])) throw new RnnError(`setParameters: ${name}[${i}] must be ${FINITE_F32}, got ${describeF32(v[i])}`);
      }
    }
    const base = ex.model_params(this.#ptr);
    TENSORS.forEach((name, i) => this.#f32(base + 4 * ex.model_offset(this.#ptr, i), sizes[name]).set(params[name]));
    ex.model_params_written(this.#ptr);
  }

  /** Copies of the gradients of the last computeGradients/trainStep (zeros before any). */
  gradients(): Gradients {
    const g: Gradients = this.#readTensors(this.#ex.model_grads(this.#ptr));
    if (this.#dh0) g.h0 = this.#dh0.slice();
    return g;
  }

  /** Forward pass and BPTT, no update: the gradients are then in {@link gradients}. */
  computeGradients(batch: Batch): StepResult {
    const plan = this.#prepare(batch, true);
    const hasH0 = batch.h0 !== undefined ? 1 : 0;
    const loss = this.#ex.model_gradients(this.#ptr, plan.T, plan.B, hasH0);
    return this.#finish(plan, loss, hasH0);
  }

  /**
   * Forward pass and loss only, no BPTT (evaluation): the loss of {@link computeGradients}
   * at half the cost, leaving gradients() and stateGradientNorms() as they were.
   */
  computeLoss(batch: Batch): StepResult {
    const plan = this.#prepare(batch, true);
    const loss = this.#ex.model_loss(this.#ptr, plan.T, plan.B, batch.h0 !== undefined ? 1 : 0);
    return { loss, finalState: this.#finalState(plan) };
  }

  /**
   * One training step in one wasm call: forward, BPTT, optional clipping, optimizer update.
   * Changing the optimizer's type between steps resets its state (moments and step count).
   */
  trainStep(batch: Batch, options: TrainStepOptions = {}): StepResult {
    checkOptionKeys("trainStep options", options, ["optimizer", "clipNorm"]);
    const opt = resolveOptimizer(options.optimizer);
    const clip = resolveClipNorm(options.clipNorm);
    const plan = this.#prepare(batch, true);
    const ex = this.#ex;
    if (this.#optimizer !== opt.type) {
      if (this.#optimizer !== undefined) this.resetOptimizer();
      this.#optimizer = opt.type;
    }
    const hasH0 = batch.h0 !== undefined ? 1 : 0;
    const loss = ex.model_train_step(this.#ptr, plan.T, plan.B, hasH0, clip, opt.code, opt.lr, opt.a1, opt.a2, opt.a3, 1);
    return this.#finish(plan, loss, hasH0);
  }

  /**
   * BPTT introspection: ‖∂L/∂s_t‖₂ for every step t = 0..T−1 of the last computeGradients or
   * trainStep batch (over the sequences still running at t), to see gradients vanish or
   * explode through time. Empty before any step.
   */
  stateGradientNorms(): Float64Array {
    void this.#ex;                                   // throws once disposed
    return this.#gnorm.slice();
  }

  /** Zero the optimizer's state (momentum / Adam moments) and its step count. */
  resetOptimizer(): void {
    const ex = this.#ex;
    const n = ex.model_nparams(this.#ptr);
    this.#f32(ex.model_moments(this.#ptr), 2 * n).fill(0);
    ex.model_set_step(this.#ptr, 0);
  }

  /**
   * Outputs ŷ = f2(o) for each sequence: probabilities (softmax or sigmoid) or values (MSE).
   * Returns, per sequence, one Float32Array of k per scored step: every step for
   * many-to-many, the last step only for many-to-one. They are views of one copy made for
   * this call (they share its `.buffer`), so they stay valid whatever the model does next.
   */
  predict(inputs: ArrayLike<Sequence>, options: PredictOptions = {}): Float32Array[][] {
    return this.forward(inputs, options).outputs;
  }

  /**
   * The forward pass: the outputs of {@link predict}, and each sequence's state at its true
   * length (B×d, in the caller's order), to carry into the next chunk or token.
   */
  forward(inputs: ArrayLike<Sequence>, options: PredictOptions = {}): ForwardResult {
    const ex = this.#ex;
    checkOptionKeys("predict/forward options", options, ["h0"]);
    const plan = this.#prepare({ inputs, h0: options.h0 }, false, "inputs");
    ex.model_predict(this.#ptr, plan.T, plan.B, options.h0 !== undefined ? 1 : 0);
    const k = this.config.outputSize;
    const { T, B, order, lengths } = plan;
    // One copy of every output, handed out as views of it: a copy per step would cost an
    // ArrayBuffer each (about a microsecond apiece in V8 for arrays over 64 bytes).
    const O = this.#f32(ex.model_outputs(this.#ptr), (this.config.task === "many-to-one" ? B : T * B) * k).slice().buffer;
    const row4 = (r: number) => new Float32Array(O, 4 * r * k, k);   // the view of output row r
    const outputs: Float32Array[][] = new Array(B);
    for (let row = 0; row < B; row++) {
      const i = order[row];
      if (this.config.task === "many-to-one") {
        outputs[i] = [row4(row)];
      } else {
        const steps: Float32Array[] = (outputs[i] = new Array(lengths[i]));
        for (let t = 0; t < lengths[i]; t++) steps[t] = row4(t * B + row);
      }
    }
    return { outputs, finalState: this.#finalState(plan) };
  }

  /**
   * Train for some epochs on a data set `{ inputs, targets }`: batches (length buckets, seeded
   * shuffling), one wasm call per batch (or per chunk with `tbptt`), validation, callbacks and
   * early stopping. See {@link FitOptions}.
   * @example
   * const history = model.fit(train, { epochs: 20, batchSize: 32, validationData: val, earlyStopping: { patience: 3 } });
   */
  fit(data: Dataset, options: FitOptions = {}): History {
    void this.#ex;                                   // throws once disposed, before anything else
    return fit(this, data, options);
  }

  /** {@link fit}, giving the event loop a turn between batches; stops when `options.signal` is aborted. */
  fitAsync(data: Dataset, options: FitAsyncOptions = {}): Promise<History> {
    void this.#ex;                                   // a disposed model throws here, synchronously, like every method
    return fitAsync(this, data, options);
  }

  /** Loss, accuracy, per-class accuracy and confusion matrix on a data set (padding never counted). */
  evaluate(data: Dataset, options: EvaluateOptions = {}): Evaluation {
    void this.#ex;
    return evaluate(this, data, options);
  }

  /** Sample a continuation from a next-token model with a seeded generator, stopping at `<eos>`. */
  generate(options: GenerateOptions = {}): Generated {
    void this.#ex;
    return generate(this, options);
  }

  /** A streaming cursor: feed one token or vector at a time, read the output, snapshot/restore the state. */
  stepper(options: { h0?: ArrayLike<number> } = {}): Stepper {
    void this.#ex;
    return new Stepper(this, options.h0);
  }

  /** Free the model's memory. Any later call throws. Calling dispose twice is harmless. */
  dispose(): void {
    if (this.#disposed) return;
    this.#engine.exports.model_free(this.#ptr);
    this.#disposed = true;
    this.#dh0 = undefined;
  }

  /** Whether dispose() has been called. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /** Validate a batch, make room for it, and write it into the work block. */
  #prepare(batch: Partial<Batch>, withTargets: boolean, field = "batch.inputs"): BatchPlan {
    const ex = this.#ex;
    if (batch === null || typeof batch !== "object") throw new RnnError(`batch: expected { inputs, targets, h0? }, got ${describe(batch)}`);
    const cfg = this.config;
    const plan = planBatch(cfg, batch.inputs, field);
    if (withTargets && batch.targets === undefined) throw new RnnError("batch.targets: missing (one entry per input sequence)");
    this.#reserve(plan.T, plan.B);
    const mem = ex.memory.buffer;
    writeInputs(cfg, plan, batch.inputs as ArrayLike<Sequence>, mem, ex.model_inputs(this.#ptr) >>> 0, ex.model_lengths(this.#ptr) >>> 0, field);
    if (withTargets) writeTargets(cfg, plan, batch.targets, mem, ex.model_targets(this.#ptr) >>> 0);
    if (batch.h0 !== undefined) writeH0(cfg, plan, batch.h0, mem, ex.model_states(this.#ptr) >>> 0, withTargets ? "batch.h0" : "h0");
    return plan;
  }

  /** Make the work block hold T × B; a replaced block makes earlier views of it stale (workEpoch). */
  #reserve(T: number, B: number): void {
    const ex = this.#ex, cfg = this.config;
    const bytes = ex.model_work_bytes(cfg.inputSize, cfg.hiddenSize, cfg.outputSize, codes.input(cfg), codes.task(cfg), codes.loss(cfg), T, B);
    this.#workEpoch += allocate(ex, `a batch of ${B} sequences × ${T} steps`, bytes, () => ex.model_reserve(this.#ptr, T, B));
  }

  /** H[T]: every sequence's state at its true length (carried past it), in the caller's order. */
  #finalState(plan: BatchPlan): Float32Array {
    const d = this.config.hiddenSize;
    const Bd = plan.B * d;
    return unsortRows(plan, this.#f32(this.#ex.model_states(this.#ptr) + 4 * plan.T * Bd, Bd), d);
  }

  #finish(plan: BatchPlan, loss: number, hasH0: number): StepResult {
    const d = this.config.hiddenSize;
    // Kept here, not read from the work block later: a later batch may replace that block
    // (a bigger one), or be refused after replacing it, and that must not change this.
    this.#gnorm = Float64Array.from(this.#f32(this.#ex.model_state_grad_norms(this.#ptr), plan.T));
    this.#dh0 = hasH0 ? unsortRows(plan, this.#f32(this.#ex.model_dh0(this.#ptr), plan.B * d), d) : undefined;
    return { loss, finalState: this.#finalState(plan) };
  }
}

function shapeOf(name: string, c: ResolvedConfig): string {
  const { inputSize: n, hiddenSize: d, outputSize: k } = c;
  return { U: `d×n = ${d}×${n}`, W: `d×d = ${d}×${d}`, b: `d = ${d}`, V: `k×d = ${k}×${d}`, c: `k = ${k}` }[name]!;
}

/** Run an allocating export, turning "too big" and "out of memory" into a clear RnnError. */
function allocate<T>(ex: RnnExports, what: string, bytes: number, run: () => T): T {
  const mib = (bytes / 2 ** 20).toFixed(1);
  if (!(bytes <= MAX_BLOCK_BYTES)) {
    throw new RnnError(`${what} would need ${mib} MiB in one block; the limit is 1024 MiB (reduce the sizes, the batch or the sequence length)`);
  }
  try {
    return run();
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError || e instanceof RangeError) {
      const have = (ex.memory.buffer.byteLength / 2 ** 20).toFixed(1);
      throw new RnnError(`out of memory: ${what} needs ${mib} MiB and the engine refused to grow wasm memory for it (it holds ${have} MiB)`);
    }
    throw e;
  }
}
