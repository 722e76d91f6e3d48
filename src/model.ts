// The RNN class of the package entry: the inference model (src/inference.ts) and training —
// gradients, steps, fit, evaluate — on the same core. Models created without an engine use
// the module embedded in the bundle.

import type { Engine } from "./wasm.js";
import { applyUpdate } from "./update.js";
import { embeddedEngine } from "./embedded.js";
import { resolveOptimizer, resolveClipNorm, type TrainStepOptions } from "./options.js";
import { checkOptionKeys, flag } from "./check.js";
import { stageBatch, stageTargets, type Batch, type StagedBatch } from "./batch.js";
import { Core } from "./core.js";
import { InferenceRNN, type Parameters } from "./inference.js";
import type { Dataset } from "./data.js";
import type { DataStream } from "./stream.js";
import { generate, type GenerateOptions, type Generated } from "./generate.js";
import { fit, fitAsync, evaluate, type FitOptions, type FitAsyncOptions, type History, type EvaluateOptions, type Evaluation } from "./train.js";

/**
 * Gradients of the last computeGradients/trainStep, by tensor name (the names of
 * parameters()); `h0` when that batch had initial states: ∂L/∂h0, B·S numbers (S = stateSize:
 * d for one layer in one direction), sequence by sequence in the batch's order, each in h0's
 * layout (PyTorch's h_n order: layer by layer, forward before reverse).
 */
export type Gradients = Parameters & { h0?: Float32Array };

/** What a step returns. */
export interface StepResult {
  /** L = (1/B) Σ_i Σ_{scored t} loss_it. */
  loss: number;
  /**
   * Each sequence's final state, B×S row-major in the batch's order (S = stateSize: d for one
   * layer in one direction; else every layer's and direction's, in PyTorch's h_n order, the
   * reverse direction's being its state at step 0).
   */
  finalState: Float32Array;
  /** The global L2 norm of the gradients before clipping (trainStep only). */
  gradNorm?: number;
}

/**
 * An Elman RNN: s_t = f1(U x_t + W s_{t−1} + b), ŷ_t = f2(V s_t + c), trained and run inside
 * rnn.wasm. Create with {@link RNN.create}; free with {@link RNN.dispose}.
 *
 * @example
 * const model = await RNN.create({ inputSize: 8, hiddenSize: 16, outputSize: 8, seed: 1 });
 * const { loss } = model.trainStep({ inputs: [[1, 2, 3]], targets: [[2, 3, 4]] });
 */
export class RNN extends InferenceRNN {
  readonly #core: Core;
  #dh0: Float32Array | undefined;
  #gnorm: Float64Array = new Float64Array(0);

  /** @internal */
  constructor(core: Core) {
    super(core);
    this.#core = core;
  }

  /** @internal The embedded module, loaded once. */
  protected static override defaultEngine(): Promise<Engine> {
    return embeddedEngine();
  }

