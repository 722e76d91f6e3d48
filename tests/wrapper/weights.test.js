/**
 * Weights and ignored targets (issue #14, item 2): config.ignoreIndex and config.classWeights
 * (softmax cross-entropy), and per-sequence sampleWeight on a batch or data set (every loss):
 *
 *     L = (1/B) Σ_i Σ_{scored t} ω_it · loss_it,   ω_it = sampleWeight[i] · classWeights[y_it] · [y_it ≠ ignoreIndex]
 *
 * Proven as the plain loss is (gradients.test.js): the f64 reference (tests/reference/rnn_ref.js,
 * lossWeightAt) is checked against central finite differences of its own loss, then the wasm
 * gradients (loss, U, W, b, V, c, h0) against the reference, on each module. Also: the
 * unweighted default is untouched (weights of 1 give the same bits), an ignored target may
 * lie outside 0..k−1, an all-ignored sequence contributes 0, validation refuses with an
 * RnnError and changes nothing, evaluate leaves ignored steps out of accuracy, the confusion
 * matrix and its counts, lossPerStep is PyTorch's reduction="mean", fit and truncated BPTT
 * carry the sample weights, and model files keep the loss options.
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { RNN, RnnError, makeBatches, cutSequences } from "../../dist/index.js";
import { lossAndGradients, lossOnly, stepLoss, forwardSequence, seededRandom, checkTensor, randomInputsTargets, randomParameters, centralDifferences } from "../reference/rnn_ref.js";
import { eachEngine } from "./fixtures/engines.js";

const TENSORS = ["U", "W", "b", "V", "c"];
const F32 = { atol: 1e-5, rtol: 1e-4 };               // as gradients.test.js
const FD = { atol: 1e-7, rtol: 1e-6, eps: 1e-6 };

/**
 * A case: config (with the loss options), f32-representable parameters, and a batch whose
 * softmax targets are partly replaced by the ignore value and which may carry sampleWeight.
 */
function makeCase({ act = "tanh", loss = "softmax-cross-entropy", task = "many-to-many", input = "ids", n = 5, d = 7, k = 3, lengths = [3, 1, 5, 2],
  ignoreIndex, classWeights, sampleWeight, ignoreEvery = 0, allIgnored = -1, withH0 = true, seed = 1 }) {
  const rand = seededRandom(seed);
  const u = (a) => Math.fround((2 * rand() - 1) * a);
  const cfg = { input, inputSize: n, hiddenSize: d, outputSize: k, task, hiddenActivation: act, loss, seed: 1 };
  if (ignoreIndex !== undefined) cfg.ignoreIndex = ignoreIndex;
  if (classWeights !== undefined) cfg.classWeights = classWeights;
  const params = randomParameters(u, { n, d, k });
  const batch = randomInputsTargets(rand, { loss, task, input, n, k, lengths });
  if (ignoreIndex !== undefined) {
    let count = 0;
    batch.targets = batch.targets.map((tgt, i) => {
      if (task === "many-to-one") return i === allIgnored || (ignoreEvery && count++ % ignoreEvery === 0) ? ignoreIndex : tgt;
      return tgt.map((y) => (i === allIgnored || (ignoreEvery && count++ % ignoreEvery === 0) ? ignoreIndex : y));
    });
  }
  if (withH0) batch.h0 = lengths.map(() => Array.from({ length: d }, () => u(0.8)));
  if (sampleWeight !== undefined) batch.sampleWeight = sampleWeight;
  return { cfg, params, batch };
}

