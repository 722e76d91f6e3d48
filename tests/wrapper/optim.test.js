/**
 * The optimizers and gradient clipping inside trainStep, against PyTorch's published formulas
 * worked out here in f64 (as tfjs's adam_optimizer_test does), plus a ten-step loss curve
 * against the f64 reference trained by the same formulas.
 *
 * Two models hold the same parameters: `model` is driven by trainStep; `probe` is set to
 * `model`'s parameters before each step and asked for the gradient g with computeGradients
 * (no update). The expected parameters after the step are then computed here from g:
 *
 *   SGD            p ← p − lr·g
 *   SGD, momentum  buf ← μ·buf + g   (buf = g on the first step); p ← p − lr·buf
 *   Adam           m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  t ← t + 1
 *                  p ← p − lr/(1−β1^t) · m / (√v/√(1−β2^t) + eps)        (torch.optim.Adam)
 *   clipping       norm = √(Σ g² over U, W, b, V, c);  coef = max/(norm + 1e−6);
 *                  g ← coef·g only if coef < 1                          (clip_grad_norm_)
 *   weight decay   SGD, Adam: g ← g + λ·p;  AdamW: p ← p·(1 − lr·λ) before the step, on U, W, V
 *                  (and b, c with decayBiases), against TorchOptimizer below: torch.optim's
 *                  algorithms transcribed in f64 with one parameter group per λ
 *
 * Tolerance for parameters (f32 arithmetic in the module, f64 here, same starting point):
 * |got − want| ≤ 1e-6 + 1e-6·|want|, against steps of 1e-3 … 5e-2, so a formula off by
 * 1e-4 of a step is caught. Each check also asserts the step really moved the parameters.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as lib from "../../dist/index.js";
const { RNN } = lib;
import { lossAndGradients, seededRandom, checkTensor } from "../reference/rnn_ref.js";

const TENSORS = ["U", "W", "b", "V", "c"];
const PARAMS = { atol: 1e-6, rtol: 1e-6 };

// A tiny model: n = 4 ids, d = 5, k = 3, three sequences of lengths 2, 4, 1 that use every id.
const CONFIG = { input: "ids", inputSize: 4, hiddenSize: 5, outputSize: 3, task: "many-to-many", hiddenActivation: "tanh", loss: "softmax-cross-entropy", seed: 3 };
const BATCH = { inputs: [[0, 3], [1, 2, 3, 0], [2]], targets: [[1, 2], [0, 0, 2, 1], [1]] };
const BATCH_H0 = { ...BATCH, h0: [[0.5, -0.2, 0.1, 0, 0.3], [-0.4, 0.2, 0.6, -0.1, 0], [0.1, 0.1, -0.7, 0.2, 0.4]] };

function initialParameters(seed) {
  const rand = seededRandom(seed);
  const { inputSize: n, hiddenSize: d, outputSize: k } = CONFIG;
  const u = (len, a) => Float32Array.from({ length: len }, () => (2 * rand() - 1) * a);
  return { U: u(d * n, 0.8), W: u(d * d, 0.6), b: u(d, 0.3), V: u(k * d, 0.8), c: u(k, 0.3) };
}

/** `model` (trained with trainStep) and `probe` (gradients only), both at the same parameters. */
async function pair(seed = 11) {
  const model = await RNN.create(CONFIG);
  const probe = await RNN.create(CONFIG);
  model.setParameters(initialParameters(seed));
  return { model, probe, dispose: () => (model.dispose(), probe.dispose()) };
}

/** g at `model`'s current parameters (computed on `probe`), and those parameters, as f64 arrays. */
function gradientAt(model, probe, batch = BATCH) {
  const p = model.parameters();
  probe.setParameters(p);
  const { loss } = probe.computeGradients(batch);
  const g = probe.gradients();
  const f64 = (o) => Object.fromEntries(TENSORS.map((k) => [k, Float64Array.from(o[k])]));
  return { p: f64(p), g: f64(g), loss };
}

/** √(Σ g²) over U, W, b, V, c (not h0: it is not a parameter). */
function globalNorm(g) {
  let s = 0;
  for (const name of TENSORS) for (const v of g[name]) s += v * v;
  return Math.sqrt(s);
}

/** clip_grad_norm_: g scaled by coef = max/(norm + 1e−6) when coef < 1. */
function clip(g, maxNorm) {
  const coef = maxNorm / (globalNorm(g) + 1e-6);
  if (!(coef < 1)) return { g, coef: 1 };
  return { g: Object.fromEntries(TENSORS.map((k) => [k, g[k].map((v) => v * coef)])), coef };
}

