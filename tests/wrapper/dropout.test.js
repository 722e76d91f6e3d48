/**
 * Dropout between layers (issue #12; CONTRACT "Dropout masks"), through the public API:
 *   1. the generator: a BigInt PCG32 (XSH RR 64/32) written here reproduces the model's own —
 *      a one-layer model's initial parameters bit for bit, a deep model's in table order at
 *      the contract's scales, E ~ N(0, 1), and the state a saved file records ("rng");
 *   2. mask replay: the masks of a gradient pass, drawn here from the file's "rng" in the
 *      contract's order (boundary, then row t·B + i over the padded T×B with rows sorted
 *      longest first, then feature; keep iff u ≥ p), given to deep_ref.js, give
 *      computeGradients's loss, every gradient, dh0 and (undropped) finalState, and
 *      trainStep's update; each pass advances the generator by exactly its draws;
 *   3. determinism: the same seed gives the same masks and losses; passes differ from each other;
 *   4. predict / forward / computeLoss / evaluate never drop: bit-identical to the same
 *      parameters at dropout 0, and they draw nothing;
 *   5. the expected activation scale is preserved: a statistical test (mean of a gradient that
 *      is linear in the masks over many passes, against its no-dropout value, within 4
 *      standard errors) that fails for a missing or wrong 1/(1 − p).
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { RNN } from "../../dist/index.js";
import * as deep from "../reference/deep_ref.js";
import { makeCase, nameOf, expectClose, showWorst, slotToSeq, slotsOf, PCG32, modelRng, replayMasks, bits, F32, checkSgdStep, checkInferenceNeverDrops } from "./fixtures/deep_cases.js";

after(() => console.log(`max differences: ${showWorst()}`));

// ───────────────────────────── 1. the generator ─────────────────────────────

/** uniform(lo, hi) as the module fills a tensor: lo + (hi − lo)·u in f32. */
const drawUniform = (g, a) => Math.fround(-a + Math.fround(Math.fround(2 * a) * g.uniform()));

test("the BigInt PCG32 is the model's generator: a one-layer model's initial parameters, bit for bit, and its file's rng", async () => {
  for (const [cfg, seed] of [[{ inputSize: 5, hiddenSize: 7, outputSize: 3 }, 0], [{ input: "dense", inputSize: 4, hiddenSize: 16, outputSize: 2 }, 2 ** 40 + 12345]]) {
    const model = await RNN.create({ ...cfg, seed });
    try {
      const g = PCG32.seeded(seed);
      const a = Math.fround(1 / Math.fround(Math.sqrt(cfg.hiddenSize)));
      const p = model.parameters();
      for (const name of ["U", "W", "b", "V", "c"]) {
        const want = Array.from(p[name], () => drawUniform(g, a));
        assert.deepEqual(bits(p[name]), bits(want), `${name} (seed ${seed})`);
      }
      assert.equal(modelRng(model).hex, g.hex, "the file's rng is the state after the initial draws");
    } finally {
      model.dispose();
    }
  }
});

test("a deep model's initial parameters: drawn in table order, U/W/b in ±1/√d, V/c in ±1/√(D·d)", async () => {
  for (const cfg of [
    { input: "ids", inputSize: 6, hiddenSize: 5, outputSize: 3, layers: 3, bidirectional: true, seed: 77 },
    { input: "dense", inputSize: 4, hiddenSize: 9, outputSize: 2, layers: 2, bidirectional: false, seed: 5 },
  ]) {
    const model = await RNN.create(cfg);
    try {
      const g = PCG32.seeded(cfg.seed);
      const D = cfg.bidirectional ? 2 : 1;
      const p = model.parameters();
      for (const row of deep.parameterTable(cfg)) {
        const a = Math.fround(1 / Math.sqrt(row.name === "V" || row.name === "c" ? D * cfg.hiddenSize : cfg.hiddenSize));
        const want = Array.from(p[row.name], () => drawUniform(g, a));
        // One ulp of slack for how the bound is rounded; the order of the draws is what counts.
        expectClose(`${row.name} at init (L=${cfg.layers}, D=${D})`, p[row.name], want, { atol: 2 ** -24, rtol: 2 ** -22 }, "init");
      }
      assert.equal(modelRng(model).hex, g.hex, "nothing else is drawn at create");
    } finally {
      model.dispose();
    }
  }
});