const CASES = [
  // 1. ignored targets: outside 0..k−1 (PyTorch's −100), inside (class 0), a sequence all ignored
  { name: "ignoreIndex −100, every 3rd step ignored, one sequence all ignored", ignoreIndex: -100, ignoreEvery: 3, allIgnored: 1 },
  { name: "ignoreIndex 0 (a class), dense input", input: "dense", ignoreIndex: 0, ignoreEvery: 2 },
  { name: "ignoreIndex, many-to-one", task: "many-to-one", ignoreIndex: -1, allIgnored: 2, lengths: [3, 1, 5, 2, 4] },
  // 2. class weights
  { name: "classWeights", classWeights: [0.5, 2, 1.25] },
  { name: "classWeights with a 0 and ignoreIndex, relu, k = 9 (SIMD + tail)", act: "relu", k: 9, classWeights: [1, 0, 3, 0.5, 2, 1, 1, 0.25, 4], ignoreIndex: -100, ignoreEvery: 4 },
  { name: "classWeights, many-to-one", task: "many-to-one", classWeights: [3, 0.2, 1] },
  // 3. sample weights, every loss and task
  { name: "sampleWeight, softmax", sampleWeight: [0.5, 2, 0, 1.5] },
  { name: "sampleWeight, sigmoid BCE, k = 6", loss: "sigmoid-binary-cross-entropy", k: 6, sampleWeight: [2, 0.25, 1, 0] },
  { name: "sampleWeight, MSE, dense, many-to-one", loss: "mse", input: "dense", task: "many-to-one", k: 5, sampleWeight: [0.3, 0, 4, 1] },
  { name: "sampleWeight, MSE, sigmoid", loss: "mse", act: "sigmoid", k: 4, sampleWeight: [1, 3, 0.5, 2] },
  { name: "all three together", classWeights: [0.5, 2, 1.25], ignoreIndex: 7, ignoreEvery: 3, sampleWeight: [1.5, 0.75, 2, 0.5] },
];

for (const c of CASES) {
  test(`reference BPTT = finite differences: ${c.name}`, () => {
    const { cfg, params, batch } = makeCase(c);
    const { loss, grads } = lossAndGradients(cfg, params, batch);
    assert.ok(Math.abs(loss - lossOnly(cfg, params, batch)) <= 1e-12 * Math.max(1, Math.abs(loss)), "lossAndGradients and lossOnly agree");
    const d = cfg.hiddenSize;
    for (const name of [...TENSORS, "h0"]) {
      const isH0 = name === "h0";
      const flat = isH0 ? batch.h0.flat() : params[name].slice();
      const at = (values) => isH0
        ? lossOnly(cfg, params, { ...batch, h0: batch.h0.map((_, i) => values.slice(i * d, (i + 1) * d)) })
        : lossOnly(cfg, { ...params, [name]: values }, batch);
      const r = checkTensor(`reference d${name} vs finite differences`, grads[name], centralDifferences(flat, at, FD.eps), FD);
      assert.ok(r.ok, r.message);
    }
  });
}

// The weights really enter the reference: with them the loss is not the unweighted one.
test("the reference's loss depends on each option", () => {
  for (const c of CASES) {
    const { cfg, params, batch } = makeCase(c);
    const plain = { ...cfg };
    delete plain.ignoreIndex;
    delete plain.classWeights;
    const plainBatch = { ...batch, targets: batch.targets };
    delete plainBatch.sampleWeight;
    if (cfg.ignoreIndex !== undefined) continue;                     // the unweighted loss cannot read an ignored target
    assert.notEqual(lossOnly(cfg, params, batch), lossOnly(plain, params, plainBatch), c.name);
  }
});

eachEngine(describe, test, ({ engine }) => {
  for (const c of CASES) {
    test(`wasm = reference: ${c.name}`, async () => {
      const { cfg, params, batch } = makeCase(c);
      const model = await RNN.create(cfg, { engine });
      try {
        model.setParameters(params);
        const got = model.computeGradients(batch);
        const g = model.gradients();
        const want = lossAndGradients(cfg, params, batch);
        const close = (label, a, b) => { const r = checkTensor(label, a, b, F32); assert.ok(r.ok, r.message); };
        close("loss", [got.loss], [want.loss]);
        for (const name of TENSORS) close(`d${name}`, g[name], want.grads[name]);
        close("dh0", g.h0, want.grads.h0);
        close("computeLoss", [model.computeLoss(batch).loss], [want.loss]);
        // The next unweighted batch is unweighted again (the module's flag follows each batch).
        if (batch.sampleWeight && cfg.ignoreIndex === undefined && cfg.classWeights === undefined) {
          const plain = { ...batch };
          delete plain.sampleWeight;
          close("unweighted after weighted", [model.computeLoss(plain).loss], [lossOnly(cfg, params, plain)]);
        }
      } finally {
        model.dispose();
      }
    });
  }
});