function expectParameters(model, want, before, label) {
  const got = model.parameters();
  let moved = 0;
  for (const name of TENSORS) {
    const r = checkTensor(`${label}: ${name}`, got[name], want[name], PARAMS);
    assert.ok(r.ok, r.message);
    for (let i = 0; i < want[name].length; i++) moved = Math.max(moved, Math.abs(want[name][i] - before[name][i]));
  }
  assert.ok(moved > 1e-4, `${label}: the step changes the parameters (largest change ${moved})`);
}

/** Expected parameters for a per-element update rule. */
function apply(p, g, rule) {
  return Object.fromEntries(TENSORS.map((k) => [k, p[k].map((v, i) => v - rule(k, i, g[k][i]))]));
}

test("SGD: p − lr·g", async () => {
  const { model, probe, dispose } = await pair();
  try {
    const lr = 0.5;
    for (let step = 1; step <= 2; step++) {
      const { p, g, loss } = gradientAt(model, probe);
      const r = model.trainStep(BATCH, { optimizer: { type: "sgd", lr } });
      // trainStep reports the loss at the parameters before its update.
      assert.ok(Math.abs(r.loss - loss) <= 1e-6 * Math.abs(loss), `step ${step}: loss ${r.loss} = computeGradients' ${loss}`);
      expectParameters(model, apply(p, g, (_, __, gi) => lr * gi), p, `sgd step ${step}`);
    }
  } finally {
    dispose();
  }
});

test("SGD with momentum over two steps: buf = μ·buf + g, p −= lr·buf", async () => {
  const { model, probe, dispose } = await pair();
  try {
    const lr = 0.3;
    const mu = 0.9;
    const buf = Object.fromEntries(TENSORS.map((k) => [k, null]));
    for (let step = 1; step <= 2; step++) {
      const { p, g } = gradientAt(model, probe);
      // step 1: buf = g (PyTorch clones g into the empty buffer);  step 2: buf = 0.9·buf + g.
      for (const k of TENSORS) buf[k] = buf[k] === null ? g[k].slice() : buf[k].map((b, i) => mu * b + g[k][i]);
      model.trainStep(BATCH, { optimizer: { type: "sgd", lr, momentum: mu } });
      expectParameters(model, apply(p, g, (k, i) => lr * buf[k][i]), p, `momentum step ${step}`);
    }
  } finally {
    dispose();
  }
});

/** Adam as torch.optim.Adam writes it, for `steps` steps from fresh moments. */
async function checkAdam(opts, steps, label, options = {}) {
  const { model, probe, dispose } = await pair();
  try {
    const { lr = 0.001, beta1 = 0.9, beta2 = 0.999, eps = 1e-8 } = opts;
    const m = Object.fromEntries(TENSORS.map((k) => [k, new Float64Array(model.parameters()[k].length)]));
    const v = Object.fromEntries(TENSORS.map((k) => [k, new Float64Array(model.parameters()[k].length)]));
    for (let t = 1; t <= steps; t++) {
      const { p, g } = gradientAt(model, probe);
      // t = 1: m = 0.1·g, v = 0.001·g², bias corrections 1 − 0.9 = 0.1 and 1 − 0.999 = 0.001,
      //        so the step is lr·g/(|g| + eps): lr·sign(g) for |g| ≫ eps.
      // t = 2: m = 0.9·m + 0.1·g, v = 0.999·v + 0.001·g², corrections 1 − 0.81 and 1 − 0.998001.
      const bc1 = 1 - beta1 ** t;
      const bc2 = 1 - beta2 ** t;
      const want = apply(p, g, (k, i, gi) => {
        m[k][i] = beta1 * m[k][i] + (1 - beta1) * gi;
        v[k][i] = beta2 * v[k][i] + (1 - beta2) * gi * gi;
        return (lr / bc1) * m[k][i] / (Math.sqrt(v[k][i]) / Math.sqrt(bc2) + eps);
      });
      model.trainStep(BATCH, options.noOptions ? undefined : { optimizer: { type: "adam", ...opts } });
      expectParameters(model, want, p, `${label} step ${t}`);
    }
  } finally {
    dispose();
  }
}

test("Adam over two steps, with bias correction (lr 0.01, default betas)", () => checkAdam({ lr: 0.01 }, 2, "adam"));

