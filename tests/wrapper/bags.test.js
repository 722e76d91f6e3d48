/**
 * Feature bags (issue #14, item 1) through the public API. With input "ids" a step may be an
 * array of ids: x_t is multi-hot (a duplicate counts twice), U x_t — or, with embeddingSize,
 * layer 0's input E-row — is the SUM over the bag's ids; single ids and bags mix in a batch.
 *   1. the grid {embedding, none} × L ∈ {1, 2} × bidirectional × {many-to-many, many-to-one},
 *      bags mixed with single ids, ragged unsorted lengths with a 1: loss, every gradient, dh0,
 *      finalState and forward = the f64 reference (tests/reference/deep_ref.js, itself checked
 *      here against its own f64 finite differences on every entry), and central differences
 *      of the model's own computeLoss on sampled entries of every tensor and h0;
 *   2. a bag model = a dense model fed the multi-hot count vectors (same U): loss, gradients;
 *      a bag of one id = that id, bit for bit; a bag's order only changes rounding;
 *   3. padding invariance: each sequence alone (its own bag width) = its row in a batch;
 *   4. validation: an empty bag, an id out of range inside a bag (named inputs[i][t][f]), a
 *      non-integer; refused with nothing changed.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { RNN } from "../../dist/index.js";
import * as deep from "../reference/deep_ref.js";
import { ACTIVATIONS, LOSSES, TASKS, expectClose, showWorst, bits, modelRng, F32, checkFiniteDifferences, checkForward } from "./fixtures/deep_cases.js";
import { makeCase14, name14, checkPass, checkReferenceByFiniteDifferences, checkPaddedBatch } from "./fixtures/io14_cases.js";

after(() => console.log(`max differences: ${showWorst()}`));

const SIZES = { n: 7, d: 3, k: 5 };   // n, e, d, k pairwise distinct
const LENGTHS = [3, 1, 4, 3];

const GRID = [];
{
  let seed = 14100, li = 0;
  for (const embeddingSize of [4, undefined])
    for (const layers of [1, 2])
      for (const bidirectional of [false, true])
        for (const task of TASKS) {
          GRID.push({ act: ACTIVATIONS[li % 3], loss: LOSSES[(li + (li >> 2)) % 3], task, input: "ids", layers, bidirectional, embeddingSize, ...SIZES,
            lengths: LENGTHS, withH0: li % 3 !== 2, seed: seed++, bags: li % 4 === 3 ? "all" : "mixed" });
          li++;
        }
  // Wider: SIMD tails in d and e, a batch of 6 with a tie and a 1.
  GRID.push({ act: "tanh", loss: "softmax-cross-entropy", task: "many-to-many", input: "ids", embeddingSize: 9, layers: 2, bidirectional: true, n: 13, d: 11, k: 6, lengths: [5, 1, 3, 5, 2, 4], withH0: true, seed: 14190, bags: "mixed" });
  GRID.push({ act: "relu", loss: "mse", task: "many-to-one", input: "ids", layers: 2, bidirectional: false, n: 12, d: 10, k: 3, lengths: [2, 6, 1, 4], withH0: false, seed: 14191, bags: "all" });
}

for (const c of GRID) {
  test(`bags: gradients = reference = finite differences: ${name14(c)}`, async () => {
    const { cfg, params, batch, refBatch } = makeCase14(c);
    const small = c.d <= 4;
    if (small) checkReferenceByFiniteDifferences(cfg, params, refBatch);
    const model = await RNN.create(cfg);
    try {
      model.computeGradients(batch);   // a pass at other parameters: nothing may accumulate
      model.setParameters(params);
      const got = model.computeGradients(batch);
      const g = model.gradients();
      const want = checkPass(model, cfg, params, refBatch, got);
      expectClose("computeLoss", [model.computeLoss(batch).loss], [want.loss], F32, "loss");
      checkForward(model, cfg, params, batch, refBatch);
      checkFiniteDifferences(model, cfg, params, batch, refBatch, g, want, c.seed + 1);
    } finally {
      model.dispose();
    }
  });
}

// ───────────────────────────── bags = multi-hot dense ─────────────────────────────

/** The multi-hot count vector of a step (a single id or a bag). */
const multiHot = (x, n) => {
  const v = new Array(n).fill(0);
  for (const id of typeof x === "number" ? [x] : x) v[id] += 1;
  return v;
};