test("an embedding starts as N(0, 1) (nn.Embedding): mean, variance and P(|x| < 1) within 4 standard errors", async () => {
  const model = await RNN.create({ input: "ids", inputSize: 100, hiddenSize: 4, outputSize: 2, embeddingSize: 40, seed: 8 });
  try {
    const E = model.parameters().E;
    const N = E.length;
    const mean = E.reduce((s, x) => s + x, 0) / N;
    const variance = E.reduce((s, x) => s + (x - mean) ** 2, 0) / (N - 1);
    const inside = E.filter((x) => Math.abs(x) < 1).length / N;
    assert.ok(Math.abs(mean) < 4 / Math.sqrt(N), `mean ${mean}`);
    assert.ok(Math.abs(variance - 1) < 4 * Math.sqrt(2 / N), `variance ${variance}`);
    // N(0,1): 0.6827; a uniform of variance 1 would give 0.577.
    assert.ok(Math.abs(inside - 0.6827) < 4 * Math.sqrt((0.6827 * 0.3173) / N), `P(|x| < 1) = ${inside}`);
    assert.ok(new Set(E).size > N * 0.99, "the entries differ");
  } finally {
    model.dispose();
  }
});

// ───────────────────────────── 2. mask replay ─────────────────────────────

const REPLAY = [
  { act: "tanh", loss: "softmax-cross-entropy", task: "many-to-many", input: "ids", embeddingSize: 4, layers: 2, bidirectional: false, n: 7, d: 5, k: 3, lengths: [3, 1, 4, 3], withH0: true, seed: 601, dropout: 0.5 },
  { act: "relu", loss: "mse", task: "many-to-one", input: "dense", layers: 3, bidirectional: true, n: 4, d: 6, k: 2, lengths: [2, 5, 1, 4], withH0: true, seed: 602, dropout: 0.25 },
  { act: "sigmoid", loss: "sigmoid-binary-cross-entropy", task: "many-to-many", input: "ids", layers: 2, bidirectional: true, n: 6, d: 9, k: 4, lengths: [4, 2, 4, 1, 3], withH0: false, seed: 603, dropout: 0.3 },
  { act: "tanh", loss: "softmax-cross-entropy", task: "many-to-one", input: "ids", embeddingSize: 3, layers: 3, bidirectional: true, n: 5, d: 4, k: 3, lengths: [1, 6, 3], withH0: true, seed: 604, dropout: 0.75 },
];

/** Check one gradient pass (already run, result `got`) against the reference with `masks`. */
function checkPass(model, c, cfg, params, refBatch, masks, got) {
  const B = c.lengths.length, slots = slotsOf(cfg);
  const want = deep.lossAndGradients(cfg, params, refBatch, { dropout: { p: c.dropout, masks } });
  expectClose("loss", [got.loss], [want.loss], F32, "replay loss");
  const g = model.gradients();
  for (const name of Object.keys(params)) expectClose(`d${name}`, g[name], want.grads[name], F32, "replay grads");
  if (c.withH0) expectClose("dh0", g.h0, slotToSeq(want.grads.h0, slots, B, c.d), F32, "replay grads");
  expectClose("finalState (undropped layer outputs)", got.finalState, slotToSeq(want.finalState, slots, B, c.d), F32, "replay finalState");
  return want;
}

