/**
 * Padding invariance of deep and bidirectional models (issue #12): a ragged batch, padded to
 * its longest sequence inside the module, gives what each sequence gives alone (B = 1) — the
 * loss (Σ per-sequence losses / B), every gradient (mean of the per-sequence ones), dh0 (row i
 * = sequence i's dh0 / B, every slot), finalState (every slot: the reverse direction's is its
 * state at t = 0, the forward's at len − 1), predict's outputs and forward's per-step states.
 * The reverse direction is the one padding could break (it must start at each sequence's own
 * last real step, not at T − 1), so most cases are bidirectional, with short sequences next to
 * long ones. And a permutation of the batch only permutes the results.
 *
 * Model against itself (same parameters): only f32 rounding from summing the batch in another
 * order is tolerated (the bounds of padding.test.js).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RNN } from "../../dist/index.js";
import { makeCase, nameOf, expectClose, slotsOf } from "./fixtures/deep_cases.js";

// Per-row results: the row's arithmetic does not depend on the others.
const ROW = { atol: 1e-6, rtol: 1e-6 };
// Sums over the batch (loss, parameter gradients), accumulated in another order.
const SUM = { atol: 1e-6, rtol: 1e-5 };

const CASES = [
  { act: "tanh", loss: "softmax-cross-entropy", task: "many-to-many", input: "ids", embeddingSize: 4, layers: 2, bidirectional: true, n: 7, d: 5, k: 3, lengths: [3, 1, 6, 2, 6], withH0: true, seed: 71 },
  { act: "sigmoid", loss: "sigmoid-binary-cross-entropy", task: "many-to-one", input: "dense", layers: 3, bidirectional: true, n: 4, d: 6, k: 3, lengths: [1, 5, 8, 3], withH0: true, seed: 72 },
  { act: "relu", loss: "mse", task: "many-to-one", input: "ids", layers: 1, bidirectional: true, n: 6, d: 9, k: 10, lengths: [2, 7, 1, 4, 7], withH0: false, seed: 73 },
  { act: "tanh", loss: "mse", task: "many-to-many", input: "dense", layers: 2, bidirectional: true, n: 5, d: 13, k: 9, lengths: [4, 1, 9, 2], withH0: false, seed: 74 },
  { act: "tanh", loss: "softmax-cross-entropy", task: "many-to-one", input: "ids", embeddingSize: 3, layers: 3, bidirectional: false, n: 8, d: 4, k: 5, lengths: [5, 2, 1, 5], withH0: true, seed: 75 },
  { act: "sigmoid", loss: "softmax-cross-entropy", task: "many-to-many", input: "dense", layers: 2, bidirectional: false, n: 3, d: 7, k: 4, lengths: [6, 3, 1], withH0: true, seed: 76 },
];

/** computeGradients + gradients + forward (with states) + predict of one batch. */
function runBatch(model, batch) {
  const { loss, finalState } = model.computeGradients(batch);
  const grads = model.gradients();
  const opts = batch.h0 ? { h0: batch.h0 } : {};
  const fw = model.forward(batch.inputs, { ...opts, states: true });
  const outputs = model.predict(batch.inputs, opts);
  return { loss, finalState, grads, outputs, fw };
}

/** The batch restricted to sequence i. */
function single(batch, i) {
  const b = { inputs: [batch.inputs[i]], targets: [batch.targets[i]] };
  if (batch.h0) b.h0 = [batch.h0[i]];
  return b;
}

for (const c of CASES) {
  test(`deep padded batch = each sequence alone: ${nameOf(c)}`, async () => {
    const { cfg, params, batch } = makeCase(c);
    const model = await RNN.create(cfg);
    try {
      model.setParameters(params);
      const B = c.lengths.length, S = slotsOf(cfg) * c.d;
      const names = Object.keys(params);
      const all = runBatch(model, batch);
      const alone = batch.inputs.map((_, i) => runBatch(model, single(batch, i)));

      expectClose("loss", [all.loss], [alone.reduce((s, r) => s + r.loss, 0) / B], SUM, "padding loss");
      for (const name of names) {
        const mean = new Float64Array(all.grads[name].length);
        for (const r of alone) r.grads[name].forEach((v, j) => (mean[j] += v / B));
        expectClose(`d${name}`, all.grads[name], mean, SUM, "padding grads");
        assert.ok(mean.some((v) => v !== 0), `d${name} is not all zeros`);
      }
      for (let i = 0; i < B; i++) {
        const row = (x) => x.subarray(i * S, (i + 1) * S);
        if (c.withH0) expectClose(`dh0[${i}] (every slot)`, row(all.grads.h0), Array.from(alone[i].grads.h0, (v) => v / B), ROW, "padding rows");
        expectClose(`finalState[${i}] (computeGradients, every slot)`, row(all.finalState), alone[i].finalState, ROW, "padding rows");
        expectClose(`finalState[${i}] (forward)`, row(all.fw.finalState), alone[i].fw.finalState, ROW, "padding rows");
        const steps = c.task === "many-to-one" ? 1 : c.lengths[i];
        assert.equal(all.outputs[i].length, steps, `outputs[${i}]: one per scored step`);
        all.outputs[i].forEach((y, t) => expectClose(`outputs[${i}][${t}]`, y, alone[i].outputs[0][t], ROW, "padding rows"));
        assert.equal(all.fw.states[i].length, c.lengths[i], `states[${i}]: one per real step`);
        all.fw.states[i].forEach((s, t) => expectClose(`states[${i}][${t}]`, s, alone[i].fw.states[0][t], ROW, "padding rows"));
      }
    } finally {
      model.dispose();
    }
  });
}

