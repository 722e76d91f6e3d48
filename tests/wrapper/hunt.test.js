/**
 * A seeded, time-bounded property test that hunts for breaks of issue #10's promise: "a
 * refused call changes nothing, and no call can touch another model".
 *
 * Several models live in ONE engine (ids and dense inputs, both tasks, small sizes); each has
 * a twin in an engine of its own that receives only the calls that succeeded. A random driver
 * makes public calls: create, trainStep / computeGradients with random shapes (ordinary,
 * very long — T up to 50,000 — and very wide — B up to 3,000), refused inputs (bad ids, NaN,
 * wrong target counts, batches far beyond 1 GiB of work memory, huge array-like lengths, bad
 * options), predict / forward, steppers (step, feed, snapshot, restore), fit, truncated BPTT,
 * save/load round trips (also at the largest Adam step a file may hold, and files that must be
 * refused), setParameters, generate, dispose, more creates. After every call:
 *   - a call that threw threw an RnnError (anything else is a failure), a call meant to be
 *     refused was refused, a valid call was accepted (a "non-finite" refusal excepted);
 *   - each live model equals its twin: save() bytes (parameters, optimizer state and step,
 *     generator state) and gradients, bit for bit; parameters are finite;
 *   - every output a stepper or predict returned earlier still holds its values, and every
 *     live stepper's next step gives exactly its twin stepper's output.
 *
 * Rounds of HUNT_ROUND calls, each from fresh engines with its own seed (HUNT_SEED, +1, …),
 * until HUNT_SECONDS have passed (or HUNT_CALLS calls). A failure prints the round's seed and
 * its call log; replay with HUNT_SEED=<that seed>. HUNT_SKIP=op,op leaves operations out
 * (to look past a known break: the names in step()'s table, "oversize" / "huge-length"
 * for those kinds of bad batch, "long" / "wide" for those shapes); HUNT_LENIENT=1 lets a valid
 * call be refused (an RnnError), to look past such a refusal for what it corrupted;
 * HUNT_VERBOSE=1 prints every call.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { RNN, RnnError, initSync, trainTruncated, truncatedGradients } from "../../dist/index.js";
import { mulberry32, hex, bytesOf, saved, allFinite, withMetadata, withTensorValue, splitFile } from "./safety_helpers.js";

const env = (name, fallback) => (process.env[name] === undefined || process.env[name] === "" ? fallback : Number(process.env[name]));
const SEED = env("HUNT_SEED", 20261207);
const SECONDS = env("HUNT_SECONDS", 20);
const ROUND = env("HUNT_ROUND", 1500);
const MAX_CALLS = env("HUNT_CALLS", Infinity);
const SKIP = new Set((process.env.HUNT_SKIP ?? "").split(",").map((s) => s.trim()).filter(Boolean));
const VERBOSE = process.env.HUNT_VERBOSE === "1";
const LENIENT = process.env.HUNT_LENIENT === "1";   // a valid call may be refused (to look past "refused what it should accept" for corruption)

const MAX_MODELS = 6;
const MAX_STEPPERS = 6;
const wasmModule = new WebAssembly.Module(readFileSync(new URL("../../dist/rnn.wasm", import.meta.url)));

class Found extends Error {}

/** One round: fresh engines, a seeded sequence of calls, checks after each. */
class Hunt {
  constructor(seed) {
    this.seed = seed;
    this.rand = mulberry32(seed);
    this.engine = initSync(wasmModule);
    this.models = [];      // { id, cfg, m, t, tEngine }
    this.steppers = [];    // { id, rec, s, ts, snaps: [[snap, tsnap]] }
    this.kept = [];        // outputs handed out earlier: { what, arr, copy }
    this.log = [];
    this.calls = 0;
    this.nextId = 0;
    this.refused = 0;
    this.stats = {};
  }

  // ── random helpers ──
  int(lo, hi) { return lo + Math.floor(this.rand() * (hi - lo + 1)); }
  pick(xs) { return xs[Math.floor(this.rand() * xs.length)]; }
  logInt(lo, hi) { return Math.min(hi, Math.floor(Math.exp(Math.log(lo) + this.rand() * (Math.log(hi + 1) - Math.log(lo))))); }
  unit() { return Math.fround(this.rand() * 2 - 1); }

  fail(message) {
    throw new Found(message);
  }

  note(text) {
    this.log.push(text);
    if (VERBOSE) console.log(`[${this.seed}] ${text}`);
  }

