/**
 * Input and output dropout (issue #14, item 6) through the public API. `inputDropout` drops
 * layer 0's input (embedding rows after the bag sum, or dense features), `outputDropout` the
 * head's input (y_t many-to-many; the last state or the pooled vector many-to-one): inverted
 * dropout, training only (computeGradients, trainStep, fit), masks from the model's PCG32 in
 * this order per pass — input mask (rows t·B + i over the padded T×B, rows sorted by length
 * descending, stable; features m_0), between-layer masks (boundary ℓ = 0..L−2), output mask
 * (rows T·B or B; features D·d); u = (next >>> 8)·2^−24, keep iff u ≥ f32(p), kept value
 * f32(1)/(f32(1) − f32(p)).
 *   1. mask replay: the masks drawn here from the file's "rng" in that order, given to the f64
 *      reference (whose dropout backward is itself checked against its own finite
 *      differences with those masks), give computeGradients' loss, every gradient, dh0 and the
 *      undropped finalState, and trainStep's and fit's SGD update; each pass advances the
 *      generator by exactly its draws; passes differ;
 *   2. the replay can fail: another order of the three kinds, unsorted rows, or no masks give
 *      another loss;
 *   3. predict, forward, computeLoss and evaluate never drop (bit-identical to p = 0, no draws);
 *      a saved model resumes the same masks;
 *   4. validation: a dropout of 1 (or what rounds to 1 in f32), a negative or NaN one, and
 *      inputDropout on ids without an embedding are refused.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { RNN } from "../../dist/index.js";
import * as deep from "../reference/deep_ref.js";
import { expectClose, showWorst, modelRng, PCG32, bits, F32, checkSgdStep, checkInferenceNeverDrops } from "./fixtures/deep_cases.js";
import { makeCase14, name14, checkPass, checkReferenceByFiniteDifferences, replayPass, drawsOf } from "./fixtures/io14_cases.js";

after(() => console.log(`max differences: ${showWorst()}`));

const REPLAY = [
  { act: "tanh", loss: "softmax-cross-entropy", task: "many-to-many", input: "ids", embeddingSize: 4, bags: "mixed", layers: 1, bidirectional: false, n: 7, d: 3, k: 5, lengths: [3, 1, 4, 3], withH0: true, seed: 14600, inputDropout: 0.3, outputDropout: 0.4 },
  { act: "relu", loss: "mse", task: "many-to-one", input: "dense", layers: 2, bidirectional: true, n: 4, d: 3, k: 2, lengths: [2, 5, 1, 4], withH0: true, seed: 14601, inputDropout: 0.2, dropout: 0.25, outputDropout: 0.5 },
  { act: "sigmoid", loss: "sigmoid-binary-cross-entropy", task: "many-to-one", input: "ids", embeddingSize: 3, bags: "all", layers: 2, bidirectional: false, pooling: "mean", n: 6, d: 4, k: 3, lengths: [4, 2, 4, 1, 3], withH0: true, seed: 14602, inputDropout: 0.5, dropout: 0.3, outputDropout: 0.3 },
  { act: "tanh", loss: "softmax-cross-entropy", task: "many-to-one", input: "dense", layers: 1, bidirectional: true, pooling: "max", n: 5, d: 4, k: 3, lengths: [1, 6, 3], withH0: false, seed: 14603, outputDropout: 0.6 },
  { act: "tanh", loss: "mse", task: "many-to-many", input: "ids", bags: "mixed", layers: 2, bidirectional: true, n: 6, d: 3, k: 4, lengths: [3, 5, 1, 5], withH0: true, seed: 14604, dropout: 0.2, outputDropout: 0.35 },
  { act: "sigmoid", loss: "softmax-cross-entropy", task: "many-to-many", input: "ids", embeddingSize: 5, layers: 1, bidirectional: true, n: 8, d: 3, k: 4, lengths: [4, 4, 2], withH0: false, seed: 14605, inputDropout: 0.45 },
  { act: "relu", loss: "sigmoid-binary-cross-entropy", task: "many-to-many", input: "dense", layers: 2, bidirectional: false, n: 5, d: 4, k: 3, lengths: [2, 6, 6, 1], withH0: true, seed: 14606, inputDropout: 0.3, outputDropout: 0.3 },
  { act: "tanh", loss: "softmax-cross-entropy", task: "many-to-one", input: "ids", embeddingSize: 4, bags: "mixed", layers: 2, bidirectional: true, pooling: "max", n: 7, d: 3, k: 3, lengths: [5, 2, 5, 3], withH0: true, seed: 14607, inputDropout: 0.3, dropout: 0.5, outputDropout: 0.25 },
  { act: "tanh", loss: "mse", task: "many-to-one", input: "dense", layers: 1, bidirectional: false, n: 3, d: 4, k: 2, lengths: [3, 2, 4], withH0: true, seed: 14608, inputDropout: 0.25, outputDropout: 0.4 },
  // Wider: SIMD bodies and tails of the masked products.
  { act: "tanh", loss: "softmax-cross-entropy", task: "many-to-many", input: "ids", embeddingSize: 10, bags: "mixed", layers: 2, bidirectional: true, n: 12, d: 9, k: 6, lengths: [6, 1, 4, 6, 2], withH0: true, seed: 14609, inputDropout: 0.2, dropout: 0.3, outputDropout: 0.4 },
];

/** The fraction kept over every mask of the opts (each kind separately). */
function keptFractions(opts) {
  return Object.fromEntries(Object.entries(opts).map(([k, v]) => {
    const all = v.masks.flat(4);
    return [k, all.reduce((s, m) => s + m, 0) / all.length];
  }));
}