for (const c of [
  { act: "tanh", loss: "softmax-cross-entropy", task: "many-to-many", input: "ids", layers: 1, bidirectional: false, n: 9, d: 5, k: 4, lengths: [4, 2, 5, 1], withH0: true, seed: 14200, bags: "mixed" },
  { act: "sigmoid", loss: "mse", task: "many-to-one", input: "ids", layers: 2, bidirectional: true, n: 6, d: 4, k: 3, lengths: [3, 6, 1], withH0: false, seed: 14201, bags: "all", pooling: "mean" },
]) {
  test(`a bag model = a dense model on the multi-hot vectors (same parameters): ${name14(c)}`, async () => {
    const { cfg, params, batch } = makeCase14(c);
    const denseBatch = { ...batch, inputs: batch.inputs.map((seq) => seq.map((x) => multiHot(x, c.n))) };
    assert.ok(denseBatch.inputs.flat(2).some((v) => v === 2), "some step counts an id twice");
    const bag = await RNN.create(cfg), dense = await RNN.create({ ...cfg, input: "dense" });
    try {
      bag.setParameters(params);
      dense.setParameters(params);
      const a = bag.computeGradients(batch), b = dense.computeGradients(denseBatch);
      expectClose("loss", [a.loss], [b.loss], F32, "bag=dense");
      const ga = bag.gradients(), gb = dense.gradients();
      for (const name of Object.keys(ga)) expectClose(`d${name}`, ga[name], gb[name], F32, "bag=dense");
      expectClose("finalState", a.finalState, b.finalState, F32, "bag=dense");
      const pa = bag.predict(batch.inputs), pb = dense.predict(denseBatch.inputs);
      pa.forEach((seq, i) => seq.forEach((y, t) => expectClose(`predict[${i}][${t}]`, y, pb[i][t], F32, "bag=dense")));
    } finally {
      bag.dispose();
      dense.dispose();
    }
  });
}

test("a bag of one id is that id, bit for bit (with and without embedding, next to wider bags or not)", async () => {
  for (const embeddingSize of [undefined, 3]) {
    const c = { act: "tanh", loss: "softmax-cross-entropy", task: "many-to-many", input: "ids", embeddingSize, layers: 2, bidirectional: true, n: 6, d: 4, k: 3, lengths: [3, 1, 4], withH0: true, seed: 14210 };
    const { cfg, params, batch } = makeCase14(c);
    const model = await RNN.create(cfg);
    try {
      model.setParameters(params);
      const run = (inputs) => {
        const r = model.computeGradients({ ...batch, inputs });
        return { loss: r.loss, fs: bits(r.finalState), g: Object.fromEntries(Object.entries(model.gradients()).map(([k, v]) => [k, bits(v)])) };
      };
      const plain = run(batch.inputs);
      const wrapped = run(batch.inputs.map((seq) => seq.map((x) => [x])));
      assert.deepEqual(wrapped, plain, `[id] = id (e = ${embeddingSize})`);
      // With a wider bag elsewhere in the batch (bag width 3), the single ids' sequences are unchanged.
      const extra = [...batch.inputs, [[0, 1, 1]]];
      const r = model.computeGradients({ inputs: extra, targets: [...batch.targets, [0]], h0: [...batch.h0, batch.h0[0]] });
      const alone = model.forward(batch.inputs, { h0: batch.h0 }).outputs;
      const mixed = model.forward(extra, { h0: [...batch.h0, batch.h0[0]] }).outputs;
      alone.forEach((seq, i) => seq.forEach((y, t) => assert.deepEqual(bits(y), bits(mixed[i][t]), `outputs[${i}][${t}] next to a bag`)));
      assert.ok(Number.isFinite(r.loss));
    } finally {
      model.dispose();
    }
  }
});

test("a bag's order changes only the rounding of its sum", async () => {
  const c = { act: "tanh", loss: "mse", task: "many-to-one", input: "ids", embeddingSize: 5, layers: 1, bidirectional: false, n: 8, d: 6, k: 2, lengths: [4, 2], withH0: false, seed: 14220, bags: "all" };
  const { cfg, params, batch, refBatch } = makeCase14(c);
  const model = await RNN.create(cfg);
  try {
    model.setParameters(params);
    const reversed = { ...batch, inputs: batch.inputs.map((seq) => seq.map((b) => [...b].reverse())) };
    const a = model.computeGradients(batch).loss, ga = model.gradients();
    const b = model.computeGradients(reversed).loss, gb = model.gradients();
    expectClose("loss", [b], [a], F32, "bag order");
    for (const name of Object.keys(ga)) expectClose(`d${name}`, gb[name], ga[name], F32, "bag order");
    expectClose("reference loss", [a], [deep.lossAndGradients(cfg, params, refBatch).loss], F32, "bag order");
  } finally {
    model.dispose();
  }
});