  // ── models ──
  randomConfig() {
    const kind = this.pick(["ids-m2m", "ids-m2o", "ids-next", "dense-m2m", "dense-m2o", "bce"]);
    const act = this.pick(["tanh", "sigmoid"]);
    const seed = this.int(0, 1e6);
    const d = this.int(1, 8);
    switch (kind) {
      case "ids-m2m": return { input: "ids", inputSize: this.int(2, 12), hiddenSize: d, outputSize: this.int(2, 6), task: "many-to-many", hiddenActivation: act, seed };
      case "ids-m2o": return { input: "ids", inputSize: this.int(2, 12), hiddenSize: d, outputSize: this.int(2, 6), task: "many-to-one", hiddenActivation: act, seed };
      case "ids-next": { const n = this.int(4, 10); return { input: "ids", inputSize: n, hiddenSize: d, outputSize: n, hiddenActivation: act, seed }; }
      case "dense-m2m": return { input: "dense", inputSize: this.int(1, 4), hiddenSize: d, outputSize: this.int(1, 3), task: "many-to-many", loss: "mse", hiddenActivation: act, seed };
      case "dense-m2o": return { input: "dense", inputSize: this.int(1, 4), hiddenSize: d, outputSize: this.int(1, 3), task: "many-to-one", loss: "mse", hiddenActivation: act, seed };
      default: return { input: "ids", inputSize: this.int(2, 8), hiddenSize: d, outputSize: this.int(1, 3), task: this.pick(["many-to-many", "many-to-one"]), loss: "sigmoid-binary-cross-entropy", hiddenActivation: act, seed };
    }
  }

  label(rec) { return `m${rec.id}`; }

  // ── data ──
  /** Sequence lengths of a random shape: ordinary, very long, or very wide. */
  lengths(kind = this.rand() < 0.6 ? "normal" : this.rand() < 0.5 ? "long" : "wide") {
    if (SKIP.has(kind)) kind = "normal";
    let B, T, other;
    if (kind === "normal") { B = this.int(1, 8); T = this.int(1, 24); other = () => this.int(1, T); }
    else if (kind === "long") { B = this.int(1, 3); T = this.logInt(500, 50_000); other = () => this.int(1, 50); }
    else { B = this.logInt(100, 3000); T = this.int(1, 4); other = () => this.int(1, T); }
    const out = Array.from({ length: B }, other);
    out[this.int(0, B - 1)] = T;
    return out;
  }

  sequence(cfg, L) {
    const { input, inputSize: n } = cfg;
    if (input === "ids") {
      const seq = L > 64 || this.rand() < 0.5 ? new Int32Array(L) : new Array(L);
      for (let t = 0; t < L; t++) seq[t] = this.int(0, n - 1);
      return seq;
    }
    if (L <= 64 && this.rand() < 0.5) return Array.from({ length: L }, () => Array.from({ length: n }, () => this.unit()));
    const flat = new Float32Array(L * n);
    for (let i = 0; i < flat.length; i++) flat[i] = this.unit();
    return flat;
  }

  vector(cfg) {
    const k = cfg.outputSize;
    return cfg.loss === "mse" ? Float32Array.from({ length: k }, () => this.unit()) : Float32Array.from({ length: k }, () => (this.rand() < 0.5 ? 0 : 1));
  }

  target(cfg, L) {
    const softmax = cfg.loss === "softmax-cross-entropy";
    if (cfg.task === "many-to-one") return softmax ? this.int(0, cfg.outputSize - 1) : this.vector(cfg);
    if (softmax) {
      const t = L > 64 || this.rand() < 0.5 ? new Int32Array(L) : new Array(L);
      for (let i = 0; i < L; i++) t[i] = this.int(0, cfg.outputSize - 1);
      return t;
    }
    return Array.from({ length: L }, () => this.vector(cfg));
  }

  batch(cfg, lengths, withH0 = this.rand() < 0.25) {
    const b = { inputs: lengths.map((L) => this.sequence(cfg, L)), targets: lengths.map((L) => this.target(cfg, L)) };
    if (withH0) b.h0 = this.rand() < 0.5 ? lengths.map(() => Array.from({ length: cfg.hiddenSize }, () => this.unit() * 0.5)) : Float32Array.from({ length: lengths.length * cfg.hiddenSize }, () => this.unit() * 0.5);
    return b;
  }

  describeShape(lengths) {
    const T = Math.max(...lengths);
    return `B=${lengths.length} T=${T}`;
  }

  /** Training options that keep every valid step finite (SGD clipped where gradients can be large). */
  options(cfg, lengths) {
    const o = {};
    const cells = lengths.reduce((a, b) => a + b, 0);
    const r = this.rand();
    if (r < 0.45) o.optimizer = { type: "adam", lr: this.pick([0.001, 0.005, 0.01]) };
    else if (r < 0.85) o.optimizer = { type: "sgd", lr: this.pick([0.001, 0.01, 0.05]), ...(this.rand() < 0.4 ? { momentum: 0.9 } : {}) };
    if (this.rand() < 0.3 || (o.optimizer?.type === "sgd" && (cfg.loss === "mse" || cells > 200 || Math.max(...lengths) > 12))) o.clipNorm = this.pick([0.5, 1, 2]);
    return o;
  }

  describeOptions(o) {
    const opt = o.optimizer ? `${o.optimizer.type}(${o.optimizer.lr}${o.optimizer.momentum ? `, m=${o.optimizer.momentum}` : ""})` : "default";
    return `${opt}${o.clipNorm !== undefined ? ` clip=${o.clipNorm}` : ""}`;
  }