for (const c of REPLAY) {
  test(`mask replay from the file's rng: computeGradients and trainStep = reference with those masks: ${nameOf(c)}`, async () => {
    const { cfg, params, batch, refBatch } = makeCase(c);
    const model = await RNN.create(cfg);
    try {
      model.setParameters(params);
      const T = Math.max(...c.lengths), B = c.lengths.length, D = c.bidirectional ? 2 : 1;
      const losses = [];
      for (let pass = 0; pass < 2; pass++) {
        const rng = modelRng(model);
        const { masks, draws } = replayMasks(rng, cfg, c.lengths, c.dropout);
        assert.equal(draws, (c.layers - 1) * T * B * D * c.d);
        const kept = masks.flat(3).reduce((s, m) => s + m, 0) / masks.flat(3).length;
        assert.ok(kept > 0 && kept < 1, "the masks keep some and drop some");
        const got = model.computeGradients(batch);
        checkPass(model, c, cfg, params, refBatch, masks, got);
        assert.equal(modelRng(model).hex, rng.hex, `pass ${pass}: the generator advanced by exactly (L − 1)·T·B·D·d = ${draws} draws`);
        losses.push(got.loss);
      }
      assert.notEqual(losses[0], losses[1], "each pass draws new masks");

      // trainStep draws its masks the same way; SGD then moves every parameter by −lr·g.
      const rng = modelRng(model);
      const { masks } = replayMasks(rng, cfg, c.lengths, c.dropout);
      checkSgdStep(model, cfg, params, batch, refBatch, rng, { dropout: { p: c.dropout, masks } }, 0.1);
    } finally {
      model.dispose();
    }
  });
}

test("mask replay can fail: masks of the wrong pass, or rows unsorted, give another loss", async () => {
  const c = REPLAY[1];
  const { cfg, params, batch, refBatch } = makeCase(c);
  const model = await RNN.create(cfg);
  try {
    model.setParameters(params);
    const rng = modelRng(model);
    const start = rng.state;
    const first = replayMasks(new PCG32(start), cfg, c.lengths, c.dropout).masks;
    const unsorted = replayMasks(new PCG32(start), cfg, c.lengths, c.dropout, { sorted: false }).masks;
    replayMasks(rng, cfg, c.lengths, c.dropout);
    const second = replayMasks(rng, cfg, c.lengths, c.dropout).masks;   // what the next pass will use
    const got = model.computeGradients(batch);
    const ref = (masks) => deep.lossAndGradients(cfg, params, refBatch, { dropout: { p: c.dropout, masks } }).loss;
    expectClose("loss with this pass's masks", [got.loss], [ref(first)], F32, "replay loss");
    assert.ok(Math.abs(got.loss - ref(second)) > 1e-3, "another pass's masks give another loss");
    assert.ok(Math.abs(got.loss - ref(unsorted)) > 1e-3, "masks of rows in the caller's order (not sorted) give another loss");
  } finally {
    model.dispose();
  }
});

// ───────────────────────────── 3. determinism ─────────────────────────────

test("the same seed gives the same masks: two models, three passes, bit-identical losses and gradients; passes differ", async () => {
  const c = REPLAY[2];
  const { cfg, params, batch } = makeCase(c);
  const runs = [];
  for (let m = 0; m < 2; m++) {
    const model = await RNN.create(cfg);
    model.setParameters(params);
    const out = [];
    for (let pass = 0; pass < 3; pass++) {
      const { loss } = model.computeGradients(batch);
      out.push({ loss, grads: model.gradients() });
    }
    model.dispose();
    runs.push(out);
  }
  for (let pass = 0; pass < 3; pass++) {
    assert.equal(runs[1][pass].loss, runs[0][pass].loss, `pass ${pass}: loss`);
    for (const name of Object.keys(params)) assert.deepEqual(bits(runs[1][pass].grads[name]), bits(runs[0][pass].grads[name]), `pass ${pass}: d${name}`);
  }
  assert.equal(new Set(runs[0].map((r) => r.loss)).size, 3, "three passes, three sets of masks");
  // Another seed, the same parameters: other masks.
  const other = await RNN.create({ ...cfg, seed: 2 });
  other.setParameters(params);
  assert.notEqual(other.computeGradients(batch).loss, runs[0][0].loss, "another seed draws other masks");
  other.dispose();
});

// ───────────────────────────── 4. inference never drops ─────────────────────────────

test("predict, forward, computeLoss and evaluate never drop: bit-identical to dropout 0, and they draw nothing", async () => {
  const c = { ...REPLAY[1], dropout: 0.5 };
  const { cfg, params, batch } = makeCase(c);
  const withDrop = await RNN.create(cfg);
  const without = await RNN.create({ ...cfg, dropout: 0 });
  try {
    withDrop.setParameters(params);
    without.setParameters(params);
    checkInferenceNeverDrops(withDrop, without, batch);
  } finally {
    withDrop.dispose();
    without.dispose();
  }
});