test("the default is untouched: weights of 1 give the unweighted bits (softmax)", async () => {
  const { cfg, params, batch } = makeCase({ withH0: false, seed: 5 });
  const run = async (config, b) => {
    const m = await RNN.create(config);
    m.setParameters(params);
    const r = m.computeGradients(b);
    const g = m.gradients();
    m.dispose();
    return { loss: r.loss, g };
  };
  const plain = await run(cfg, batch);
  for (const [config, b] of [
    [cfg, { ...batch, sampleWeight: [1, 1, 1, 1] }],
    [{ ...cfg, classWeights: [1, 1, 1] }, batch],
    [{ ...cfg, ignoreIndex: -100 }, batch],                           // nothing equal to it: nothing ignored
  ]) {
    const w = await run(config, b);
    assert.equal(w.loss, plain.loss);
    for (const name of TENSORS) assert.deepEqual(w.g[name], plain.g[name], name);
  }
});

test("an all-ignored batch: loss 0, every gradient 0", async () => {
  const { cfg, params, batch } = makeCase({ ignoreIndex: -100, allIgnored: 0, lengths: [4], withH0: false });
  const m = await RNN.create(cfg);
  m.setParameters(params);
  assert.equal(m.computeGradients(batch).loss, 0);
  for (const name of TENSORS) assert.ok(m.gradients()[name].every((v) => v === 0), name);
  m.dispose();
});

test("PyTorch's weight + reduction='mean' from the library: lossPerStep, and gradients × B / Σω", async () => {
  const c = { classWeights: [0.5, 2, 1.25], ignoreIndex: -100, ignoreEvery: 3, withH0: false, lengths: [3, 4, 5, 2] };
  const { cfg, params, batch } = makeCase(c);
  // PyTorch's mean over the flattened steps: Σ w[y]·loss / Σ w[y], ignored steps left out.
  let num = 0, den = 0;
  batch.inputs.forEach((seq, i) => {
    const { o } = forwardSequence(cfg, params, seq);
    batch.targets[i].forEach((y, t) => {
      if (y === -100) return;
      num += cfg.classWeights[y] * stepLoss(cfg.loss, o[t], y).loss;
      den += cfg.classWeights[y];
    });
  });
  const m = await RNN.create(cfg);
  m.setParameters(params);
  const ev = m.evaluate({ inputs: batch.inputs, targets: batch.targets });
  assert.ok(Math.abs(ev.lossPerStep - num / den) <= 1e-5 * (num / den), `lossPerStep ${ev.lossPerStep} vs PyTorch mean ${num / den}`);
  const B = batch.inputs.length;
  assert.ok(Math.abs(m.computeLoss(batch).loss * B / den - num / den) <= 1e-5 * (num / den), "L·B/Σω is PyTorch's mean");
  m.dispose();
});

test("evaluate: ignored steps are left out of accuracy, the confusion matrix, scored and predictions keep their places", async () => {
  const cfg = { inputSize: 4, hiddenSize: 6, outputSize: 3, seed: 3, ignoreIndex: -100 };
  const m = await RNN.create(cfg);
  const inputs = [[0, 1, 2, 3], [3, 2], [1, 1, 0]];
  const predicted = m.evaluate({ inputs, targets: inputs.map((s) => s.map(() => 0)) }, { predictions: true }).predictions;
  // Targets: the prediction itself where kept (right), a wrong class elsewhere, −100 on some steps.
  const ignoredAt = new Set(["0:1", "0:3", "2:0"]);
  const wrongAt = new Set(["1:0"]);
  const targets = predicted.map((p, i) => p.map((y, t) => (ignoredAt.has(`${i}:${t}`) ? -100 : wrongAt.has(`${i}:${t}`) ? (y + 1) % 3 : y)));
  const ev = m.evaluate({ inputs, targets }, { predictions: true });
  assert.equal(ev.scored, 9 - 3);
  assert.equal(ev.accuracy, 5 / 6);
  assert.equal(ev.confusion.total, 6, "the confusion matrix counts only scored steps");
  assert.equal(ev.confusion.correct, 5);
  assert.deepEqual(ev.predictions, predicted, "predictions for every step, ignored ones included");
  // Many-to-one: an ignored sequence is not counted either.
  const m2 = await RNN.create({ ...cfg, task: "many-to-one" });
  const p2 = m2.evaluate({ inputs, targets: [0, 0, 0] }, { predictions: true }).predictions;
  const ev2 = m2.evaluate({ inputs, targets: [p2[0], -100, (p2[2] + 1) % 3] });
  assert.equal(ev2.scored, 2);
  assert.equal(ev2.accuracy, 0.5);
  m.dispose();
  m2.dispose();
});

