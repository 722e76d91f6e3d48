/**
 * Pooling for many-to-one (issue #14, item 7) through the public API. With y_t = [s→_t ; s←_t]
 * the top layer's output, the head reads
 *     last   [s→_{len−1} ; s←_0] (the default, PyTorch's h_n)
 *     mean   (Σ_{t<len} y_t) / len          max   per feature, max_{t<len} y_t[j] (first step of a tie)
 * over each sequence's real steps.
 *   1. the grid {last, mean, max} × L ∈ {1, 2} × bidirectional, inputs cycling over ids with an
 *      embedding and bags, dense, and ids with bags; ragged lengths with a 1: loss, every
 *      gradient, dh0, finalState, forward = the f64 reference (itself checked against its own
 *      f64 finite differences on every entry), and central differences of the model's own
 *      computeLoss (max: the reference's truncation on the same step is added, so a max that
 *      moves to another step inside ±ε does not fail the case);
 *   2. exact ties of the max (relu, W = 0, a repeated id): the gradient goes to the FIRST step,
 *      seen in dW (the tied steps read different previous states);
 *   3. `pooling: "last"` is the default, bit for bit; padding invariance; every sequence of
 *      length 1 (mean = max = last);
 *   4. pooling on many-to-many is refused, as is an unknown pooling.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { RNN } from "../../dist/index.js";
import * as deep from "../reference/deep_ref.js";
import { ACTIVATIONS, LOSSES, expectClose, showWorst, bits, F32, checkFiniteDifferences, checkForward } from "./fixtures/deep_cases.js";
import { makeCase14, name14, checkPass, checkReferenceByFiniteDifferences, checkPaddedBatch } from "./fixtures/io14_cases.js";

after(() => console.log(`max differences: ${showWorst()}`));

const INPUTS = [
  { input: "ids", embeddingSize: 4, bags: "mixed" },
  { input: "dense" },
  { input: "ids", bags: "mixed" },
];

const GRID = [];
{
  let seed = 14400, li = 0;
  for (const pooling of ["last", "mean", "max"])
    for (const layers of [1, 2])
      for (const bidirectional of [false, true]) {
        GRID.push({ act: ACTIVATIONS[li % 3], loss: LOSSES[(li + 1) % 3], task: "many-to-one", ...INPUTS[(li + (li >> 2)) % 3], layers, bidirectional, pooling,
          n: 7, d: 3, k: 5, lengths: [3, 1, 5, 3], withH0: li % 3 !== 1, seed: seed++ });
        li++;
      }
  // Wider (SIMD bodies and tails over D·d), a batch of 6.
  GRID.push({ act: "tanh", loss: "softmax-cross-entropy", task: "many-to-one", input: "ids", embeddingSize: 6, bags: "mixed", layers: 2, bidirectional: true, pooling: "max", n: 11, d: 9, k: 4, lengths: [6, 2, 1, 6, 4, 3], withH0: true, seed: 14490 });
  GRID.push({ act: "sigmoid", loss: "mse", task: "many-to-one", input: "dense", layers: 1, bidirectional: true, pooling: "mean", n: 10, d: 13, k: 3, lengths: [7, 1, 4], withH0: false, seed: 14491 });
}

/** Smallest gap between the max and the runner-up over every (sequence, feature) of the reference, exact ties excluded. */
function maxMargin(cfg, params, refBatch) {
  let margin = Infinity;
  refBatch.inputs.forEach((seq, i) => {
    const fw = deep.forwardSequence(cfg, params, seq, refBatch.h0?.map((s) => s[i]));
    const top = fw.layers[fw.layers.length - 1].out;
    for (let j = 0; j < top[0].length; j++) {
      const v = top.map((y) => y[j]).sort((a, b) => b - a);
      if (v.length > 1 && v[0] !== v[1]) margin = Math.min(margin, v[0] - v[1]);
    }
  });
  return margin;
}

for (const c of GRID) {
  test(`pooling: gradients = reference = finite differences: ${name14(c)}`, async () => {
    const { cfg, params, batch, refBatch } = makeCase14(c);
    // The f32 model and the f64 reference must pick the same step of each max: no near-tie.
    if (c.pooling === "max") assert.ok(maxMargin(cfg, params, refBatch) > 1e-4, "the case has no near-tie of the max (choose another seed)");
    if (c.d <= 4) checkReferenceByFiniteDifferences(cfg, params, refBatch);
    const model = await RNN.create(cfg);
    try {
      assert.equal(model.config.pooling, c.pooling);
      model.computeGradients(batch);
      model.setParameters(params);
      const got = model.computeGradients(batch);
      const g = model.gradients();
      const want = checkPass(model, cfg, params, refBatch, got, {}, `${c.pooling} `);
      expectClose("computeLoss", [model.computeLoss(batch).loss], [want.loss], F32, `${c.pooling} loss`);
      checkForward(model, cfg, params, batch, refBatch, `${c.pooling} `);
      checkFiniteDifferences(model, cfg, params, batch, refBatch, g, want, c.seed + 1);
    } finally {
      model.dispose();
    }
  });
}