test("Adam over three steps with other hyper-parameters (β1 0.5, β2 0.9, eps 1e-3)", () =>
  checkAdam({ lr: 0.02, beta1: 0.5, beta2: 0.9, eps: 1e-3 }, 3, "adam custom"));

test("the default optimizer is Adam(lr 0.001, 0.9, 0.999, 1e-8)", () => checkAdam({}, 2, "default", { noOptions: true }));

test("resetOptimizer and a change of optimizer type restart the state", async () => {
  const { model, probe, dispose } = await pair();
  try {
    const lr = 0.01;
    model.trainStep(BATCH, { optimizer: { type: "adam", lr } });
    model.trainStep(BATCH, { optimizer: { type: "adam", lr } });
    model.resetOptimizer();
    // After a reset the next Adam step is a first step again (t = 1): m = 0.1·g, v = 0.001·g²,
    // m̂ = m/0.1 = g, v̂ = v/0.001 = g², so p ← p − lr·g/(|g| + eps).
    let { p, g } = gradientAt(model, probe);
    model.trainStep(BATCH, { optimizer: { type: "adam", lr } });
    expectParameters(model, apply(p, g, (_, __, gi) => lr * gi / (Math.abs(gi) + 1e-8)), p, "adam after reset");

    // Switching to SGD with momentum: the buffer starts empty, so buf = g and p ← p − lr·g.
    ({ p, g } = gradientAt(model, probe));
    model.trainStep(BATCH, { optimizer: { type: "sgd", lr: 0.2, momentum: 0.9 } });
    expectParameters(model, apply(p, g, (_, __, gi) => 0.2 * gi), p, "momentum after switching from adam");

    // And back to Adam: a first step again.
    ({ p, g } = gradientAt(model, probe));
    model.trainStep(BATCH, { optimizer: { type: "adam", lr } });
    expectParameters(model, apply(p, g, (_, __, gi) => lr * gi / (Math.abs(gi) + 1e-8)), p, "adam after switching from sgd");
  } finally {
    dispose();
  }
});

test("clipping: a clipNorm below the norm scales the step by max/(norm + 1e-6); a large one or 0 changes nothing", async () => {
  const lr = 0.5;
  for (const batch of [BATCH, BATCH_H0]) {
    const { model, probe, dispose } = await pair();
    try {
      const { p, g } = gradientAt(model, probe, batch);
      const norm = globalNorm(g);
      assert.ok(norm > 0.05, `a gradient worth clipping (norm ${norm})`);
      const maxNorm = norm / 4;
      // coef = (norm/4)/(norm + 1e-6) ≈ 0.25: the SGD step is a quarter of the unclipped one.
      const coef = maxNorm / (norm + 1e-6);
      const start = model.parameters();
      model.trainStep(batch, { optimizer: { type: "sgd", lr }, clipNorm: maxNorm });
      expectParameters(model, apply(p, g, (_, __, gi) => lr * coef * gi), p, `clipNorm ${maxNorm.toFixed(4)}${batch.h0 ? " (h0 not in the norm)" : ""}`);

      for (const off of [1e6, norm * 1.01, 0, undefined]) {
        model.setParameters(start);
        model.trainStep(batch, { optimizer: { type: "sgd", lr }, clipNorm: off });
        expectParameters(model, apply(p, g, (_, __, gi) => lr * gi), p, `clipNorm ${off}: no clipping`);
      }
    } finally {
      dispose();
    }
  }
});

test("clipping with momentum over two steps: the buffer accumulates clipped gradients", async () => {
  const { model, probe, dispose } = await pair();
  try {
    const lr = 0.3;
    const mu = 0.5;
    const maxNorm = 0.3 * globalNorm(gradientAt(model, probe).g);
    const buf = {};
    for (let step = 1; step <= 2; step++) {
      const { p, g: raw } = gradientAt(model, probe);
      const { g, coef } = clip(raw, maxNorm);
      assert.ok(coef < 1, `step ${step} is clipped (coef ${coef})`);
      for (const k of TENSORS) buf[k] = buf[k] === undefined ? g[k].slice() : buf[k].map((b, i) => mu * b + g[k][i]);
      model.trainStep(BATCH, { optimizer: { type: "sgd", lr, momentum: mu }, clipNorm: maxNorm });
      expectParameters(model, apply(p, raw, (k, i) => lr * buf[k][i]), p, `clipped momentum step ${step}`);
    }
  } finally {
    dispose();
  }
});