  // ── the call and its twin ──
  /**
   * Run `main()`; if it succeeds run `twin()` (which must succeed too) and compare results.
   * expect: "valid" (must succeed, except a refusal that says "non-finite"), "refuse" (must
   * throw an RnnError), "either".
   */
  call(desc, expect, main, twin, compare) {
    this.calls++;
    const op = desc.split(" ")[0];
    const st = (this.stats[op] ??= { calls: 0, ms: 0 });
    st.calls++;
    const t0 = performance.now();
    let value, error;
    try {
      value = main();
    } catch (e) {
      error = e;
    }
    st.ms += performance.now() - t0;
    if (error !== undefined) {
      const msg = error?.message ?? String(error);
      this.note(`#${this.calls} ${desc} → refused: ${msg.slice(0, 200)}`);
      if (!(error instanceof RnnError)) this.fail(`${desc}: threw ${error?.constructor?.name ?? typeof error} (not an RnnError): ${msg}`);
      if (expect === "valid" && !LENIENT && !/non-finite/i.test(msg)) this.fail(`${desc}: a valid call was refused: ${msg}`);
      this.refused++;
      return { refused: true };
    }
    this.note(`#${this.calls} ${desc} → ok`);
    if (expect === "refuse") this.fail(`${desc}: a call that must be refused was accepted`);
    let tv, terr;
    try {
      tv = twin();
    } catch (e) {
      terr = e;
    }
    if (terr !== undefined) this.fail(`${desc}: succeeded, but the same call on the twin threw ${terr?.constructor?.name}: ${terr?.message}`);
    if (compare) compare(value, tv);
    return { value, twin: tv };
  }

  same(a, b, what) {
    if (a !== b) this.fail(`${what}: differs from the twin`);
  }

  stepResultsEqual(desc) {
    return (a, b) => {
      if (!Object.is(a.loss, b.loss)) this.fail(`${desc}: loss ${a.loss} vs the twin's ${b.loss}`);
      if (hex(a.finalState) !== hex(b.finalState)) this.fail(`${desc}: finalState differs from the twin's`);
      if (!Object.is(a.gradNorm, b.gradNorm)) this.fail(`${desc}: gradNorm ${a.gradNorm} vs the twin's ${b.gradNorm}`);
    };
  }

  outputsEqual(desc, keep = true) {
    return (a, b) => {
      const flat = (o) => o.map((seq) => seq.map(hex).join(",")).join(";");
      if (flat(a) !== flat(b)) this.fail(`${desc}: outputs differ from the twin's`);
      if (keep) this.keep(`outputs of #${this.calls} ${desc}`, a.length > 0 ? a[0][a[0].length - 1] : undefined);
    };
  }

  keep(what, arr) {
    if (!arr) return;
    this.kept.push({ what, arr, copy: hex(arr) });
    if (this.kept.length > 64) this.kept.shift();
  }

  // ── checks after every call ──
  check() {
    for (const { what, arr, copy } of this.kept) if (hex(arr) !== copy) this.fail(`an earlier returned output changed: ${what}`);
    for (const rec of this.models) {
      const a = saved(rec.m), b = saved(rec.t);
      if (a !== b) this.fail(`${this.label(rec)}: save() bytes differ from the twin's (parameters, optimizer state or generator)`);
      const ga = bytesOf(rec.m.gradients()), gb = bytesOf(rec.t.gradients());
      if (JSON.stringify(ga) !== JSON.stringify(gb)) this.fail(`${this.label(rec)}: gradients differ from the twin's`);
      if (hex(rec.m.stateGradientNorms()) !== hex(rec.t.stateGradientNorms())) this.fail(`${this.label(rec)}: stateGradientNorms differ from the twin's`);
      if (!allFinite(rec.m.parameters())) this.fail(`${this.label(rec)}: parameters are not finite`);
    }
    for (const st of this.steppers) {
      const x = this.stepInput(st.rec.cfg);
      let a, b;
      try {
        a = st.s.step(x);
        b = st.ts.step(x);
      } catch (e) {
        this.fail(`stepper s${st.id} on ${this.label(st.rec)}: a valid step threw ${e?.constructor?.name}: ${e?.message}`);
      }
      if (hex(a) !== hex(b)) this.fail(`stepper s${st.id} on ${this.label(st.rec)}: its next output differs from the twin stepper's`);
      this.keep(`stepper s${st.id} check step after #${this.calls}`, a);
    }
  }

  stepInput(cfg) {
    return cfg.input === "ids" ? this.int(0, cfg.inputSize - 1) : Array.from({ length: cfg.inputSize }, () => this.unit());
  }

  // ── operations ──
  create() {
    const cfg = this.randomConfig();
    const tEngine = initSync(wasmModule);
    const r = this.call(`create ${JSON.stringify(cfg)}`, "valid", () => RNN.createSync(cfg, this.engine), () => RNN.createSync(cfg, tEngine));
    if (!r.refused) this.models.push({ id: this.nextId++, cfg: r.value.config, m: r.value, t: r.twin, tEngine });
  }