for (const c of REPLAY) {
  test(`io dropout replay: computeGradients, trainStep = reference with the replayed masks: ${name14(c)}`, async () => {
    const { cfg, params, batch, refBatch } = makeCase14(c);
    const model = await RNN.create(cfg);
    try {
      model.setParameters(params);
      const losses = [];
      for (let pass = 0; pass < 2; pass++) {
        const rng = modelRng(model);
        const { opts, draws } = replayPass(rng, cfg, c.lengths);
        assert.equal(draws, drawsOf(cfg, c.lengths), "draws: T·B·m_0 + (L − 1)·T·B·D·d + rows·D·d");
        for (const [k, f] of Object.entries(keptFractions(opts))) assert.ok(f > 0 && f < 1, `${k}: the masks keep some and drop some`);
        if (pass === 0 && c.d <= 4) checkReferenceByFiniteDifferences(cfg, params, refBatch, opts);
        const got = model.computeGradients(batch);
        checkPass(model, cfg, params, refBatch, got, opts, "replay ");
        assert.equal(modelRng(model).hex, rng.hex, `pass ${pass}: the generator advanced by exactly ${draws} draws`);
        losses.push(got.loss);
      }
      assert.notEqual(losses[0], losses[1], "each pass draws new masks");

      const rng = modelRng(model);
      checkSgdStep(model, cfg, params, batch, refBatch, rng, replayPass(rng, cfg, c.lengths).opts, 0.1);
    } finally {
      model.dispose();
    }
  });
}

test("fit draws the same masks as trainStep: one epoch of one batch (no shuffle) = the reference's SGD step", async () => {
  const c = REPLAY[2];
  const { cfg, params, batch, refBatch } = makeCase14(c);
  const model = await RNN.create(cfg);
  try {
    model.setParameters(params);
    const rng = modelRng(model);
    rng.next();   // fit first draws one number, the epoch's shuffle seed (drawn with shuffle: false too)
    const { opts } = replayPass(rng, cfg, c.lengths);
    const lr = 0.05;
    const data = { inputs: batch.inputs, targets: batch.targets };
    // fit has no h0: the reference without it.
    const { h0, ...noH0 } = refBatch;
    model.fit(data, { epochs: 1, batchSize: c.lengths.length, shuffle: false, optimizer: { type: "sgd", lr } });
    const want = deep.lossAndGradients(cfg, params, noH0, opts);
    const after = model.parameters();
    for (const name of Object.keys(params)) expectClose(`${name} after fit`, after[name], params[name].map((v, i) => v - lr * want.grads[name][i]), F32, "replay fit");
    assert.equal(modelRng(model).hex, rng.hex, "fit advanced the generator by one pass's draws");
  } finally {
    model.dispose();
  }
});

// ───────────────────────────── the replay can fail ─────────────────────────────

test("mask replay can fail: the kinds in another order, rows unsorted, or no masks give another loss", async () => {
  const c = REPLAY[1];   // input, between and output masks, ragged lengths
  const { cfg, params, batch, refBatch } = makeCase14(c);
  const model = await RNN.create(cfg);
  try {
    model.setParameters(params);
    const start = modelRng(model).state;
    const lossWith = (opts) => deep.lossAndGradients(cfg, params, refBatch, opts).loss;
    const right = replayPass(new PCG32(start), cfg, c.lengths).opts;
    const got = model.computeGradients(batch).loss;
    expectClose("loss with the documented order", [got], [lossWith(right)], F32, "replay loss");
    for (const order of [["between", "input", "output"], ["input", "output", "between"], ["output", "input", "between"]]) {
      const other = replayPass(new PCG32(start), cfg, c.lengths, { order }).opts;
      assert.ok(Math.abs(got - lossWith(other)) > 1e-3, `the order ${order.join(", ")} gives another loss`);
    }
    // Rows in the caller's order: draw with lengths that sort to the identity, then apply to the batch.
    const unsortedLengths = [...c.lengths].sort((a, b) => b - a);
    const ident = replayPass(new PCG32(start), cfg, unsortedLengths).opts;
    const unsorted = structuredClone(ident);
    const byRow = c.lengths.map((len, i) => i).sort((a, b) => c.lengths[b] - c.lengths[a] || a - b);
    // The draws of row r go to the caller's sequence r (not to the r-th longest), cut or
    // extended to its length.
    for (const kind of ["inputDropout", "outputDropout"]) {
      unsorted[kind].masks = c.lengths.map((len, i) => (c.task === "many-to-one" && kind === "outputDropout" ? ident[kind].masks[i] : padTo(ident[kind].masks[i], len)));
    }
    unsorted.dropout.masks = ident.dropout.masks.map((perSeq) => c.lengths.map((len, i) => padTo(perSeq[i], len)));
    assert.notDeepEqual(byRow, c.lengths.map((_, i) => i), "the case's lengths are not sorted already");
    assert.ok(Math.abs(got - lossWith(unsorted)) > 1e-3, "masks of rows in the caller's order give another loss");
    assert.ok(Math.abs(got - lossWith({})) > 1e-3, "no masks give another loss");
  } finally {
    model.dispose();
  }
});

