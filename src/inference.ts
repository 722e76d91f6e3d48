// The model users hold, for inference: create or load, read and set parameters, predict,
// stream, save, dispose. The training methods (src/model.ts) extend this class;
// the slim entry (src/slim.ts) exports it alone, so an app that only predicts carries no
// training code.

import { RnnError } from "./errors.js";
import { firstEngine, checkEngine, type Engine } from "./wasm.js";
import { resolveConfig, type RNNConfig, type ResolvedConfig } from "./options.js";
import { describe, describeF32, finiteF32, FINITE_F32, checkOptionKeys, checkArrayLike, flag } from "./check.js";
import { Core, tensorTable, tensorNames, sizeOf, shapeText, type Tensors } from "./core.js";
import { stageBatch, type Sequence, type StagedBatch } from "./batch.js";
import { encodeModel, decodeModel, restoreModel, type SaveOptions, type LoadOptions, type LoadPlan } from "./format.js";
import type { Vocabulary, LabelEncoder } from "./vocab.js";
import { Stepper } from "./stepper.js";

/**
 * The parameter tensors by name, row-major, in the module's order (PyTorch's state_dict order).
 * One layer in one direction: U (d×n), W (d×d), b (d), V (k×d), c (k). With `embeddingSize` e,
 * first E (n×e) and U is d×e. Every further layer ℓ and the reverse direction add their own U,
 * W, b named with `_l{ℓ}` and `_reverse` (U_l1 is d×(D·d), D = 2 when bidirectional), and V is
 * k×(D·d): the table is in docs/layers.md.
 */
export interface Parameters extends Tensors {}

/** Parameters to set: each a Float32Array or number[] of exactly its shape's size. */
export type ParameterInput = { [K in keyof Parameters]: ArrayLike<number> };

/** What forward returns. */
export interface ForwardResult {
  /** Per sequence, one Float32Array of k outputs per scored step (see predict). */
  outputs: Float32Array[][];
  /**
   * Each sequence's final state, B×S row-major in the caller's order: S = d for one layer in
   * one direction; else S = stateSize = L·D·d, every layer's and direction's state in PyTorch's
   * h_n order (slot ℓ·D + r at [slot·d, (slot+1)·d)); the forward direction's is its state at
   * the sequence's last step, the reverse direction's its state at step 0.
   */
  finalState: Float32Array;
  /**
   * With `states: true`: per sequence, the hidden state after every real step t = 0..len−1:
   * S numbers, every layer's and direction's state at step t in h_n order (s_t, d numbers, for
   * one layer in one direction).
   */
  states?: Float32Array[][];
}

/** Options of predict and forward. */
export interface PredictOptions {
  /** Initial states: B vectors of stateSize numbers (d for one layer in one direction), or B·stateSize numbers. Zeros when absent. */
  h0?: ArrayLike<ArrayLike<number>> | ArrayLike<number>;
  /** forward only: also return every step's hidden state (feature extraction, plots). @default false */
  states?: boolean;
}

/** Options of the factories: the engine to create the model in. */
export interface CreateOptions {
  /** A loaded module to share (default: the embedded module, loaded once; in the slim entry, the first module `init` loaded). */
  engine?: Engine;
}

/** Options of {@link InferenceRNN.stepper}. */
export interface StepperOptions {
  /** The initial state (stateSize numbers: d for one layer). @default zeros */
  h0?: ArrayLike<number>;
}

/**
 * Per sequence (caller's order), views of one copy of time-major rows (t·B + row) of `width`:
 * every real step, or (many-to-one) the one row per sequence. One copy, not one per step: each
 * typed array of its own would cost an ArrayBuffer (about a microsecond in V8).
 */
function perStep(rows: Float32Array, width: number, batch: StagedBatch, everyStep: boolean): Float32Array[][] {
  const { B, order, lengths } = batch;
  const copy = rows.slice().buffer;
  const row = (r: number) => new Float32Array(copy, 4 * r * width, width);
  const out: Float32Array[][] = new Array(B);
  for (let r = 0; r < B; r++) {
    const i = order[r];
    if (!everyStep) {
      out[i] = [row(r)];
      continue;
    }
    const steps: Float32Array[] = (out[i] = new Array(lengths[i]));
    for (let t = 0; t < lengths[i]; t++) steps[t] = row(t * B + r);   // a loop, not Array.from: ~0.15 µs a step less
  }
  return out;
}

/** The config keys a one-layer, forward-only model leaves at their defaults; summary() shows those that are not. */
const STACK = ["layers", "bidirectional", "embeddingSize", "dropout", "pooling", "inputDropout", "outputDropout"] as const;

/**
 * Refuse what needs a model whose output at a step depends only on the steps so far
 * (streaming, generation, truncated BPTT): a bidirectional one (its reverse direction starts
 * at each sequence's last step) or one that pools over every step.
 */