  dispose(rec) {
    this.call(`dispose ${this.label(rec)}`, "valid", () => rec.m.dispose(), () => rec.t.dispose());
    this.dropModel(rec);
  }

  /** Remove a model (disposed) and its steppers, checking that they now refuse. */
  dropModel(rec) {
    this.models = this.models.filter((r) => r !== rec);
    for (const st of this.steppers.filter((s) => s.rec === rec)) {
      try {
        st.s.step(this.stepInput(rec.cfg));
        this.fail(`stepper s${st.id}: stepping after its model was disposed did not throw`);
      } catch (e) {
        if (e instanceof Found) throw e;
        if (!(e instanceof RnnError)) this.fail(`stepper s${st.id}: stepping after dispose threw ${e?.constructor?.name}: ${e?.message}`);
      }
    }
    this.steppers = this.steppers.filter((s) => s.rec !== rec);
  }

  train(rec, kindOfCall) {
    const cfg = rec.cfg;
    const lengths = this.lengths();
    const b = this.batch(cfg, lengths);
    const o = this.options(cfg, lengths);
    const desc = `${kindOfCall} ${this.label(rec)} ${this.describeShape(lengths)}${b.h0 ? " h0" : ""} ${kindOfCall === "trainStep" ? this.describeOptions(o) : ""}`;
    if (kindOfCall === "trainStep") this.call(desc, "valid", () => rec.m.trainStep(b, o), () => rec.t.trainStep(b, o), this.stepResultsEqual(desc));
    else if (kindOfCall === "computeGradients") this.call(desc, "valid", () => rec.m.computeGradients(b), () => rec.t.computeGradients(b), this.stepResultsEqual(desc));
    else this.call(desc, "valid", () => rec.m.computeLoss(b), () => rec.t.computeLoss(b), this.stepResultsEqual(desc));
  }

  /** A batch of a random shape with one thing wrong, or one far beyond memory. */
  badBatch(cfg) {
    const r = this.rand();
    if (r < 0.2 && !SKIP.has("oversize")) {
      // Beyond 1 GiB of work memory: shared rows, so that it costs nothing in JS.
      const B = this.int(5000, 20000), T = this.int(30000, 50000);
      const row = cfg.input === "ids" ? new Int32Array(T) : new Float32Array(T * cfg.inputSize);
      const trow = cfg.task === "many-to-one" ? (cfg.loss === "softmax-cross-entropy" ? 0 : new Float32Array(cfg.outputSize))
        : cfg.loss === "softmax-cross-entropy" ? new Int32Array(T) : new Array(T).fill(new Float32Array(cfg.outputSize));
      return { what: `oversize B=${B} T=${T}`, batch: { inputs: new Array(B).fill(row), targets: new Array(B).fill(trow) } };
    }
    if (r < 0.27 && !SKIP.has("huge-length")) {
      const L = this.pick([2 ** 31, 2 ** 32 + 4, 2 ** 40]);
      return this.rand() < 0.5
        ? { what: `a sequence of length ${L}`, batch: { inputs: [{ length: L, 0: 0 }], targets: [cfg.task === "many-to-one" ? this.target(cfg, 1) : { length: L, 0: 0 }] } }
        : { what: `inputs of length ${L}`, batch: { inputs: { length: L, 0: this.sequence(cfg, 1) }, targets: { length: L, 0: this.target(cfg, 1) } } };
    }
    const lengths = this.lengths();
    const b = this.batch(cfg, lengths);
    const B = lengths.length;
    const i = this.rand() < 0.5 ? B - 1 : this.int(0, B - 1);   // often the last sequence
    const L = lengths[i];
    const t = this.rand() < 0.5 ? L - 1 : this.int(0, L - 1);   // often its last step
    const where = `${this.describeShape(lengths)} at [${i}][${t}]`;
    const kind = this.int(0, 5);
    if (kind <= 1) {
      if (cfg.input === "ids") {
        const bad = this.pick([cfg.inputSize, -1, 1.5, NaN, cfg.inputSize + 1000]);
        const seq = Array.from(b.inputs[i]);
        seq[t] = bad;
        b.inputs[i] = seq;
        return { what: `input id ${bad} ${where}`, batch: b };
      }
      const bad = this.pick([NaN, Infinity, -Infinity, 1e39]);
      const seq = b.inputs[i];
      if (seq instanceof Float32Array) {
        const arr = Array.from(seq);
        arr[t * cfg.inputSize + this.int(0, cfg.inputSize - 1)] = bad;
        b.inputs[i] = arr;
      } else {
        seq[t] = seq[t].slice();
        seq[t][this.int(0, cfg.inputSize - 1)] = bad;
      }
      return { what: `dense input ${bad} ${where}`, batch: b };
    }
    if (kind === 2) {
      if (cfg.task === "many-to-one") {
        b.targets[i] = cfg.loss === "softmax-cross-entropy" ? this.pick([cfg.outputSize, -1, NaN]) : Float32Array.of(...this.vector(cfg).slice(1), NaN);
      } else if (cfg.loss === "softmax-cross-entropy") {
        const tg = Array.from(b.targets[i]);
        tg[t] = this.pick([cfg.outputSize, -1, 0.5, NaN]);
        b.targets[i] = tg;
      } else {
        const tg = b.targets[i].slice();
        const v = Float32Array.from(tg[t]);
        v[0] = cfg.loss === "mse" ? NaN : 0.5;
        tg[t] = v;
        b.targets[i] = tg;
      }
      return { what: `bad target ${where}`, batch: b };
    }
    if (kind === 3) {
      b.targets = this.rand() < 0.5 ? b.targets.slice(0, B - 1) : [...b.targets, b.targets[0]];
      return { what: `${b.targets.length} targets for ${this.describeShape(lengths)}`, batch: b };
    }
    if (kind === 4 && cfg.task === "many-to-many") {
      b.targets[i] = cfg.loss === "softmax-cross-entropy" ? Array.from(b.targets[i]).concat([0]) : [...b.targets[i], this.vector(cfg)];
      return { what: `targets[${i}] one step too long ${this.describeShape(lengths)}`, batch: b };
    }
    b.h0 = lengths.map(() => new Float32Array(cfg.hiddenSize + 1));
    return { what: `h0 of width d+1 ${this.describeShape(lengths)}`, batch: b };
  }

