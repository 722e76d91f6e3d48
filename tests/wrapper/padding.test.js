/**
 * Padding invariance (DESIGN.md §1): a ragged batch, padded to its longest sequence inside the
 * module, gives what each sequence gives alone (B = 1) — the loss (Σ per-sequence losses / B),
 * the gradients (mean of per-sequence gradients; dh0 row i = sequence i's dh0 / B), predict's
 * outputs and the final states — in both tasks, both input kinds, with and without h0.
 * And the order of the sequences in a batch changes nothing but the order of the results.
 *
 * Model against itself (same parameters), so the only tolerated difference is f32 rounding
 * from summing the batch's contributions in another order.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RNN } from "../../dist/index.js";
import { seededRandom, checkTensor, randomInputsTargets } from "../reference/rnn_ref.js";

const TENSORS = ["U", "W", "b", "V", "c"];
// Per-row results (outputs, states, per-sequence dh0): the row's arithmetic does not depend on
// the others, so only the last bits may move: |a − b| ≤ 1e-6 + 1e-6·|b|.
const ROW = { atol: 1e-6, rtol: 1e-6 };
// Sums over the batch (loss, parameter gradients) are accumulated in another order than the
// mean of B separate runs: |a − b| ≤ 1e-6 + 1e-5·|b|.
const SUM = { atol: 1e-6, rtol: 1e-5 };

function expectClose(label, got, want, tol) {
  const r = checkTensor(label, got, want, tol);
  assert.ok(r.ok, r.message);
}

// Lengths are unsorted, include 1 and repeat the maximum; sizes: small odd, and d, k ≥ 9.
const CASES = [];
{
  let seed = 7;
  const styles = [
    { act: "tanh", loss: "softmax-cross-entropy" },
    { act: "sigmoid", loss: "sigmoid-binary-cross-entropy" },
    { act: "relu", loss: "mse" },
  ];
  let s = 0;
  for (const task of ["many-to-many", "many-to-one"])
    for (const input of ["ids", "dense"])
      for (const withH0 of [false, true]) {
        const style = styles[s++ % styles.length];
        CASES.push({ ...style, task, input, withH0, n: 5, d: 7, k: 3, lengths: [3, 1, 6, 2, 6], seed: seed++ });
        CASES.push({ ...style, task, input, withH0, n: 6, d: 13, k: 10, lengths: [1, 5, 8, 3], seed: seed++ });
      }
}

function makeBatch({ loss, task, input, withH0, n, d, k, lengths, seed }) {
  const rand = seededRandom(seed);
  const u = (a) => (2 * rand() - 1) * a;
  const batch = randomInputsTargets(rand, { loss, task, input, n, k, lengths });
  if (withH0) batch.h0 = lengths.map(() => Array.from({ length: d }, () => u(0.8)));
  return batch;
}

function configOf(c) {
  return { input: c.input, inputSize: c.n, hiddenSize: c.d, outputSize: c.k, task: c.task, hiddenActivation: c.act, loss: c.loss, seed: c.seed };
}

/** computeGradients + gradients + forward for one batch. */
function runBatch(model, batch) {
  const { loss, finalState } = model.computeGradients(batch);
  const grads = model.gradients();
  const fw = model.forward(batch.inputs, batch.h0 ? { h0: batch.h0 } : {});
  const outputs = model.predict(batch.inputs, batch.h0 ? { h0: batch.h0 } : {});
  return { loss, finalState, grads, outputs, forwardState: fw.finalState };
}

/** The batch restricted to sequence i. */
function single(batch, i) {
  const b = { inputs: [batch.inputs[i]], targets: [batch.targets[i]] };
  if (batch.h0) b.h0 = [batch.h0[i]];
  return b;
}

function nameOf(c) {
  return `${c.act} ${c.loss} ${c.task} ${c.input} d=${c.d} k=${c.k} lengths=[${c.lengths}]${c.withH0 ? " h0" : ""}`;
}