export function forwardOnly(c: ResolvedConfig, what: string, doing: string): void {
  if (c.bidirectional) {
    throw new RnnError(`${what}: this model is bidirectional; ${doing} needs a forward-only model (the reverse direction reads each sequence from its end)`);
  }
  if (c.pooling !== "last") {
    throw new RnnError(`${what}: this model pools over every step (pooling ${JSON.stringify(c.pooling)}); ${doing} needs a model whose output reads the last state`);
  }
}

/** A model of class `cls` from a checked model file. */
function restored<T extends typeof InferenceRNN>(cls: T, plan: LoadPlan, engine: Engine): InstanceType<T> {
  const model = new cls(restoreModel(plan, engine)) as InstanceType<T>;
  if (plan.vocabulary) model.vocabulary = plan.vocabulary;
  if (plan.labels) model.labels = plan.labels;
  return model;
}

/** The engine named in options, or the class's default. */
function engineOption(field: string, options: unknown): Engine | undefined {
  checkOptionKeys(field, options, ["engine"]);
  const engine = (options as CreateOptions | undefined)?.engine;
  if (engine !== undefined) checkEngine(`${field}.engine`, engine);
  return engine;
}

/**
 * An Elman RNN for inference: s_t = f1(U x_t + W s_{t−1} + b), ŷ_t = f2(V s_t + c), run inside
 * rnn.wasm. The package's {@link RNN} adds training to it; the slim entry exports it as `RNN`.
 */
export class InferenceRNN {
  /** The configuration, with defaults filled in. */
  readonly config: Readonly<ResolvedConfig>;
  /** The input vocabulary, when there is one: generate() encodes tokens and stops at its `<eos>`; model files keep it. */
  vocabulary?: Vocabulary;
  /** The class or tag names, when there are: evaluate() names the confusion matrix's rows with them; model files keep them. */
  labels?: LabelEncoder;
  readonly #core: Core;

  /** @internal Models are made by the static factories. */
  constructor(core: Core) {
    this.#core = core;
    this.config = core.config;
  }

  /** The engine of models created without one. @internal */
  protected static defaultEngine(): Promise<Engine> {
    const engine = firstEngine();
    return engine ? Promise.resolve(engine) : Promise.reject(new RnnError("no rnn.wasm is loaded: the slim entry embeds none; call `await init(url | bytes | module)` first, or pass { engine }"));
  }

  /**
   * Create a model with parameters drawn from U(−1/√d, 1/√d) by the seeded generator
   * inside the module (the same numbers in every runtime).
   * @param config sizes, task, activation, loss and seed.
   * @param options.engine a loaded module to share (default: see {@link CreateOptions}).
   */
  static async create<T extends typeof InferenceRNN>(this: T, config: RNNConfig, options: CreateOptions = {}): Promise<InstanceType<T>> {
    const cfg = resolveConfig(config);
    const engine = engineOption("RNN.create options", options) ?? (await this.defaultEngine());
    return new this(Core.create(engine, cfg)) as InstanceType<T>;
  }

  /** Create a model synchronously on an engine from `initSync` (workers, edge runtimes). */
  static createSync<T extends typeof InferenceRNN>(this: T, config: RNNConfig, engine: Engine): InstanceType<T> {
    const cfg = resolveConfig(config);
    checkEngine("RNN.createSync engine", engine);
    return new this(Core.create(engine, cfg)) as InstanceType<T>;
  }

  /**
   * Load a model saved by {@link save}: config, parameters, optimizer state, generator state
   * (and vocabulary / labels), so that training resumes exactly. Bad files throw an RnnError.
   */
  static async load<T extends typeof InferenceRNN>(this: T, bytes: Uint8Array | ArrayBuffer, options: LoadOptions = {}): Promise<InstanceType<T>> {
    const plan = decodeModel(bytes, options);
    if (options.engine !== undefined) checkEngine("RNN.load options.engine", options.engine);
    return restored(this, plan, options.engine ?? (await this.defaultEngine()));
  }

  /** {@link load} on an engine from `initSync`. */
  static loadSync<T extends typeof InferenceRNN>(this: T, bytes: Uint8Array | ArrayBuffer, engine: Engine, options: Omit<LoadOptions, "engine"> = {}): InstanceType<T> {
    checkEngine("RNN.loadSync engine", engine);
    checkOptionKeys("RNN.load options", options, ["allowNonFinite"]);
    return restored(this, decodeModel(bytes, options), engine);
  }