  badOptions() {
    return this.pick([
      { optimizer: { type: "adam", lr: NaN } },
      { optimizer: { type: "sgd", lr: -1 } },
      { optimizer: { type: "sgd", momentum: 1 } },
      { optimizer: { type: "adam", beta2: 1 } },
      { optimizer: { type: "rmsprop" } },
      { clipNorm: -1 },
      { clipNorm: NaN },
      { clipnorm: 1 },
    ]);
  }

  trainBad(rec, kindOfCall) {
    const cfg = rec.cfg;
    let what, b, o = {};
    if (kindOfCall === "trainStep" && this.rand() < 0.25) {
      const lengths = this.lengths();
      b = this.batch(cfg, lengths);
      o = this.badOptions();
      what = `${this.describeShape(lengths)} options ${JSON.stringify(o)}`;
    } else {
      ({ what, batch: b } = this.badBatch(cfg));
      if (kindOfCall === "trainStep") o = this.options(cfg, [1]);
    }
    const desc = `${kindOfCall}-bad ${this.label(rec)} ${what}`;
    if (kindOfCall === "trainStep") this.call(desc, "refuse", () => rec.m.trainStep(b, o), () => rec.t.trainStep(b, o));
    else this.call(desc, "refuse", () => rec.m.computeGradients(b), () => rec.t.computeGradients(b));
  }

  predict(rec, useForward) {
    const cfg = rec.cfg;
    const lengths = this.lengths();
    const inputs = lengths.map((L) => this.sequence(cfg, L));
    const opts = this.rand() < 0.25 ? { h0: Float32Array.from({ length: lengths.length * cfg.hiddenSize }, () => this.unit()) } : {};
    const desc = `${useForward ? "forward" : "predict"} ${this.label(rec)} ${this.describeShape(lengths)}${opts.h0 ? " h0" : ""}`;
    if (useForward) {
      this.call(desc, "valid", () => rec.m.forward(inputs, opts), () => rec.t.forward(inputs, opts), (a, b) => {
        this.outputsEqual(desc)(a.outputs, b.outputs);
        if (hex(a.finalState) !== hex(b.finalState)) this.fail(`${desc}: finalState differs from the twin's`);
      });
    } else {
      this.call(desc, "valid", () => rec.m.predict(inputs, opts), () => rec.t.predict(inputs, opts), this.outputsEqual(desc));
    }
  }

  predictBad(rec) {
    const { what, batch } = this.badBatch(rec.cfg);
    if (/target/.test(what)) return this.predict(rec, false);        // targets are not predict's business
    const opts = batch.h0 !== undefined ? { h0: batch.h0 } : {};
    const desc = `predict-bad ${this.label(rec)} ${what}`;
    this.call(desc, "refuse", () => rec.m.predict(batch.inputs, opts), () => rec.t.predict(batch.inputs, opts));
  }

  stepperNew(rec) {
    const h0 = this.rand() < 0.3 ? Array.from({ length: rec.cfg.hiddenSize }, () => this.unit()) : undefined;
    const opts = h0 ? { h0 } : {};
    const r = this.call(`stepper-new ${this.label(rec)}${h0 ? " h0" : ""}`, "valid", () => rec.m.stepper(opts), () => rec.t.stepper(opts));
    if (!r.refused) this.steppers.push({ id: this.nextId++, rec, s: r.value, ts: r.twin, snaps: [] });
  }