test("the reference's pooled vector is the mean / the max of y_t over the real steps (by hand)", () => {
  const c = { act: "tanh", loss: "mse", task: "many-to-one", input: "dense", layers: 1, bidirectional: true, n: 2, d: 2, k: 1, lengths: [4], withH0: false, seed: 14495 };
  const { cfg, params, refBatch } = makeCase14(c);
  const fw = deep.forwardSequence({ ...cfg, pooling: "last" }, params, refBatch.inputs[0]);
  const y = fw.layers[0].out.map((v) => Array.from(v));
  const mean = deep.forwardSequence({ ...cfg, pooling: "mean" }, params, refBatch.inputs[0]).heads[0].y;
  const max = deep.forwardSequence({ ...cfg, pooling: "max" }, params, refBatch.inputs[0]).heads[0].y;
  for (let j = 0; j < 4; j++) {
    assert.ok(Math.abs(mean[j] - (y[0][j] + y[1][j] + y[2][j] + y[3][j]) / 4) < 1e-15, `mean[${j}]`);
    assert.equal(max[j], Math.max(y[0][j], y[1][j], y[2][j], y[3][j]), `max[${j}]`);
  }
  assert.throws(() => deep.lossAndGradients({ ...cfg, task: "many-to-many", pooling: "mean" }, params, refBatch), /many-to-one/);
});

// ───────────────────────────── ties of the max ─────────────────────────────

test("max pooling: an exact tie sends the gradient to the first step of the tie (dW tells the steps apart)", async () => {
  // relu, W = 0: s_t = relu(U[:, id_t] + b) exactly, so a repeated id gives bit-equal outputs
  // at its steps; the steps after it read different previous states, so dW differs by step.
  for (const bidirectional of [false, true]) {
    const d = 4, n = 5, D = bidirectional ? 2 : 1;
    const cfg = { input: "ids", inputSize: n, hiddenSize: d, outputSize: 3, task: "many-to-one", hiddenActivation: "relu", loss: "softmax-cross-entropy", bidirectional, pooling: "max", seed: 5 };
    const model = await RNN.create(cfg);
    try {
      const p = model.parameters();
      const f = (a) => Array.from(a, (x) => Math.fround(x));
      // U[a][id] grows with id: id 4 is the largest input of every unit, in both directions.
      p.U = f(Array.from({ length: d * n }, (_, i) => 0.1 * (i % n) + 0.01 * Math.floor(i / n)));
      p.b = f(Array.from({ length: d }, (_, i) => 0.05 * i));
      p.W = new Array(d * d).fill(0);
      if (bidirectional) {
        p.U_reverse = f(Array.from({ length: d * n }, (_, i) => 0.08 * (i % n) + 0.02 * Math.floor(i / n)));
        p.b_reverse = f(Array.from({ length: d }, (_, i) => 0.02 * i));
        p.W_reverse = new Array(d * d).fill(0);
      }
      p.V = f(Array.from({ length: 3 * D * d }, (_, i) => Math.sin(i + 1)));
      p.c = [0.1, -0.2, 0.05];
      const params = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Array.from(v)]));
      model.setParameters(params);
      // Id 4 has the largest column: it is the max, at steps 1 and 3 (sequence 0) and 0 and 2 (sequence 1).
      const batch = { inputs: [[0, 4, 2, 4, 1], [4, 3, 4]], targets: [2, 0], h0: [new Array(D * d).fill(0.5), new Array(D * d).fill(-0.3)] };
      const fw = deep.forwardSequence(cfg, params, batch.inputs[0], [batch.h0[0].slice(0, d), batch.h0[0].slice(d)]);
      const y = fw.layers[0].out;
      for (let j = 0; j < D * d; j++) assert.equal(y[1][j], y[3][j], "an exact tie in f64");
      assert.deepEqual(Array.from(fw.heads[0].arg), new Array(D * d).fill(1), "the reference reads the first step of the tie");
      const refBatch = { ...batch, h0: Array.from({ length: D }, (_, s) => batch.h0.map((h) => h.slice(s * d, (s + 1) * d))) };
      const got = model.computeGradients(batch);
      const want = checkPass(model, cfg, params, refBatch, got, {}, "tie ");
      // The other rule (last step of a tie) gives another dW: the check can tell them apart.
      const dW = model.gradients().W;
      const wrong = deep.lossAndGradients(cfg, params, { ...refBatch, inputs: [[0, 3, 2, 4, 1], [3, 3, 4]] }).grads.W;
      assert.ok(dW.some((v, i) => Math.abs(v - wrong[i]) > 1e-3), "dW depends on which tied step receives the gradient");
      assert.ok(want.grads.W.some((v) => v !== 0), "dW is not zero");
    } finally {
      model.dispose();
    }
  }
});