  /** The model as bytes (a safetensors file with rnn-wasm metadata; see docs/model-files.md). */
  save(options: SaveOptions = {}): Uint8Array {
    return encodeModel(this.#core, this, options);
  }

  /** Copies of the parameters by name, row-major: U (d×n), W (d×d), b (d), V (k×d), c (k), and E and each further layer's and direction's U, W, b when the config has them ({@link Parameters}). */
  parameters(): Parameters {
    return this.#core.read("params");
  }

  /** Replace every parameter tensor (all the names of parameters()). Every value is checked before any is written. */
  setParameters(params: ParameterInput): void {
    const core = this.#core;
    void core.ex;
    const names = tensorNames(this.config);
    if (params === null || typeof params !== "object") throw new RnnError(`setParameters: expected { ${names.join(", ")} }, got ${describe(params)}`);
    for (const key of Object.keys(params)) {
      if (!names.includes(key)) throw new RnnError(`setParameters: unknown tensor "${key}" (expected ${names.join(", ")})`);
    }
    for (const t of tensorTable(this.config)) {
      const v = params[t.name];
      const size = sizeOf(t.shape);
      if (v === undefined || v === null) throw new RnnError(`setParameters: ${t.name} is missing (expected ${size} numbers)`);
      checkArrayLike(`setParameters: ${t.name}`, v, `${size} numbers`);
      if (v.length !== size) throw new RnnError(`setParameters: ${t.name} must have ${size} numbers (${shapeText(t)}), got ${v.length}`);
      for (let i = 0; i < v.length; i++) {
        if (!finiteF32(v[i])) throw new RnnError(`setParameters: ${t.name}[${i}] must be ${FINITE_F32}, got ${describeF32(v[i])}`);
      }
    }
    core.write("params", params as Tensors);
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
    const core = this.#core;
    const ex = core.ex;
    checkOptionKeys("predict/forward options", options, ["h0", "states"]);
    const withStates = flag("forward options.states", options.states, false);
    const batch = stageBatch(this.config, { inputs, h0: options.h0 }, undefined, "inputs", undefined, core.checkRoom);
    core.load(batch);
    ex.model_predict(core.ptr, batch.T, batch.B, batch.h0 ? 1 : 0);
    const { T, B } = batch;
    const m2o = this.config.task === "many-to-one";
    const result: ForwardResult = { outputs: perStep(core.outputs(m2o ? B : T * B), this.config.outputSize, batch, !m2o), finalState: core.finalState(batch) };
    if (withStates) result.states = perStep(core.stepStates(batch), core.stateSize, batch, true);
    return result;
  }

  /**
   * A streaming cursor: feed one token or vector at a time, read the output, snapshot/restore
   * the state. Needs a forward-only model: a bidirectional one is refused (its reverse direction
   * reads each sequence from its end).
   */
  stepper(options: StepperOptions = {}): Stepper {
    void this.#core.ex;
    checkOptionKeys("stepper options", options, ["h0"]);
    forwardOnly(this.config, "stepper", "streaming");
    return new Stepper(this, this.#core, options?.h0);
  }

  /** The number of trainable floats: the sizes of every tensor of parameters() (no padding). Readable after dispose(). */
  get parameterCount(): number {
    return tensorTable(this.config).reduce((sum, t) => sum + sizeOf(t.shape), 0);
  }

  /**
   * The model in a few lines: its configuration (with a line for each of layers, bidirectional,
   * embeddingSize, dropout, pooling, inputDropout and outputDropout when not the default), each
   * tensor's shape and size, the parameter count, the memory it holds and the optimizer's type
   * and step.
   * @example
   * console.log(model.summary());
   */
  summary(): string {
    const core = this.#core, c = this.config;
    return [
      `RNN: ${c.input} input, n = ${c.inputSize}, d = ${c.hiddenSize}, k = ${c.outputSize}; ${c.task}, ${c.hiddenActivation}, ${c.loss}`,
      ...STACK.filter((key) => ![undefined, 0, false, "last", key === "layers" && 1].includes(c[key])).map((key) => `${key}: ${c[key]}`),
      ...tensorTable(c).map((t) => `  ${t.name}  ${shapeText(t)}: ${sizeOf(t.shape)}`),
      `parameters: ${this.parameterCount}`,
      `memory: parameter block ${core.paramBytes} bytes, work block ${core.workHeld ? core.workHeld + " bytes" : "none yet"}`,
      `optimizer: ${core.optimizer ?? "none yet"}, step ${core.step}`,
    ].join("\n");
  }

  /** JSON.stringify(model): the configuration, not the weights (use {@link save} for those). */
  toJSON(): { config: Readonly<ResolvedConfig>; parameterCount: number; note: string } {
    return { config: this.config, parameterCount: this.parameterCount, note: "weights are not included: use model.save()" };
  }

  /** Free the model's memory. Any later call throws. Calling dispose twice is harmless. */
  dispose(): void {
    this.#core.dispose();
  }

  /** Whether dispose() has been called. */
  get disposed(): boolean {
    return this.#core.disposed;
  }
}
