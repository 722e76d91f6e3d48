/**
 * Training deep and bidirectional models (issue #12) through the public API:
 *   - save / load resumes bit-exactly: 2 Adam steps, save, load, 2 more = 4 straight — the
 *     parameters, every loss, the generator (dropout masks) and the next step — for a 2-layer
 *     bidirectional model with an embedding and dropout, and a 3-layer bidirectional dense one;
 *   - a 2-layer bidirectional many-to-one classifier and an embedding tagger learn toy tasks:
 *     the held-out loss falls by a stated factor within a few hundred small steps.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RNN } from "../../dist/index.js";
import { seededRandom } from "../reference/rnn_ref.js";
import { makeCase, nameOf, bits, fileMetadata } from "./fixtures/deep_cases.js";

const RESUME = [
  { act: "tanh", loss: "softmax-cross-entropy", task: "many-to-one", input: "ids", embeddingSize: 4, layers: 2, bidirectional: true, dropout: 0.25, n: 9, d: 6, k: 3, lengths: [5, 2, 7, 1, 4], withH0: false, seed: 801 },
  { act: "relu", loss: "mse", task: "many-to-many", input: "dense", layers: 3, bidirectional: true, n: 4, d: 5, k: 2, lengths: [3, 6, 1, 4], withH0: true, seed: 802 },
];

/** Four different batches of the case's shape (seeds seed..seed+3). */
const batchesOf = (c) => [0, 1, 2, 3].map((s) => makeCase({ ...c, seed: c.seed + s }).batch);

for (const c of RESUME) {
  test(`save/load resumes bit-exactly: 2 Adam steps, save, load, 2 more = 4 straight: ${nameOf(c)}`, async () => {
    const { cfg } = makeCase(c);
    const batches = batchesOf(c);
    const opt = { optimizer: { type: "adam", lr: 0.01 }, clipNorm: 5 };

    const straight = await RNN.create(cfg);
    const first = await RNN.create(cfg);
    let resumed;
    try {
      const a = batches.map((b) => straight.trainStep(b, opt).loss);
      const b = batches.slice(0, 2).map((x) => first.trainStep(x, opt).loss);
      const file = first.save();
      resumed = await RNN.load(file);
      assert.deepEqual(resumed.config, first.config, "the config (layers, bidirectional, embeddingSize, dropout) survives");
      b.push(...batches.slice(2).map((x) => resumed.trainStep(x, opt).loss));
      assert.deepEqual(b, a, "every loss, bit for bit");
      const pa = straight.parameters(), pb = resumed.parameters();
      assert.deepEqual(Object.keys(pb), Object.keys(pa));
      for (const name of Object.keys(pa)) assert.deepEqual(bits(pb[name]), bits(pa[name]), `${name} bit-identical after resuming`);
      assert.equal(fileMetadata(resumed.save()).rng, fileMetadata(straight.save()).rng, "the generator state");
      // One more step: the optimizer's moments and step count came back too.
      const next = [straight, resumed].map((m) => m.trainStep(batches[0], opt).loss);
      assert.equal(next[1], next[0], "a fifth step");
      for (const name of Object.keys(pa)) assert.deepEqual(bits(resumed.parameters()[name]), bits(straight.parameters()[name]), `${name} after a fifth step`);

      // Not vacuous: the steps moved the parameters, and a load without the optimizer state
      // (a fresh model with the saved parameters) does not follow the same path.
      const copy = await RNN.load(file);
      const fresh = await RNN.create(cfg);
      fresh.setParameters(copy.parameters());
      for (const x of batches.slice(2)) fresh.trainStep(x, opt);
      assert.notDeepEqual(bits(fresh.parameters().V), bits(pa.V), "without the saved moments (and generator) the parameters differ");
      assert.notDeepEqual(bits(copy.parameters().V), bits(pa.V), "the last two steps moved V");
      copy.dispose();
      fresh.dispose();
    } finally {
      straight.dispose();
      first.dispose();
      resumed?.dispose();
    }
  });
}

// ───────────────────────────── learning ─────────────────────────────

/** Ids sequences of random lengths in [lo, hi], tokens in 0..n−1. */
function sequences(rand, count, n, lo, hi) {
  return Array.from({ length: count }, () => Array.from({ length: lo + Math.floor(rand() * (hi - lo + 1)) }, () => Math.floor(rand() * n)));
}

test("a 2-layer bidirectional many-to-one model learns a toy task: held-out loss falls ≥ 20× (class = first token mod 3)", async () => {
  const rand = seededRandom(21);
  const make = (count) => {
    const inputs = sequences(rand, count, 6, 3, 9);
    return { inputs, targets: inputs.map((s) => s[0] % 3) };
  };
  const train = make(256), held = make(64);
  const model = await RNN.create({ inputSize: 6, hiddenSize: 12, outputSize: 3, task: "many-to-one", layers: 2, bidirectional: true, seed: 4 });
  try {
    const before = model.evaluate(held).loss;
    model.fit(train, { epochs: 6, batchSize: 16, optimizer: { type: "adam", lr: 0.02 }, seed: 1 });
    const afterLoss = model.evaluate(held).loss;
    console.log(`bidirectional many-to-one: held-out loss ${before.toFixed(4)} → ${afterLoss.toFixed(4)}`);
    assert.ok(afterLoss * 20 <= before, `held-out loss ${before} → ${afterLoss}: not 20× lower`);
  } finally {
    model.dispose();
  }
});

test("an embedding model learns a toy tagging task: held-out loss falls ≥ 20× (tag = previous token mod 4)", async () => {
  const rand = seededRandom(22);
  const make = (count) => {
    const inputs = sequences(rand, count, 10, 2, 8);
    return { inputs, targets: inputs.map((s) => s.map((_, t) => (t === 0 ? 0 : s[t - 1] % 4))) };
  };
  const train = make(256), held = make(64);
  const model = await RNN.create({ inputSize: 10, hiddenSize: 12, outputSize: 4, embeddingSize: 5, layers: 2, seed: 6 });
  try {
    const before = model.evaluate(held).loss;
    model.fit(train, { epochs: 6, batchSize: 16, optimizer: { type: "adam", lr: 0.02 }, seed: 1 });
    const afterLoss = model.evaluate(held).loss;
    console.log(`embedding tagger: held-out loss ${before.toFixed(4)} → ${afterLoss.toFixed(4)}`);
    assert.ok(afterLoss * 20 <= before, `held-out loss ${before} → ${afterLoss}: not 20× lower`);
  } finally {
    model.dispose();
  }
});