/** A per-step mask list cut or extended (with keeps) to len steps. */
function padTo(masks, len) {
  const out = masks.slice(0, len);
  while (out.length < len) out.push(out[0].map(() => 1));
  return out;
}

// ───────────────────────────── inference never drops ─────────────────────────────

test("predict, forward, computeLoss and evaluate never drop: bit-identical to p = 0, and they draw nothing", async () => {
  for (const c of [REPLAY[1], REPLAY[6], REPLAY[7]]) {
    const { cfg, params, batch } = makeCase14(c);
    const withDrop = await RNN.create(cfg);
    const without = await RNN.create({ ...cfg, inputDropout: 0, outputDropout: 0, dropout: 0 });
    try {
      withDrop.setParameters(params);
      without.setParameters(params);
      checkInferenceNeverDrops(withDrop, without, batch);
    } finally {
      withDrop.dispose();
      without.dispose();
    }
  }
});

test("a saved model keeps inputDropout, outputDropout and pooling, and resumes the same masks", async () => {
  const c = REPLAY[7];
  const { cfg, params, batch } = makeCase14(c);
  const model = await RNN.create(cfg);
  try {
    model.setParameters(params);
    model.computeGradients(batch);
    const copy = await RNN.load(model.save());
    try {
      for (const key of ["inputDropout", "outputDropout", "dropout", "pooling"]) assert.equal(copy.config[key], cfg[key], key);
      const a = model.computeGradients(batch), ga = model.gradients();
      const b = copy.computeGradients(batch), gb = copy.gradients();
      assert.equal(b.loss, a.loss, "the next pass draws the same masks");
      for (const name of Object.keys(ga)) assert.deepEqual(bits(gb[name]), bits(ga[name]), `d${name}`);
    } finally {
      copy.dispose();
    }
  } finally {
    model.dispose();
  }
});

// ───────────────────────────── validation ─────────────────────────────

test("validation: a dropout of 1 (or 1 in f32), negative or NaN refused; inputDropout on ids without an embedding refused", async () => {
  const dense = { input: "dense", inputSize: 4, hiddenSize: 3, outputSize: 2, layers: 2 };
  for (const key of ["inputDropout", "outputDropout", "dropout"]) {
    for (const [p, shown] of [[1, "1"], [1 - 1e-9, String(1 - 1e-9)], [-0.1, "-0.1"], [NaN, "NaN"], [1.5, "1.5"], ["0.5", '"0.5"']]) {
      await assert.rejects(RNN.create({ ...dense, [key]: p }), (e) => {
        assert.equal(e.name, "RnnError");
        assert.ok(e.message.startsWith(`config.${key}: expected a number in [0, 1) (the probability of dropping), got `), e.message);
        assert.ok(e.message.includes(shown), `${key} = ${shown}: the message shows the value (${e.message})`);
        return true;
      }, `${key} = ${shown}`);
    }
    const ok = await RNN.create({ ...dense, [key]: 0.999 });
    assert.equal(ok.config[key], 0.999);
    ok.dispose();
  }
  const ids = { input: "ids", inputSize: 5, hiddenSize: 3, outputSize: 2 };
  await assert.rejects(RNN.create({ ...ids, inputDropout: 0.2 }), (e) => e.name === "RnnError" &&
    e.message === "config.inputDropout: acts on an embedding's rows or on dense features; with ids and no embeddingSize there is nothing to drop");
  for (const cfg of [{ ...ids, inputDropout: 0 }, { ...ids, embeddingSize: 2, inputDropout: 0.2 }, { ...ids, outputDropout: 0.5 }]) {
    const m = await RNN.create(cfg);
    m.dispose();
  }
});