// ───────────────────────────── padding invariance ─────────────────────────────

for (const c of [
  { act: "tanh", loss: "softmax-cross-entropy", task: "many-to-many", input: "ids", embeddingSize: 4, layers: 2, bidirectional: true, n: 7, d: 5, k: 3, lengths: [3, 1, 6, 2, 6], withH0: true, seed: 14300, bags: "mixed" },
  { act: "sigmoid", loss: "sigmoid-binary-cross-entropy", task: "many-to-one", input: "ids", layers: 1, bidirectional: true, n: 6, d: 7, k: 3, lengths: [1, 5, 4, 2], withH0: true, seed: 14301, bags: "mixed", pooling: "max" },
  { act: "relu", loss: "mse", task: "many-to-one", input: "ids", embeddingSize: 3, layers: 2, bidirectional: false, n: 8, d: 4, k: 2, lengths: [2, 7, 1, 4], withH0: false, seed: 14302, bags: "all", pooling: "mean" },
]) {
  test(`bags: a padded batch = each sequence alone: ${name14(c)}`, async () => {
    await checkPaddedBatch(c);
  });
}

// ───────────────────────────── validation ─────────────────────────────

test("bags are validated like single ids: empty bag, id out of range or not an integer (path inputs[i][t][f]); nothing changes on refusal", async () => {
  const cfg = { input: "ids", inputSize: 5, hiddenSize: 3, outputSize: 2, embeddingSize: 2, seed: 3 };
  const model = await RNN.create(cfg);
  try {
    const before = model.parameters(), rng = modelRng(model).hex;
    const good = [[1, [2, 3]], [4, [0, 4, 4]]];
    const targets = [[0, 1], [1, 0]];
    // Every entry point names the same path after its own field: batch.inputs (computeGradients,
    // trainStep, computeLoss), inputs (predict), evaluate data.inputs, fit data.inputs.
    const refuse = (inputs, path, rest, what) => {
      const field = { computeGradients: "batch.inputs", trainStep: "batch.inputs", computeLoss: "batch.inputs", predict: "inputs", evaluate: "evaluate data.inputs", fit: "fit data.inputs" };
      const calls = {
        computeGradients: () => model.computeGradients({ inputs, targets }), trainStep: () => model.trainStep({ inputs, targets }),
        computeLoss: () => model.computeLoss({ inputs, targets }), predict: () => model.predict(inputs),
        evaluate: () => model.evaluate({ inputs, targets }), fit: () => model.fit({ inputs, targets }, { epochs: 1, batchSize: 2 }),
      };
      for (const [name, call] of Object.entries(calls)) {
        const want = `${field[name]}${path}: `;
        assert.throws(call, (e) => e.name === "RnnError" && e.message.startsWith(want) && rest.test(e.message.slice(want.length)), `${name}: ${what} (expected "${want}…")`);
      }
    };
    refuse([[1, [2, 3]], [4, []]], "[1][1]", /^an empty feature bag/, "an empty bag");
    refuse([[1, [2, 3]], [4, [0, 5]]], "[1][1][1]", /^expected a token id, an integer in 0\.\.4 \(inputSize 5\), got 5$/, "an id out of range in a bag");
    refuse([[[2, -1], 1], [4, 0]], "[0][0][1]", /^expected a token id.*got -1$/, "a negative id in a bag");
    refuse([[1, [2, 3]], [4, [0, 1.5]]], "[1][1][1]", /^expected a token id.*got 1\.5$/, "a fraction in a bag");
    refuse([[1, [2, [3]]], [4, 0]], "[0][1][1]", /^expected a token id/, "a nested bag");
    assert.deepEqual(model.parameters(), before, "parameters unchanged");
    assert.equal(modelRng(model).hex, rng, "generator unchanged");
    assert.ok(Number.isFinite(model.computeGradients({ inputs: good, targets }).loss), "the good batch passes");
    // predict / forward say the same for unlabelled inputs (their field is `inputs`).
    assert.throws(() => model.forward([[[]]]), /inputs\[0\]\[0\]: an empty feature bag/);
  } finally {
    model.dispose();
  }
});