for (const c of CASES) {
  test(`padded batch = each sequence alone: ${nameOf(c)}`, async () => {
    const model = await RNN.create(configOf(c));
    try {
      const batch = makeBatch(c);
      const B = batch.inputs.length;
      const all = runBatch(model, batch);
      const alone = batch.inputs.map((_, i) => runBatch(model, single(batch, i)));

      // L = (1/B) Σ_i loss_i, where loss_i is what sequence i gives alone (B = 1).
      const meanLoss = alone.reduce((s, r) => s + r.loss, 0) / B;
      expectClose("loss", [all.loss], [meanLoss], SUM);
      assert.ok(all.loss > 0, "the loss is positive");

      // ∂L/∂θ = (1/B) Σ_i ∂loss_i/∂θ.
      for (const name of TENSORS) {
        const mean = new Float64Array(all.grads[name].length);
        for (const r of alone) r.grads[name].forEach((v, j) => (mean[j] += v / B));
        expectClose(`d${name}`, all.grads[name], mean, SUM);
      }
      const d = c.d;
      for (let i = 0; i < B; i++) {
        const row = (x) => x.subarray(i * d, (i + 1) * d);
        if (c.withH0) {
          // ∂L/∂h0_i = (1/B) ∂loss_i/∂h0_i: only sequence i's loss depends on its h0.
          expectClose(`dh0[${i}]`, row(all.grads.h0), Array.from(alone[i].grads.h0, (v) => v / B), ROW);
        }
        expectClose(`finalState[${i}] (computeGradients)`, row(all.finalState), alone[i].finalState, ROW);
        expectClose(`finalState[${i}] (forward)`, row(all.forwardState), alone[i].forwardState, ROW);
        assert.equal(all.outputs[i].length, c.task === "many-to-one" ? 1 : c.lengths[i], `outputs[${i}]: one per scored step`);
        all.outputs[i].forEach((y, t) => expectClose(`outputs[${i}][${t}]`, y, alone[i].outputs[0][t], ROW));
      }
    } finally {
      model.dispose();
    }
  });
}

for (const c of CASES.filter((x) => x.d > 9)) {
  test(`sequence order in the batch changes only the order of results: ${nameOf(c)}`, async () => {
    const model = await RNN.create(configOf(c));
    try {
      const batch = makeBatch(c);
      const B = batch.inputs.length;
      const base = runBatch(model, batch);
      const d = c.d;
      for (const perm of [[3, 2, 1, 0], [2, 0, 3, 1]]) {
        const permuted = { inputs: perm.map((i) => batch.inputs[i]), targets: perm.map((i) => batch.targets[i]) };
        if (batch.h0) permuted.h0 = perm.map((i) => batch.h0[i]);
        const r = runBatch(model, permuted);
        expectClose(`loss, order [${perm}]`, [r.loss], [base.loss], SUM);
        for (const name of TENSORS) expectClose(`d${name}, order [${perm}]`, r.grads[name], base.grads[name], SUM);
        perm.forEach((i, at) => {
          const row = (x, j) => x.subarray(j * d, (j + 1) * d);
          expectClose(`finalState of sequence ${i}, at ${at}`, row(r.finalState, at), row(base.finalState, i), ROW);
          if (c.withH0) expectClose(`dh0 of sequence ${i}, at ${at}`, row(r.grads.h0, at), row(base.grads.h0, i), ROW);
          assert.equal(r.outputs[at].length, base.outputs[i].length);
          r.outputs[at].forEach((y, t) => expectClose(`outputs of sequence ${i}, at ${at}, step ${t}`, y, base.outputs[i][t], ROW));
        });
        assert.equal(B, perm.length);
      }
    } finally {
      model.dispose();
    }
  });
}

test("forward({ states: true }): every real step's state, equal to the reference's s_t, for ragged sequences in one batch", async () => {
  const { forwardSequence } = await import("../reference/rnn_ref.js");
  for (const input of ["ids", "dense"]) {
    const cfg = { input, inputSize: 5, hiddenSize: 6, outputSize: 3, task: "many-to-one", seed: 9 };
    const m = await RNN.create(cfg);
    const rand = seededRandom(3);
    const seqs = [4, 1, 6].map((len) => Array.from({ length: len }, () => input === "ids" ? Math.floor(rand() * 5) : Array.from({ length: 5 }, () => rand() - 0.5)));
    const { states, outputs, finalState } = m.forward(seqs, { states: true });
    const p = m.parameters();
    seqs.forEach((seq, i) => {
      assert.equal(states[i].length, seq.length, "one state per real step, none for padding");
      const ref = forwardSequence({ ...cfg, hiddenActivation: "tanh", loss: "softmax-cross-entropy" }, p, seq);
      for (let t = 0; t < seq.length; t++) checkTensor(`states[${i}][${t}]`, states[i][t], ref.s[t + 1], { atol: 1e-6, rtol: 1e-5 });
      assert.deepEqual(Array.from(states[i].at(-1)), Array.from(finalState.subarray(i * 6, (i + 1) * 6)), "the last state is the final state");
    });
    assert.equal(outputs.length, 3);
    assert.equal(m.forward(seqs).states, undefined, "only when asked");
    assert.throws(() => m.forward(seqs, { states: "yes" }), /states: expected true or false/);
    m.dispose();
  }
});