test("fit and truncated BPTT carry sampleWeight; cutSequences copies it to every piece", async () => {
  const rand = seededRandom(11);
  const data = randomInputsTargets(rand, { loss: "softmax-cross-entropy", task: "many-to-many", input: "ids", n: 5, k: 3, lengths: [4, 6, 3, 5, 2] });
  data.sampleWeight = [1, 0.5, 2, 0, 3];
  const cfg = { inputSize: 5, hiddenSize: 6, outputSize: 3, seed: 4 };
  const opt = { optimizer: { type: "sgd", lr: 0.1 } };
  const a = await RNN.create(cfg), b = await RNN.create(cfg), c = await RNN.create(cfg);
  a.fit(data, { epochs: 1, batchSize: 8, shuffle: false, ...opt });
  const [batch] = makeBatches(data, { batchSize: 8 });
  assert.deepEqual(batch.sampleWeight, batch.indices.map((i) => data.sampleWeight[i]));
  b.trainStep(batch, opt);
  for (const name of TENSORS) assert.deepEqual(a.parameters()[name], b.parameters()[name], `fit = trainStep with the batch's sampleWeight (${name})`);
  const unweighted = { inputs: data.inputs, targets: data.targets };
  c.fit(unweighted, { epochs: 1, batchSize: 8, shuffle: false, ...opt });
  assert.notDeepEqual(a.parameters().W, c.parameters().W, "the weights change training");
  // tbptt with K ≥ T is the plain step, weights included.
  const d = await RNN.create(cfg);
  d.fit(data, { epochs: 1, batchSize: 8, shuffle: false, tbptt: 10, ...opt });
  for (const name of TENSORS) assert.deepEqual(d.parameters()[name], b.parameters()[name], `tbptt K ≥ T (${name})`);
  const cut = cutSequences(data, { maxLength: 3, mode: "windows" });
  assert.deepEqual(cut.sampleWeight, cut.source.map((i) => data.sampleWeight[i]));
  // evaluate weighs the loss too: a weight-0 example changes nothing, a doubled one counts twice.
  const ev = a.evaluate({ ...data, sampleWeight: [1, 1, 1, 1, 1] });
  const plainEv = a.evaluate(unweighted);
  assert.ok(Math.abs(ev.loss - plainEv.loss) <= 1e-6 * plainEv.loss);
  for (const m of [a, b, c, d]) m.dispose();
});

test("model files and toJSON keep ignoreIndex and classWeights; a default config is as before", async () => {
  const m = await RNN.create({ inputSize: 4, hiddenSize: 5, outputSize: 3, ignoreIndex: -100, classWeights: [1, 2, 0.5] });
  const back = await RNN.load(m.save());
  assert.equal(back.config.ignoreIndex, -100);
  assert.deepEqual([...back.config.classWeights], [1, 2, 0.5]);
  const batch = { inputs: [[0, 1, 2]], targets: [[2, -100, 1]] };
  assert.equal(back.computeLoss(batch).loss, m.computeLoss(batch).loss);
  assert.deepEqual(JSON.parse(JSON.stringify(m)).config.classWeights, [1, 2, 0.5]);
  const plain = await RNN.create({ inputSize: 4, hiddenSize: 5, outputSize: 3 });
  assert.ok(!("ignoreIndex" in plain.config) && !("classWeights" in plain.config));
  for (const x of [m, back, plain]) x.dispose();
});

/** Assert that `call` throws an RnnError matching every pattern. */
function refuses(call, ...patterns) {
  let caught;
  try { call(); } catch (e) { caught = e; }
  assert.ok(caught instanceof RnnError, `expected an RnnError, got ${caught?.constructor?.name}: ${caught?.message}`);
  for (const p of patterns) assert.match(caught.message, p);
}