  stepperOp(st) {
    const cfg = st.rec.cfg;
    const r = this.rand();
    const name = `s${st.id}(${this.label(st.rec)})`;
    if (r < 0.45) {
      const x = this.stepInput(cfg);
      this.call(`stepper-step ${name}`, "valid", () => st.s.step(x), () => st.ts.step(x), (a, b) => {
        if (hex(a) !== hex(b)) this.fail(`stepper-step ${name}: output differs from the twin stepper's`);
        this.keep(`stepper-step ${name} #${this.calls}`, a);
      });
    } else if (r < 0.6) {
      const L = this.rand() < 0.8 ? this.int(1, 30) : this.logInt(100, 20000);
      const steps = this.sequence(cfg, L);
      this.call(`stepper-feed ${name} L=${L}`, "valid", () => st.s.feed(steps), () => st.ts.feed(steps), (a, b) => {
        if (a.map(hex).join() !== b.map(hex).join()) this.fail(`stepper-feed ${name}: outputs differ from the twin stepper's`);
        this.keep(`stepper-feed ${name} #${this.calls}`, a[a.length - 1]);
      });
    } else if (r < 0.7) {
      const res = this.call(`stepper-snapshot ${name}`, "valid", () => st.s.snapshot(), () => st.ts.snapshot());
      if (!res.refused) { st.snaps.push([res.value, res.twin]); if (st.snaps.length > 4) st.snaps.shift(); }
    } else if (r < 0.8 && st.snaps.length > 0) {
      const [a, b] = this.pick(st.snaps);
      this.call(`stepper-restore ${name}`, "valid", () => st.s.restore(a), () => st.ts.restore(b));
    } else if (r < 0.9) {
      const x = cfg.input === "ids" ? this.pick([cfg.inputSize, -1, 0.5, NaN]) : this.pick([new Array(cfg.inputSize + 1).fill(0), new Array(cfg.inputSize).fill(NaN)]);
      this.call(`stepper-step-bad ${name} ${JSON.stringify(x)}`, "refuse", () => st.s.step(x), () => st.ts.step(x));
    } else {
      const bad = this.pick([{ state: new Float32Array(cfg.hiddenSize + 1), steps: 0 }, { state: new Float32Array(cfg.hiddenSize).fill(NaN), steps: 0 }, { state: new Float32Array(cfg.hiddenSize), steps: -1 }, null]);
      this.call(`stepper-restore-bad ${name}`, "refuse", () => st.s.restore(bad), () => st.ts.restore(bad));
    }
  }

  fitData(cfg, N = this.int(2, 12)) {
    const lengths = Array.from({ length: N }, () => this.int(1, 10));
    const b = this.batch(cfg, lengths, false);
    return { inputs: b.inputs, targets: b.targets };
  }

  fit(rec, bad) {
    const cfg = rec.cfg;
    const data = this.fitData(cfg);
    const o = { epochs: this.int(1, 2), batchSize: this.int(1, 4), ...this.options(cfg, [10]) };
    if (this.rand() < 0.3) o.tbptt = this.int(1, 3);
    if (this.rand() < 0.2) o.shuffle = false;
    let what = "";
    if (bad) {
      if (this.rand() < 0.6) {
        const N = data.inputs.length, i = N - 1;
        if (cfg.input === "ids") { data.inputs[i] = Array.from(data.inputs[i]); data.inputs[i][data.inputs[i].length - 1] = cfg.inputSize; }
        else { data.inputs[i] = Array.from(data.inputs[i], (x) => (typeof x === "number" ? x : Array.from(x))); const last = data.inputs[i]; if (typeof last[0] === "number") last[last.length - 1] = NaN; else last[last.length - 1][0] = NaN; }
        what = "bad last example";
      } else {
        o.optimizer = { type: "adam", lr: NaN };
        what = "lr NaN";
      }
    }
    const desc = `fit${bad ? "-bad" : ""} ${this.label(rec)} N=${data.inputs.length} epochs=${o.epochs} batch=${o.batchSize}${o.tbptt ? ` tbptt=${o.tbptt}` : ""} ${this.describeOptions(o)} ${what}`;
    this.call(desc, bad ? "refuse" : "valid", () => rec.m.fit(data, o), () => rec.t.fit(data, o), (a, b) => {
      if (JSON.stringify(a.loss) !== JSON.stringify(b.loss)) this.fail(`${desc}: the loss history differs from the twin's`);
    });
  }

