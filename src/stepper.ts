// Streaming inference: a stateful cursor over one sequence that arrives a step at a time.
// Each step is one forward([[x]], { h0: state }) call (T = 1, B = 1); the state lives here
// (S = stateSize floats: d for one layer, every layer's for a deep model), so snapshots are
// cheap copies and many steppers can share one model. Bidirectional models cannot stream
// (model.stepper() refuses them).

import { RnnError } from "./errors.js";
import { describe, describeF32, finiteF32, FINITE_F32, isArrayLike } from "./check.js";
import type { Core } from "./core.js";
import type { InferenceRNN } from "./inference.js";
import { stateText, type Sequence } from "./batch.js";
import { stateSize } from "./options.js";

/** Views into the model's work block for one step (T = B = 1), valid at one work epoch and memory buffer. */
interface StepViews {
  epoch: number;
  buf: ArrayBuffer;
  X: Int32Array | Float32Array;
  L: Int32Array;
  H0: Float32Array;
  H1: Float32Array;
  O: Float32Array;
}

/**
 * Bytes of one slab of step() outputs: 64 outputs of k = 64, fewer of a bigger k, one alone
 * from k = 4096 up (where its own ArrayBuffer costs little next to the copy), so a kept
 * output never holds more than 16 KiB beyond itself.
 */
const SLAB_BYTES = 16384;

/** A saved position of a {@link Stepper}. */
export interface StepperSnapshot {
  /** The state after the last step (stateSize floats: s_t, d of them, for one layer). */
  readonly state: Float32Array;
  /** Steps fed since the last reset. */
  readonly steps: number;
  /** The output after the last step (undefined before any). */
  readonly output: Float32Array | undefined;
}

/**
 * Feed a sequence one token (or feature vector) at a time and read the model's output after
 * each: what `predict` gives for that step of the whole sequence (many-to-many), or for the
 * sequence so far (many-to-one). Create it with `model.stepper()`.
 *
 * @example
 * const s = model.stepper();
 * s.step(vocab.id("the"));          // ŷ after "the" (k probabilities)
 * const mark = s.snapshot();
 * s.step(vocab.id("cat"));
 * s.restore(mark);                  // back to just after "the"
 */
export class Stepper {
  readonly #model: InferenceRNN;
  readonly #core: Core;
  #state: Float32Array;
  #steps = 0;
  #output: Float32Array | undefined;

  #io: StepViews | undefined;