// ───────────────────────────── 5. the expected scale ─────────────────────────────

/**
 * A model whose output is linear in the dropout masks: layer 0 is a constant β (U = W = 0,
 * b = β, relu), layer 1 sums its D·d inputs (every row of U_l1 = 1/(D·d), W_l1 = 0, b_l1 = 0.1:
 * z > 0, relu is the identity), V averages, c = 0; MSE against 0, k = 1. Then
 * ∂L/∂c = (2/B) Σ_i Σ_t o_it, and o_it = 0.1 + (β/(D·d)) Σ_j m_j·s with s the dropout scale:
 * its expectation over masks is the no-dropout value iff E[m·s] = 1, i.e. s = 1/(1 − p).
 */
async function scaleModel(p, seed) {
  const d = 32, D = 2, beta = 0.5;
  const cfg = { input: "ids", inputSize: 3, hiddenSize: d, outputSize: 1, layers: 2, bidirectional: true, hiddenActivation: "relu", loss: "mse", task: "many-to-many", dropout: p, seed };
  const model = await RNN.create(cfg);
  const params = model.parameters();
  for (const [name, v] of Object.entries(params)) {
    if (/^[UW](_reverse)?$/.test(name)) v.fill(0);
    else if (/^b(_reverse)?$/.test(name)) v.fill(beta);
    else if (/^U_l1/.test(name)) v.fill(1 / (D * d));
    else if (/^W_l1/.test(name)) v.fill(0);
    else if (/^b_l1/.test(name)) v.fill(0.1);
    else if (name === "V") v.fill(1 / (D * d));
    else if (name === "c") v.fill(0);
  }
  model.setParameters(params);
  return model;
}

for (const p of [0.5, 0.2]) {
  test(`dropout p = ${p} keeps the expected activation: mean ∂L/∂c over 40 passes = its no-dropout value within 4 standard errors`, async () => {
    const model = await scaleModel(p, 11);
    const plain = await scaleModel(0, 11);
    try {
      const lengths = [6, 3, 6, 1, 5, 6, 2, 4];
      const batch = { inputs: lengths.map((len, i) => Array.from({ length: len }, (_, t) => (i + t) % 3)), targets: lengths.map((len) => Array.from({ length: len }, () => [0])) };
      plain.computeGradients(batch);
      const expected = plain.gradients().c[0];
      // By hand: o = 0.1 + 0.5 = 0.6 at every step, ∂L/∂c = (2/B)·0.6·Σ len.
      const rows = lengths.reduce((s, x) => s + x, 0);
      expectClose("no-dropout ∂L/∂c", [expected], [(2 / lengths.length) * 0.6 * rows], F32, "scale");
      const N = 40;
      const samples = Array.from({ length: N }, () => {
        model.computeGradients(batch);
        return model.gradients().c[0];
      });
      const mean = samples.reduce((s, x) => s + x, 0) / N;
      const sd = Math.sqrt(samples.reduce((s, x) => s + (x - mean) ** 2, 0) / (N - 1));
      const se = sd / Math.sqrt(N);
      assert.ok(sd > 0, "the masks vary between passes");
      assert.ok(Math.abs(mean - expected) <= 4 * se, `mean ∂L/∂c ${mean} vs no-dropout ${expected} (standard error ${se}): the expected activation is not preserved`);
      // The test has power: without the 1/(1 − p) scale the mean would be 0.1 + 0.5·(1 − p) per step.
      const unscaled = (2 / lengths.length) * (0.1 + 0.5 * (1 - p)) * rows;
      assert.ok(Math.abs(unscaled - expected) > 20 * se, "an unscaled dropout would be rejected");
      // And a 2% error in the scale would be too.
      assert.ok(0.02 * (expected - (2 / lengths.length) * 0.1 * rows) > 4 * se, "a 2% scale error would be rejected");
    } finally {
      model.dispose();
      plain.dispose();
    }
  });
}