// llm.c's "expected losses" check, with the f64 reference as the source of the expected values:
// ten steps of Adam with clipping on a dense many-to-one MSE model, reference and module
// started from the same parameters. Tolerance: |loss − ref| ≤ 1e-5 + 1e-4·ref (f32 drift over ten steps).
test("ten training steps follow the reference's loss curve", async () => {
  const cfg = { input: "dense", inputSize: 3, hiddenSize: 6, outputSize: 2, task: "many-to-one", hiddenActivation: "tanh", loss: "mse", seed: 5 };
  const rand = seededRandom(2024);
  const u = (a) => Math.fround((2 * rand() - 1) * a);
  const batch = {
    inputs: [4, 2, 5, 1, 3].map((len) => Array.from({ length: len }, () => [u(1), u(1), u(1)])),
    targets: Array.from({ length: 5 }, () => [u(1), u(1)]),
  };
  const model = await RNN.create(cfg);
  try {
    const start = model.parameters();
    const p = Object.fromEntries(TENSORS.map((k) => [k, Float64Array.from(start[k])]));
    const m = Object.fromEntries(TENSORS.map((k) => [k, new Float64Array(p[k].length)]));
    const v = Object.fromEntries(TENSORS.map((k) => [k, new Float64Array(p[k].length)]));
    const [lr, b1, b2, eps, maxNorm] = [0.05, 0.9, 0.999, 1e-8, 0.5];
    const losses = [];
    for (let t = 1; t <= 10; t++) {
      const ref = lossAndGradients(cfg, p, batch);
      const { g } = clip(ref.grads, maxNorm);
      for (const k of TENSORS) {
        for (let i = 0; i < p[k].length; i++) {
          m[k][i] = b1 * m[k][i] + (1 - b1) * g[k][i];
          v[k][i] = b2 * v[k][i] + (1 - b2) * g[k][i] ** 2;
          p[k][i] -= (lr / (1 - b1 ** t)) * m[k][i] / (Math.sqrt(v[k][i]) / Math.sqrt(1 - b2 ** t) + eps);
        }
      }
      const { loss } = model.trainStep(batch, { optimizer: { type: "adam", lr, beta1: b1, beta2: b2, eps }, clipNorm: maxNorm });
      losses.push(loss);
      const r = checkTensor(`loss at step ${t}`, [loss], [ref.loss], { atol: 1e-5, rtol: 1e-4 });
      assert.ok(r.ok, r.message);
    }
    assert.ok(losses[9] < 0.8 * losses[0], `training lowers the loss (${losses[0]} → ${losses[9]})`);
  } finally {
    model.dispose();
  }
});

// ── weight decay ───────────────────────────────────────────────────────────────────────

/**
 * torch.optim's step, transcribed from PyTorch's documented algorithms in f64 (not from the
 * module's code: Adam's first moment is PyTorch's lerp form m + (1 − β1)(g − m)), with one
 * parameter group per λ, as a PyTorch user who spares the biases writes it:
 *
 *   torch.optim.AdamW([{"params": [U, W, V]}, {"params": [b, c], "weight_decay": 0}], lr=…, weight_decay=λ)
 *
 * SGD    (torch.optim.SGD, dampening 0):  d_p = g + λ·p;  buf = d_p (first step) or μ·buf + d_p;  p −= lr·buf (or lr·d_p when μ = 0)
 * Adam   (torch.optim.Adam):   g = g + λ·p, then Adam
 * AdamW  (torch.optim.AdamW):  p = p·(1 − lr·λ), then Adam on g
 *
 * `step(p, g)` returns the parameters PyTorch would have after the step from p with gradient g
 * (both { U, W, b, V, c } of f64 arrays) and keeps its state (buffers, moments, step count).
 */
class TorchOptimizer {
  constructor(type, { lr, momentum = 0, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay }, decayOf) {
    Object.assign(this, { type, lr, momentum, beta1, beta2, eps, weightDecay, decayOf, t: 0, state: {} });
  }