  /**
   * Views of the one-token work block, kept while they stay valid: rebuilt when wasm memory
   * has grown (a new buffer) or the model's work block has been replaced (a bigger batch ran),
   * so a step makes no wasm call but the one that runs it.
   */
  #views(): StepViews {
    const core = this.#core, ex = core.ex, io = this.#io;
    if (io !== undefined && io.epoch === core.workEpoch && io.buf === ex.memory.buffer) return io;
    core.reserve(1, 1);   // plans the work block for one step (the epoch moves: views are taken anew)
    const buf = ex.memory.buffer, ptr = core.ptr;
    const { input, inputSize: n, outputSize: k } = this.#model.config;
    const S = core.stateSize;
    return (this.#io = {
      epoch: core.workEpoch, buf,
      X: input === "ids" ? new Int32Array(buf, ex.model_inputs(ptr) >>> 0, 1) : new Float32Array(buf, ex.model_inputs(ptr) >>> 0, n),
      L: new Int32Array(buf, ex.model_lengths(ptr) >>> 0, 1),
      H0: new Float32Array(buf, ex.model_h0(ptr) >>> 0, S),
      H1: new Float32Array(buf, ex.model_final(ptr) >>> 0, S),
      O: new Float32Array(buf, ex.model_outputs(ptr) >>> 0, k),
    });
  }

  /**
   * @internal Made by `model.stepper()`.
   * @param h0 the initial state (stateSize numbers). @default zeros
   */
  constructor(model: InferenceRNN, core: Core, h0?: ArrayLike<number>) {
    this.#model = model;
    this.#core = core;
    this.#alive("stepper");
    this.#state = new Float32Array(stateSize(model.config));
    if (h0 !== undefined) this.#state = this.#checkState(h0, "stepper h0");
  }

  #alive(what: string): void {
    if (this.#model.disposed) throw new RnnError(`${what}: the model has been disposed; this stepper cannot be used any more`);
  }

  #checkState(h: unknown, field: string): Float32Array {
    const S = stateSize(this.#model.config);
    if (!isArrayLike(h) || h.length !== S) {
      throw new RnnError(`${field}: expected ${stateText(this.#model.config)}, got ${isArrayLike(h) ? h.length : describe(h)}`);
    }
    const out = new Float32Array(S);
    for (let j = 0; j < S; j++) {
      const v = (h as ArrayLike<unknown>)[j];
      if (!finiteF32(v)) throw new RnnError(`${field}[${j}]: expected ${FINITE_F32}, got ${describeF32(v)}`);
      out[j] = v;
    }
    return out;
  }

  /**
   * Feed one step — a token id (ids models) or n features (dense models) — and return the
   * output after it (k numbers: probabilities, or values for MSE). One wasm call. The array
   * is the caller's own (no later step changes it), a view into a buffer it shares with
   * other steps' outputs: copy it before transferring its `.buffer` to a worker.
   */
  step(x: number | ArrayLike<number>): Float32Array {
    this.#alive("stepper.step");
    const cfg = this.#model.config;
    if (cfg.input === "ids" && typeof x === "object" && x !== null) {
      return this.#fresh(this.feed([x])[0]);   // a feature bag: the batch path stages it
    }
    if (cfg.input === "ids") {
      if (typeof x !== "number" || !Number.isInteger(x) || x < 0 || x >= cfg.inputSize) {
        throw new RnnError(`stepper.step: expected a token id in 0..${cfg.inputSize - 1}, got ${describe(x)}`);
      }
    } else if (x === null || typeof x !== "object" || (x as ArrayLike<number>).length !== cfg.inputSize) {
      throw new RnnError(`stepper.step: expected ${cfg.inputSize} features (inputSize), got ${describe(x)}`);
    }
    // The fast path of streaming: one token needs no batch planning, sorting or padding, so
    // the token, its length and the state go straight into the work block (T = B = 1) and
    // one model_predict call runs the step; H[1] is the new state, O the output.
    if (cfg.input === "dense") {
      const v = x as ArrayLike<unknown>;
      for (let j = 0; j < cfg.inputSize; j++) {
        if (!finiteF32(v[j])) throw new RnnError(`stepper.step: feature ${j} must be ${FINITE_F32}, got ${describeF32(v[j])}`);
      }
    }
    const io = this.#views();
    if (io.X instanceof Int32Array) io.X[0] = x as number;
    else io.X.set(x as ArrayLike<number>);
    io.L[0] = 1;
    io.H0.set(this.#state);
    this.#core.engine.exports.model_predict(this.#core.ptr, 1, 1, 1);
    this.#state.set(io.H1);
    if (this.#output === undefined) this.#output = new Float32Array(cfg.outputSize);
    this.#output.set(io.O);
    this.#steps++;
    return this.#fresh(this.#output);
  }

  #slab: Float32Array | undefined;
  #slabUsed = 0;

  /**
   * A copy of `v` that no one else holds: a view into a slab of SLAB_BYTES, since each small
   * typed array of its own costs a new ArrayBuffer (about a microsecond in V8, a fifth of a
   * step). Slab memory is never handed out twice; it goes with its last view.
   */
  #fresh(v: Float32Array): Float32Array {
    const k = v.length;
    if (this.#slab === undefined || this.#slabUsed + k > this.#slab.length) {
      this.#slab = new Float32Array(Math.max(1, Math.floor(SLAB_BYTES / (4 * k))) * k);
      this.#slabUsed = 0;
    }
    const out = this.#slab.subarray(this.#slabUsed, this.#slabUsed + k);
    this.#slabUsed += k;
    out.set(v);
    return out;
  }

  /**
   * Feed several steps at once (one wasm call) and return the output after each
   * (many-to-many), or after the last only (many-to-one: an array of one).
   */
  feed(steps: Sequence): Float32Array[] {
    this.#alive("stepper.feed");
    const { outputs, finalState } = this.#model.forward([steps], { h0: this.#state });
    const cfg = this.#model.config;
    const count = cfg.input === "dense" && typeof (steps as ArrayLike<unknown>)[0] === "number" ? steps.length / cfg.inputSize : steps.length;
    this.#state = finalState;
    this.#output = outputs[0][outputs[0].length - 1].slice();
    this.#steps += count;
    return outputs[0];                               // views of a copy made for this call
  }

  /** The output after the last step (a copy; undefined before any step). */
  get output(): Float32Array | undefined {
    this.#alive("stepper.output");
    return this.#output?.slice();
  }

  /** The current state (a copy, stateSize floats: s_t for one layer; every layer's in h_n order for a deep model). */
  get state(): Float32Array {
    this.#alive("stepper.state");
    return this.#state.slice();
  }

  /** Steps fed since creation or the last reset. */
  get steps(): number {
    return this.#steps;
  }

  /** Save the current position (state, step count, last output). */
  snapshot(): StepperSnapshot {
    this.#alive("stepper.snapshot");
    return Object.freeze({ state: this.#state.slice(), steps: this.#steps, output: this.#output?.slice() });
  }

  /** Go back to a saved position (from this stepper or another on a model of the same stateSize). */
  restore(snapshot: StepperSnapshot): void {
    this.#alive("stepper.restore");
    if (snapshot === null || typeof snapshot !== "object") throw new RnnError(`stepper.restore: expected a snapshot, got ${describe(snapshot)}`);
    const state = this.#checkState(snapshot.state, "stepper.restore snapshot.state");
    const steps = snapshot.steps;
    if (typeof steps !== "number" || !Number.isSafeInteger(steps) || steps < 0) throw new RnnError(`stepper.restore snapshot.steps: expected an integer ≥ 0, got ${describe(steps)}`);
    const output = snapshot.output === undefined ? undefined : this.#checkOutput(snapshot.output);
    this.#state = state;
    this.#steps = steps;
    this.#output = output;
  }

  /** A snapshot's output: k finite numbers (probabilities or values), copied. */
  #checkOutput(o: unknown): Float32Array {
    const k = this.#model.config.outputSize;
    if (!isArrayLike(o) || o.length !== k) {
      throw new RnnError(`stepper.restore snapshot.output: expected undefined or ${k} numbers (outputSize), got ${isArrayLike(o) ? `${o.length}` : describe(o)}`);
    }
    const out = new Float32Array(k);
    for (let j = 0; j < k; j++) {
      if (!finiteF32(o[j])) throw new RnnError(`stepper.restore snapshot.output[${j}]: expected ${FINITE_F32}, got ${describeF32(o[j])}`);
      out[j] = o[j] as number;
    }
    return out;
  }

  /** Back to the start: state zeros (or the given h0), no steps, no output. */
  reset(h0?: ArrayLike<number>): void {
    this.#alive("stepper.reset");
    this.#state = h0 === undefined ? new Float32Array(stateSize(this.#model.config)) : this.#checkState(h0, "stepper.reset h0");
    this.#steps = 0;
    this.#output = undefined;
  }
}