// ───────────────────────────── defaults, padding, length 1 ─────────────────────────────

test('pooling "last" is the default: bit-identical losses, gradients and outputs', async () => {
  const c = { act: "tanh", loss: "softmax-cross-entropy", task: "many-to-one", input: "ids", embeddingSize: 3, bags: "mixed", layers: 2, bidirectional: true, n: 6, d: 4, k: 3, lengths: [3, 1, 4], withH0: true, seed: 14500 };
  const { cfg, params, batch } = makeCase14(c);
  const a = await RNN.create(cfg), b = await RNN.create({ ...cfg, pooling: "last" });
  try {
    a.setParameters(params);
    b.setParameters(params);
    assert.equal(a.computeGradients(batch).loss, b.computeGradients(batch).loss);
    for (const [k, v] of Object.entries(a.gradients())) assert.deepEqual(bits(v), bits(b.gradients()[k]), `d${k}`);
    assert.deepEqual(a.predict(batch.inputs).map((r) => bits(r[0])), b.predict(batch.inputs).map((r) => bits(r[0])));
  } finally {
    a.dispose();
    b.dispose();
  }
});

for (const pooling of ["mean", "max"]) {
  test(`pooling ${pooling}: a padded batch = each sequence alone (bidirectional, ragged)`, async () => {
    const c = { act: "tanh", loss: "softmax-cross-entropy", task: "many-to-one", input: "dense", layers: 2, bidirectional: true, pooling, n: 4, d: 6, k: 3, lengths: [2, 7, 1, 4, 7], withH0: true, seed: 14510 };
    await checkPaddedBatch(c);
  });
}

test("every sequence of length 1: mean and max pooling = the unidirectional last state, bit for bit", async () => {
  const c = { act: "sigmoid", loss: "mse", task: "many-to-one", input: "ids", embeddingSize: 3, bags: "all", layers: 2, bidirectional: false, n: 5, d: 4, k: 2, lengths: [1, 1, 1], withH0: true, seed: 14520 };
  const { cfg, params, batch } = makeCase14(c);
  const results = [];
  for (const pooling of ["last", "mean", "max"]) {
    const model = await RNN.create({ ...cfg, pooling });
    model.setParameters(params);
    const r = model.computeGradients(batch);
    results.push({ loss: r.loss, g: Object.fromEntries(Object.entries(model.gradients()).map(([k, v]) => [k, bits(v)])) });
    model.dispose();
  }
  assert.deepEqual(results[1], results[0], "mean over one step = last");
  assert.deepEqual(results[2], results[0], "max over one step = last");
});

// ───────────────────────────── validation ─────────────────────────────

test("pooling is refused on many-to-many and when unknown", async () => {
  const base = { input: "ids", inputSize: 5, hiddenSize: 3, outputSize: 2 };
  for (const pooling of ["mean", "max"]) {
    await assert.rejects(RNN.create({ ...base, pooling }), (e) => e.name === "RnnError" &&
      e.message === 'config.pooling: only for task "many-to-one" (a many-to-many head reads every step), not "many-to-many"');
  }
  await assert.rejects(RNN.create({ ...base, task: "many-to-one", pooling: "sum" }), /^RnnError: config\.pooling: expected one of "last", "mean", "max", got "sum"$/);
  // "last" on many-to-many is the default behaviour, accepted.
  const m = await RNN.create({ ...base, pooling: "last" });
  assert.equal(m.config.pooling, "last");
  m.dispose();
});

test("stepper and truncated BPTT refuse a pooling model (its output reads every step), naming the pooling, and change nothing", async () => {
  const { trainTruncated } = await import("../../dist/index.js");
  for (const pooling of ["mean", "max"]) {
    const m = await RNN.create({ inputSize: 6, hiddenSize: 4, outputSize: 3, task: "many-to-one", pooling, seed: 2 });
    const before = m.save();
    const data = { inputs: [[1, 2, 3], [4, 5]], targets: [2, 0] };
    assert.throws(() => m.stepper(), new RegExp(`^RnnError: stepper: this model pools over every step \\(pooling "${pooling}"\\); streaming needs a model whose output reads the last state$`));
    assert.throws(() => trainTruncated(m, data, 2), /^RnnError: tbptt: this model pools over every step/);
    assert.throws(() => m.fit(data, { epochs: 1, tbptt: 2 }), /^RnnError: fit options\.tbptt: this model pools over every step/);
    assert.deepEqual(m.save(), before, "nothing changed");
    m.dispose();
  }
  const last = await RNN.create({ inputSize: 6, hiddenSize: 4, outputSize: 3, task: "many-to-one", pooling: "last", seed: 2 });
  assert.equal(last.stepper().feed([1, 2, 3]).length, 1, "pooling \"last\" streams as before");
  last.dispose();
});