  truncated(rec, bad, gradientsOnly) {
    const cfg = rec.cfg;
    const lengths = this.lengths(this.rand() < 0.8 ? "normal" : "long");
    const b = this.batch(cfg, lengths);
    const K = this.int(1, Math.max(1, Math.ceil(Math.max(...lengths) / this.int(1, 4))));
    let what = "";
    if (bad) {
      const i = lengths.length - 1 - (lengths.length > 1 && this.rand() < 0.3 ? 1 : 0);
      const L = lengths[i];
      if (cfg.input === "ids") { b.inputs[i] = Array.from(b.inputs[i]); b.inputs[i][L - 1] = -1; what = `id -1 at [${i}][${L - 1}]`; }
      else if (cfg.task === "many-to-many" && cfg.loss === "mse") { b.targets[i] = b.targets[i].slice(); b.targets[i][L - 1] = Float32Array.of(NaN, ...new Float32Array(cfg.outputSize - 1)); what = `target NaN at [${i}][${L - 1}]`; }
      else { b.inputs[i] = Array.from(b.inputs[i]); b.inputs[i][b.inputs[i].length - 1] = NaN; what = `NaN at the end of inputs[${i}]`; }
    }
    const o = this.options(cfg, lengths);
    const name = gradientsOnly ? "truncatedGradients" : "trainTruncated";
    const desc = `${name}${bad ? "-bad" : ""} ${this.label(rec)} ${this.describeShape(lengths)} K=${K}${b.h0 ? " h0" : ""} ${gradientsOnly ? "" : this.describeOptions(o)} ${what}`;
    if (gradientsOnly) {
      this.call(desc, bad ? "refuse" : "valid", () => truncatedGradients(rec.m, b, K), () => truncatedGradients(rec.t, b, K), (x, y) => {
        if (!Object.is(x.loss, y.loss) || JSON.stringify(bytesOf(x.gradients)) !== JSON.stringify(bytesOf(y.gradients))) this.fail(`${desc}: differs from the twin's`);
      });
    } else {
      this.call(desc, bad ? "refuse" : "valid", () => trainTruncated(rec.m, b, K, o), () => trainTruncated(rec.t, b, K, o), this.stepResultsEqual(desc));
    }
  }

  /** Replace a model by the model loaded from `file(model)` (both sides), or check a file is refused. */
  reload(rec, what, edit, expect = "valid") {
    const desc = `${what} ${this.label(rec)}`;
    const r = this.call(desc, expect, () => RNN.loadSync(edit(rec.m.save()), this.engine), () => RNN.loadSync(edit(rec.t.save()), rec.tEngine));
    if (r.refused) return;
    rec.m.dispose();
    rec.t.dispose();
    this.dropModel(rec);
    this.models.push({ ...rec, m: r.value, t: r.twin });
  }

  saveLoad(rec) { this.reload(rec, "save-load", (bytes) => bytes); }

  maxStep(rec) {
    const type = JSON.parse(splitFile(rec.m.save()).header.__metadata__.optimizer).type;
    if (type === null) return this.saveLoad(rec);
    this.reload(rec, "load-at-step-2^31-1", (bytes) => withMetadata(bytes, "optimizer", { type, step: 2 ** 31 - 1 }));
  }

  negativeV(rec) {
    const type = JSON.parse(splitFile(rec.m.save()).header.__metadata__.optimizer).type;
    if (type !== "adam") return this.saveLoad(rec);
    const name = this.pick(["U", "W", "b", "V", "c"]);
    this.reload(rec, `load-negative-v.${name}`, (bytes) => withTensorValue(bytes, `optimizer.v.${name}`, 0, -1e-3), "refuse");
  }

  setParameters(rec, bad) {
    const p = rec.m.parameters();
    for (const k of Object.keys(p)) for (let i = 0; i < p[k].length; i++) p[k][i] = this.unit() * 0.5;
    if (bad) {
      const k = this.pick(["U", "W", "b", "V", "c"]);
      if (this.rand() < 0.5) p[k][p[k].length - 1] = this.pick([NaN, Infinity, 1e39]);
      else p[k] = p[k].subarray(1);
    }
    this.call(`setParameters${bad ? "-bad" : ""} ${this.label(rec)}`, bad ? "refuse" : "valid", () => rec.m.setParameters(p), () => rec.t.setParameters(p));
  }

  generate(rec) {
    const cfg = rec.cfg;
    if (cfg.input !== "ids" || cfg.loss !== "softmax-cross-entropy" || cfg.outputSize > cfg.inputSize) return this.predict(rec, false);
    const o = { prefix: Array.from({ length: this.int(1, 4) }, () => this.int(0, cfg.inputSize - 1)), maxLength: this.int(1, 12), seed: this.int(0, 1000), temperature: this.pick([0.5, 1, 2]) };
    this.call(`generate ${this.label(rec)} ${JSON.stringify(o)}`, "valid", () => rec.m.generate(o), () => rec.t.generate(o), (a, b) => {
      if (a.ids.join() !== b.ids.join()) this.fail(`generate ${this.label(rec)}: ids differ from the twin's`);
    });
  }

  resetOptimizer(rec) {
    this.call(`resetOptimizer ${this.label(rec)}`, "valid", () => rec.m.resetOptimizer(), () => rec.t.resetOptimizer());
  }