  step(p, g) {
    const { type, lr, momentum, beta1, beta2, eps } = this;
    this.t++;
    const out = {};
    for (const k of TENSORS) {
      const wd = this.decayOf(k) ? this.weightDecay : 0;
      const s = (this.state[k] ??= { buf: null, m: new Float64Array(p[k].length), v: new Float64Array(p[k].length) });
      const q = Float64Array.from(p[k]);
      if (type === "sgd") {
        const dp = q.map((x, i) => g[k][i] + wd * x);
        let step = dp;
        if (momentum !== 0) step = s.buf = s.buf === null ? dp.slice() : s.buf.map((b, i) => momentum * b + dp[i]);
        out[k] = q.map((x, i) => x - lr * step[i]);
        continue;
      }
      if (type === "adamw") for (let i = 0; i < q.length; i++) q[i] *= 1 - lr * wd;
      const grad = type === "adam" ? g[k].map((x, i) => x + wd * q[i]) : g[k];
      const bc1 = 1 - beta1 ** this.t, bc2 = 1 - beta2 ** this.t;
      out[k] = q.map((x, i) => {
        s.m[i] += (1 - beta1) * (grad[i] - s.m[i]);
        s.v[i] = beta2 * s.v[i] + (1 - beta2) * grad[i] * grad[i];
        return x - (lr / bc1) * s.m[i] / (Math.sqrt(s.v[i]) / Math.sqrt(bc2) + eps);
      });
    }
    return out;
  }
}

const isBias = (k) => k === "b" || k === "c";

/** The largest |got − want| over the biases, in units of the tolerance (> 1: outside it). */
function biasGap(got, want) {
  let worst = 0;
  for (const k of ["b", "c"]) for (let i = 0; i < want[k].length; i++) {
    worst = Math.max(worst, Math.abs(got[k][i] - want[k][i]) / (PARAMS.atol + PARAMS.rtol * Math.abs(want[k][i])));
  }
  return worst;
}

/**
 * `steps` trainSteps with `optimizer` against torch.optim's steps with the biases spared
 * (the default) or decayed (decayBiases: true); the other grouping is run alongside, and the
 * biases must end far outside the tolerance of its prediction, so the check can tell them apart.
 */
async function checkDecay(optimizer, steps, label) {
  const { model, probe, dispose } = await pair();
  try {
    const { type, decayBiases = false, ...h } = optimizer;
    const weightDecay = h.weightDecay ?? (type === "adamw" ? 0.01 : 0);
    const hyper = { lr: type === "sgd" ? 0.01 : 0.001, ...h, weightDecay };
    const spared = new TorchOptimizer(type, hyper, (k) => !isBias(k));
    const all = new TorchOptimizer(type, hyper, () => true);
    const [right, other] = decayBiases ? [all, spared] : [spared, all];
    let gap = 0;
    for (let t = 1; t <= steps; t++) {
      const { p, g } = gradientAt(model, probe);
      const want = right.step(p, g);
      const alternative = other.step(p, g);
      model.trainStep(BATCH, { optimizer });
      expectParameters(model, want, p, `${label} step ${t}`);
      gap = biasGap(model.parameters(), alternative);
    }
    assert.ok(gap > 20, `${label}: the biases after step ${steps} must be far from the ${decayBiases ? "undecayed" : "decayed"} biases' prediction (${gap.toFixed(1)}× the tolerance)`);
  } finally {
    dispose();
  }
}

test("SGD with weightDecay: d_p = g + λ·p on U, W, V; the biases b, c do not decay by default", () =>
  checkDecay({ type: "sgd", lr: 0.3, weightDecay: 0.2 }, 3, "sgd λ 0.2"));

test("SGD with momentum and weightDecay over four steps: the decayed gradient goes into the buffer", () =>
  checkDecay({ type: "sgd", lr: 0.3, momentum: 0.9, weightDecay: 0.2 }, 4, "momentum λ 0.2"));

test("SGD with momentum, weightDecay and decayBiases: every tensor decays (PyTorch's one group)", () =>
  checkDecay({ type: "sgd", lr: 0.3, momentum: 0.9, weightDecay: 0.2, decayBiases: true }, 4, "momentum λ 0.2, biases too"));

test("Adam with weightDecay is L2 (torch.optim.Adam): g + λ·p before the moments, over four steps", () =>
  checkDecay({ type: "adam", lr: 0.01, weightDecay: 0.5 }, 4, "adam λ 0.5"));

test("AdamW (torch.optim.AdamW): p·(1 − lr·λ), then Adam, over four steps; biases spared by default", () =>
  checkDecay({ type: "adamw", lr: 0.02, weightDecay: 0.5 }, 4, "adamw λ 0.5"));

test("AdamW with decayBiases, other betas and eps", () =>
  checkDecay({ type: "adamw", lr: 0.02, beta1: 0.5, beta2: 0.9, eps: 1e-3, weightDecay: 0.5, decayBiases: true }, 4, "adamw λ 0.5, biases too"));