test("validation: the config's loss options", async () => {
  const base = { inputSize: 4, hiddenSize: 5, outputSize: 3 };
  for (const [extra, ...patterns] of [
    [{ ignoreIndex: 1.5 }, /config\.ignoreIndex/, /integer/],
    [{ ignoreIndex: "x" }, /config\.ignoreIndex/],
    [{ ignoreIndex: -100, loss: "mse" }, /config\.ignoreIndex/, /softmax-cross-entropy/],
    [{ classWeights: [1, 2] }, /config\.classWeights/, /expected 3 numbers/],
    [{ classWeights: [1, -1, 1] }, /config\.classWeights\[1\]/, /≥ 0/],
    [{ classWeights: [1, NaN, 1] }, /config\.classWeights\[1\]/],
    [{ classWeights: [1, 1e39, 1] }, /config\.classWeights\[1\]/, /32-bit/],
    [{ classWeights: [1, 1e-50, 1] }, /config\.classWeights\[1\]/],
    [{ classWeights: [0, 0, 0] }, /config\.classWeights/, /every weight is 0/],
    [{ classWeights: [1, 1, 1], loss: "sigmoid-binary-cross-entropy" }, /config\.classWeights/, /softmax-cross-entropy/],
    [{ classWeights: 3 }, /config\.classWeights/],
  ]) {
    let caught;
    try { await RNN.create({ ...base, ...extra }); } catch (e) { caught = e; }
    assert.ok(caught instanceof RnnError, JSON.stringify(extra));
    for (const p of patterns) assert.match(caught.message, p, JSON.stringify(extra));
  }
});

test("validation: targets and sampleWeight are refused before any effect", async () => {
  const m = await RNN.create({ inputSize: 4, hiddenSize: 5, outputSize: 3, ignoreIndex: -100 });
  const opt = { optimizer: { type: "adam", lr: 0.1 } };
  m.trainStep({ inputs: [[0, 1]], targets: [[1, 2]] }, opt);
  const before = { p: m.parameters(), g: m.gradients(), step: m.save() };
  const inputs = [[0, 1, 2], [3]];
  for (const [batch, ...patterns] of [
    [{ inputs, targets: [[0, -1, 1], [2]] }, /batch\.targets\[0\]\[1\]/, /or -100 \(ignoreIndex/],
    [{ inputs, targets: [[0, 1, 1], [2]], sampleWeight: [1] }, /batch\.sampleWeight/, /expected 2 weights/],
    [{ inputs, targets: [[0, 1, 1], [2]], sampleWeight: [1, -2] }, /batch\.sampleWeight\[1\]/, /≥ 0/],
    [{ inputs, targets: [[0, 1, 1], [2]], sampleWeight: [1, NaN] }, /batch\.sampleWeight\[1\]/],
    [{ inputs, targets: [[0, 1, 1], [2]], sampleWeight: [1e39, 1] }, /batch\.sampleWeight\[0\]/, /32-bit/],
    [{ inputs, targets: [[0, 1, 1], [2]], sampleWeight: "no" }, /batch\.sampleWeight/],
    [{ inputs, targets: [[0, 1, 1], [2]], weights: [1, 1] }, /batch\.weights: unknown option/],
  ]) {
    refuses(() => m.trainStep(batch, opt), ...patterns);
    refuses(() => m.computeGradients(batch), ...patterns);
  }
  const data = { inputs, targets: [[0, 1, 1], [2]] };
  refuses(() => m.fit({ ...data, sampleWeight: [1, 2, 3] }, opt), /fit data\.sampleWeight/, /expected 2 weights/);
  refuses(() => m.fit({ ...data, sampleWeight: [1, -1] }, opt), /fit data\.sampleWeight\[1\]/);
  refuses(() => m.evaluate({ ...data, sampleWeight: [1, Infinity] }), /evaluate data\.sampleWeight\[1\]/);
  refuses(() => m.fit({ ...data, weights: [1, 1] }, opt), /fit data\.weights: unknown option/);
  const after = m.parameters();
  for (const name of TENSORS) {
    assert.deepEqual(after[name], before.p[name], `${name} unchanged`);
    assert.deepEqual(m.gradients()[name], before.g[name], `d${name} unchanged`);
  }
  assert.deepEqual(m.save(), before.step, "optimizer state and step count unchanged");
  m.dispose();
});

test("docs/training.md's example runs as printed", async () => {
  const model = await RNN.create({
    inputSize: 5, hiddenSize: 8, outputSize: 3, seed: 1,
    ignoreIndex: -100, classWeights: [1, 2, 0.5],
  });
  const data = { inputs: [[0, 1, 2], [3, 4]], targets: [[1, -100, 2], [0, 0]], sampleWeight: [1, 0.5] };
  model.fit(data, { epochs: 2, batchSize: 2 });
  const { scored, lossPerStep } = model.evaluate(data);
  assert.equal(scored, 4);
  assert.ok(Number.isFinite(lossPerStep));
  model.dispose();
});