  /** Copies of the gradients of the last computeGradients/trainStep (zeros before any). */
  gradients(): Gradients {
    const g: Gradients = this.#core.read("grads");
    if (this.#dh0) g.h0 = this.#dh0.slice();
    return g;
  }

  /** Forward pass and BPTT, no update: the gradients are then in {@link gradients}. */
  computeGradients(batch: Batch): StepResult {
    const staged = this.#stage(batch);
    const loss = this.#core.ex.model_gradients(this.#core.ptr, staged.T, staged.B, staged.h0 ? 1 : 0);
    return this.#finish(staged, loss);
  }

  /**
   * Forward pass and loss only, no BPTT (evaluation): the loss of {@link computeGradients}
   * at half the cost, leaving gradients() and stateGradientNorms() as they were.
   */
  computeLoss(batch: Batch): StepResult {
    const staged = this.#stage(batch);
    const loss = this.#core.ex.model_loss(this.#core.ptr, staged.T, staged.B, staged.h0 ? 1 : 0);
    return { loss, finalState: this.#core.finalState(staged) };
  }

  /**
   * One training step in one wasm call: forward, BPTT, optional clipping, optimizer update.
   * Changing the optimizer's type between steps resets its state (moments and step count).
   * A step whose loss or gradient norm is not finite, or whose update would make a parameter
   * non-finite, is not applied and throws (unless `allowNonFinite`).
   */
  trainStep(batch: Batch, options: TrainStepOptions = {}): StepResult {
    const core = this.#core;
    void core.ex;
    checkOptionKeys("trainStep options", options, ["optimizer", "clipNorm", "allowNonFinite"]);
    const opt = resolveOptimizer(options.optimizer);
    const clip = resolveClipNorm(options.clipNorm);
    const allow = flag("trainStep options.allowNonFinite", options.allowNonFinite, false);
    const staged = this.#stage(batch);
    const ex = core.ex;
    let result: StepResult | undefined;
    const { gradNorm } = applyUpdate(core, opt, "trainStep", () => {
      const loss = ex.model_train_step(core.ptr, staged.T, staged.B, staged.h0 ? 1 : 0, clip, opt.code, opt.lr, opt.a1, opt.a2, opt.a3,
        opt.wd, opt.decayBiases ? 1 : 0, allow ? 1 : 0);
      result = this.#finish(staged, loss);
      return loss;
    });
    result!.gradNorm = gradNorm;
    return result!;
  }

  /**
   * BPTT introspection: ‖∂L/∂s_t‖₂ for every step t = 0..T−1 of the last computeGradients or
   * trainStep batch (over the sequences still running at t), to see gradients vanish or
   * explode through time. Empty before any step.
   */
  stateGradientNorms(): Float64Array {
    void this.#core.ex;                              // throws once disposed
    return this.#gnorm.slice();
  }

  /** Zero the optimizer's state (momentum / Adam moments) and its step count. */
  resetOptimizer(): void {
    this.#core.resetOptimizer();
  }

  /**
   * Train for some epochs on a data set `{ inputs, targets }`: batches (length buckets, seeded
   * shuffling), one wasm call per batch (or per chunk with `tbptt`), validation, callbacks and
   * early stopping. See {@link FitOptions}.
   * @example
   * const history = model.fit(train, { epochs: 20, batchSize: 32, validationData: val, earlyStopping: { patience: 3 } });
   */
  fit(data: Dataset, options: FitOptions = {}): History {
    void this.#core.ex;                              // throws once disposed, before anything else
    return fit(this, this.#core, data, options);
  }

  /** {@link fit}, giving the event loop a turn between batches; stops when `options.signal` is aborted. Takes a stream too (docs/training.md). */
  fitAsync(data: Dataset | DataStream, options: FitAsyncOptions = {}): Promise<History> {
    void this.#core.ex;                              // a disposed model throws here, synchronously, like every method
    return fitAsync(this, this.#core, data, options);
  }

  /** Loss, accuracy, per-class accuracy and confusion matrix on a data set (padding never counted); a promise of them for a stream. */
  evaluate(data: Dataset, options?: EvaluateOptions): Evaluation;
  evaluate(data: DataStream, options?: EvaluateOptions): Promise<Evaluation>;
  evaluate(data: Dataset | DataStream, options: EvaluateOptions = {}): Evaluation | Promise<Evaluation> {
    void this.#core.ex;
    return evaluate(this, this.#core, data, options);
  }

  /**
   * Sample a continuation from a next-token model with a seeded generator, stopping at `<eos>`.
   * (In the slim entry, where a class method could not be left out of an app that does not
   * use it, this is the function `generate(model, options)`.)
   */
  generate(options: GenerateOptions = {}): Generated {
    void this.#core.ex;
    return generate(this, options);
  }

  /** Validate a batch with its targets and copy it into the work block. */
  #stage(batch: Batch): StagedBatch {
    const staged = stageBatch(this.config, batch, stageTargets, undefined, undefined, this.#core.checkRoom);
    this.#core.load(staged);
    return staged;
  }

  #finish(staged: StagedBatch, loss: number): StepResult {
    // Kept here, not read from the work block later: a later batch may replace that block
    // (a bigger one), or be refused after replacing it, and that must not change this.
    this.#gnorm = this.#core.stateGradientNorms(staged.T);
    this.#dh0 = staged.h0 ? this.#core.dh0(staged) : undefined;
    return { loss, finalState: this.#core.finalState(staged) };
  }
}