test("AdamW's default weightDecay is 0.01 (PyTorch's): four steps against λ = 0.01, which is not plain Adam", async () => {
  const { model, probe, dispose } = await pair();
  try {
    const torch = new TorchOptimizer("adamw", { lr: 0.05, weightDecay: 0.01 }, (k) => !isBias(k));
    const adam = new TorchOptimizer("adam", { lr: 0.05, weightDecay: 0 }, () => false);
    let apart = 0;
    for (let t = 1; t <= 4; t++) {
      const { p, g } = gradientAt(model, probe);
      const want = torch.step(p, g), plain = adam.step(p, g);
      model.trainStep(BATCH, { optimizer: { type: "adamw", lr: 0.05 } });
      expectParameters(model, want, p, `adamw default λ step ${t}`);
      const got = model.parameters();
      for (const k of ["U", "W", "V"]) for (let i = 0; i < got[k].length; i++) apart = Math.max(apart, Math.abs(got[k][i] - plain[k][i]));
    }
    assert.ok(apart > 1e-4, `the default decay moves the weights away from plain Adam's (by ${apart})`);
  } finally {
    dispose();
  }
});

test("weightDecay 0 (and AdamW with 0) gives the bits of the step without decay", async () => {
  const runs = [
    [{ type: "sgd", lr: 0.3, momentum: 0.9 }, { type: "sgd", lr: 0.3, momentum: 0.9, weightDecay: 0, decayBiases: true }],
    [{ type: "adam", lr: 0.01 }, { type: "adam", lr: 0.01, weightDecay: 0 }],
    [{ type: "adam", lr: 0.01 }, { type: "adamw", lr: 0.01, weightDecay: 0 }],
  ];
  for (const [plain, zero] of runs) {
    const a = await pair(), b = await pair();
    try {
      for (let t = 0; t < 3; t++) {
        a.model.trainStep(BATCH, { optimizer: plain });
        b.model.trainStep(BATCH, { optimizer: zero });
      }
      const pa = a.model.parameters(), pb = b.model.parameters();
      for (const k of TENSORS) assert.deepEqual(Buffer.from(pb[k].buffer), Buffer.from(pa[k].buffer), `${JSON.stringify(zero)}: ${k}`);
    } finally {
      a.dispose(); b.dispose();
    }
  }
});

test("fit passes weight decay through; adam ↔ adamw is a change of type (the state restarts, as for sgd ↔ adam)", async () => {
  const data = { inputs: BATCH.inputs, targets: BATCH.targets };
  const fitWith = async (optimizer) => {
    const { model, dispose } = await pair();
    try {
      model.fit(data, { epochs: 3, batchSize: 3, shuffle: false, optimizer });
      return { p: model.parameters(), type: JSON.parse(lib.readSafetensors(model.save()).metadata.optimizer).type };
    } finally {
      dispose();
    }
  };
  const decayed = await fitWith({ type: "adamw", lr: 0.02, weightDecay: 0.5 });
  const plain = await fitWith({ type: "adamw", lr: 0.02, weightDecay: 0 });
  assert.equal(decayed.type, "adamw");
  // Three AdamW steps shrink every weight by 1 − 0.02·0.5 = 0.99 each, besides the Adam steps.
  let apart = 0;
  for (const k of ["U", "W", "V"]) for (let i = 0; i < plain.p[k].length; i++) apart = Math.max(apart, Math.abs(decayed.p[k][i] - plain.p[k][i]));
  assert.ok(apart > 1e-3, `fit's weightDecay acts (largest difference ${apart})`);

  const { model, probe, dispose } = await pair();
  try {
    model.trainStep(BATCH, { optimizer: { type: "adam", lr: 0.01 } });
    model.trainStep(BATCH, { optimizer: { type: "adam", lr: 0.01 } });
    // Now AdamW: a first step again (t = 1, fresh moments): p·(1 − lr·λ) − lr·g/(|g| + eps) on the weights.
    const { p, g } = gradientAt(model, probe);
    model.trainStep(BATCH, { optimizer: { type: "adamw", lr: 0.01, weightDecay: 0.5 } });
    expectParameters(model, apply(p, g, (k, i, gi) => (isBias(k) ? 0 : p[k][i] * 0.01 * 0.5) + 0.01 * gi / (Math.abs(gi) + 1e-8)), p, "adamw after adam");
  } finally {
    dispose();
  }
});