  /** One random operation. */
  step() {
    const OPS = [
      ["create", 3, () => this.models.length < MAX_MODELS, () => this.create()],
      ["dispose", 1.5, () => this.models.length > 2, (r) => this.dispose(r)],
      ["trainStep", 14, null, (r) => this.train(r, "trainStep")],
      ["trainStep-bad", 9, null, (r) => this.trainBad(r, "trainStep")],
      ["computeGradients", 4, null, (r) => this.train(r, "computeGradients")],
      ["computeGradients-bad", 3, null, (r) => this.trainBad(r, "computeGradients")],
      ["computeLoss", 2, null, (r) => this.train(r, "computeLoss")],
      ["predict", 6, null, (r) => this.predict(r, false)],
      ["forward", 3, null, (r) => this.predict(r, true)],
      ["predict-bad", 5, null, (r) => this.predictBad(r)],
      ["stepper-new", 3, () => this.steppers.length < MAX_STEPPERS, (r) => this.stepperNew(r)],
      ["stepper", 12, () => this.steppers.length > 0, () => this.stepperOp(this.pick(this.steppers))],
      ["fit", 2.5, null, (r) => this.fit(r, false)],
      ["fit-bad", 2, null, (r) => this.fit(r, true)],
      ["trainTruncated", 2, null, (r) => this.truncated(r, false, false)],
      ["trainTruncated-bad", 2, null, (r) => this.truncated(r, true, false)],
      ["truncatedGradients", 1, null, (r) => this.truncated(r, false, true)],
      ["truncatedGradients-bad", 1, null, (r) => this.truncated(r, true, true)],
      ["save-load", 3, null, (r) => this.saveLoad(r)],
      ["load-at-max-step", 1, null, (r) => this.maxStep(r)],
      ["load-negative-v", 1, null, (r) => this.negativeV(r)],
      ["setParameters", 1.5, null, (r) => this.setParameters(r, false)],
      ["setParameters-bad", 1, null, (r) => this.setParameters(r, true)],
      ["generate", 1.5, null, (r) => this.generate(r)],
      ["resetOptimizer", 0.5, null, (r) => this.resetOptimizer(r)],
    ].filter(([name, , ok]) => !SKIP.has(name) && (ok === null || ok()) && (name === "create" || this.models.length > 0));
    const total = OPS.reduce((s, [, w]) => s + w, 0);
    let x = this.rand() * total;
    for (const [, w, , run] of OPS) {
      x -= w;
      if (x <= 0) return run(this.pick(this.models));
    }
    return OPS[OPS.length - 1][3](this.pick(this.models));
  }

  start() {
    for (let i = 0; i < 3; i++) this.create();
    this.check();
  }

  /** Free every model of the round (its engines then go with the round). */
  finish() {
    for (const rec of this.models) {
      rec.m.dispose();
      rec.t.dispose();
    }
    this.models = [];
    this.steppers = [];
    this.kept = [];
  }
}

test(`hunt: random public calls on models sharing one engine, each against a twin (seed ${SEED}, ${SECONDS} s)`, { timeout: (SECONDS + 120) * 1000 }, () => {
  const t0 = performance.now();
  const deadline = t0 + SECONDS * 1000;
  let total = 0, refused = 0, rounds = 0;
  const stats = {};
  let round = 0;
  while (performance.now() < deadline && total < MAX_CALLS) {
    const seed = SEED + round++;
    const hunt = new Hunt(seed);
    rounds++;
    try {
      hunt.start();
      while (hunt.calls < ROUND && performance.now() < deadline && total + hunt.calls < MAX_CALLS) {
        hunt.step();
        hunt.check();
      }
    } catch (e) {
      const tail = hunt.log.slice(-80);
      const report = [
        `hunt found a break in round seed ${seed}, call ${hunt.calls} (${total + hunt.calls} calls in all, ${((performance.now() - t0) / 1000).toFixed(1)} s):`,
        `  ${e instanceof Found ? e.message : `${e?.constructor?.name}: ${e?.message}\n${e?.stack}`}`,
        `replay: HUNT_SEED=${seed} HUNT_CALLS=${hunt.calls} HUNT_VERBOSE=1 node --test tests/wrapper/hunt.test.js`,
        `call log${hunt.log.length > tail.length ? ` (last ${tail.length} of ${hunt.log.length})` : ""}:`,
        ...tail.map((l) => `  ${l}`),
      ].join("\n");
      assert.fail(report);
    }
    hunt.finish();
    total += hunt.calls;
    refused += hunt.refused;
    for (const [k, v] of Object.entries(hunt.stats)) {
      const s = (stats[k] ??= { calls: 0, ms: 0 });
      s.calls += v.calls;
      s.ms += v.ms;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  console.log(`hunt: ${total} calls (${refused} refused) in ${rounds} round(s) from seed ${SEED}, ${seconds.toFixed(1)} s; nothing found`);
  console.log(`  calls by operation (count, ms in the main model's calls): ${Object.entries(stats).sort((a, b) => b[1].calls - a[1].calls).map(([k, v]) => `${k} ${v.calls} (${v.ms.toFixed(0)} ms)`).join(", ")}`);
  assert.ok(total > 0);
});