for (const c of CASES.filter((x) => x.bidirectional)) {
  test(`deep batch order changes only the order of results: ${nameOf(c)}`, async () => {
    const { cfg, params, batch } = makeCase(c);
    const model = await RNN.create(cfg);
    try {
      model.setParameters(params);
      const B = c.lengths.length, S = slotsOf(cfg) * c.d;
      const base = runBatch(model, batch);
      for (const perm of [Array.from({ length: B }, (_, i) => B - 1 - i), Array.from({ length: B }, (_, i) => (i + 1) % B)]) {
        const permuted = { inputs: perm.map((i) => batch.inputs[i]), targets: perm.map((i) => batch.targets[i]) };
        if (batch.h0) permuted.h0 = perm.map((i) => batch.h0[i]);
        const r = runBatch(model, permuted);
        expectClose(`loss, order [${perm}]`, [r.loss], [base.loss], SUM, "order");
        for (const name of Object.keys(params)) expectClose(`d${name}, order [${perm}]`, r.grads[name], base.grads[name], SUM, "order");
        perm.forEach((i, at) => {
          const row = (x, j) => x.subarray(j * S, (j + 1) * S);
          expectClose(`finalState of sequence ${i}, at ${at}`, row(r.finalState, at), row(base.finalState, i), ROW, "order");
          if (batch.h0) expectClose(`dh0 of sequence ${i}, at ${at}`, row(r.grads.h0, at), row(base.grads.h0, i), ROW, "order");
          r.outputs[at].forEach((y, t) => expectClose(`outputs of sequence ${i}, at ${at}, step ${t}`, y, base.outputs[i][t], ROW, "order"));
        });
      }
    } finally {
      model.dispose();
    }
  });
}

// The reverse direction of a short sequence must start at its own last step: with the
// forward direction silenced (U, W, b of layer 0 forward = 0 and V reading only the reverse
// half), a one-layer bidirectional many-to-one model's output for [a, b] is a function of
// s←_0 alone — the same whether the batch is padded to 2 or to 9 steps, and s←_0 is what the
// two real steps give by hand.
test("the reverse direction starts at each sequence's last real step (not at the padded T − 1)", async () => {
  const n = 5, d = 4, k = 3;
  const cfg = { input: "ids", inputSize: n, hiddenSize: d, outputSize: k, task: "many-to-one", layers: 1, bidirectional: true, loss: "mse", seed: 3 };
  const model = await RNN.create(cfg);
  try {
    const p = model.parameters();
    p.U.fill(0); p.W.fill(0); p.b.fill(0);
    for (let a = 0; a < k; a++) for (let j = 0; j < d; j++) p.V[a * 2 * d + j] = 0;   // V = [0 | V←]
    model.setParameters(p);
    const short = [1, 3];
    const alone = model.forward([short]);
    const padded = model.forward([short, [0, 4, 2, 2, 1, 0, 3, 4, 4]]);
    expectClose("output of [1, 3] padded to 9", padded.outputs[0][0], alone.outputs[0][0], ROW, "reverse start");
    expectClose("reverse final state of [1, 3] padded to 9", padded.finalState.subarray(d, 2 * d), alone.finalState.subarray(d, 2 * d), ROW, "reverse start");
    // s←_0 = tanh(U← x_0 + W← tanh(U← x_1 + b←) + b←): by hand, in f64.
    const f = Math.tanh;
    const s1 = Array.from({ length: d }, (_, a) => f(p.U_reverse[a * n + 3] + p.b_reverse[a]));
    const s0 = Array.from({ length: d }, (_, a) => f(p.U_reverse[a * n + 1] + p.b_reverse[a] + s1.reduce((acc, v, j) => acc + p.W_reverse[a * d + j] * v, 0)));
    expectClose("s←_0 by hand", alone.finalState.subarray(d, 2 * d), s0, { atol: 1e-6, rtol: 1e-5 }, "reverse start");
    assert.deepEqual(Array.from(alone.finalState.subarray(0, d)), [0, 0, 0, 0], "the silenced forward direction stays at 0");
  } finally {
    model.dispose();
  }
});
