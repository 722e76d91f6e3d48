/**
 * Deep and bidirectional models (issue #12) through the public API, against the f64 oracle
 * tests/reference/deep_ref.js (itself proven by finite differences and PyTorch in
 * deep_reference.test.js), over the grid
 *     L ∈ {1, 2, 3} × bidirectional × {ids + embedding, ids, dense} × {tanh, sigmoid, relu}
 *     × {many-to-many, many-to-one}                        (108 cases; the three losses in turn)
 * with dropout 0, ragged unsorted lengths with a 1 and a tie, h0 in two cases of three; plus a
 * few larger ones (d, k ≥ 9: SIMD tiles and tails). For each case:
 *   1. computeGradients: the loss, the gradient of EVERY tensor (E, U/W/b per layer and
 *      direction, V, c) and of h0 (B·S, sequence-major), finalState (B·S) = the reference's;
 *      computeLoss gives the same loss and leaves the gradients alone;
 *   2. central finite differences of the model's OWN computeLoss (f32) on sampled entries of
 *      every tensor and of h0 agree with the model's gradients — the tolerance adds the
 *      truncation error measured on the same perturbation in f64, so a relu kink crossed by
 *      the step cannot fail the case, while an f32 gradient off by 1% does;
 *   3. forward: outputs (ŷ per scored step), finalState and { states: true } (S numbers per
 *      step: every slot's state at t) = the reference.
 * The layouts differ (API: sequence-major B·S; reference: slot-major (L·D)·B·d): see
 * fixtures/deep_cases.js.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { RNN } from "../../dist/index.js";
import * as deep from "../reference/deep_ref.js";
import { ACTIVATIONS, LOSSES, TASKS, makeCase, nameOf, slotToSeq, slotsOf, expectClose, showWorst, F32, checkForward, checkFiniteDifferences } from "./fixtures/deep_cases.js";

// Tolerances: F32 (wasm against the f64 reference) and FD (central differences of the f32
// computeLoss), explained in fixtures/deep_cases.js; 3 entries per tensor are probed by
// finite differences (the largest |gradient| and two drawn at random).

after(() => console.log(`max differences: ${showWorst()}`));

const SIZES = { n: 7, d: 3, k: 5 };   // n, e, d, k pairwise distinct, D·d ≠ n: no transposed tensor can pass
const E = 4;
const LENGTHS = [3, 1, 4, 3];         // unsorted, a 1, a tie (the stable sort)

const GRID = [];
{
  let seed = 4000, li = 0;
  for (const layers of [1, 2, 3])
    for (const bidirectional of [false, true])
      for (const [input, embeddingSize] of [["ids", E], ["ids", undefined], ["dense", undefined]])
        for (const act of ACTIVATIONS)
          for (const task of TASKS) {
            GRID.push({ act, loss: LOSSES[li % 3], task, input, layers, bidirectional, embeddingSize, ...SIZES, lengths: LENGTHS, withH0: li % 3 !== 2, seed: seed++ });
            li++;
          }
}
const LARGE = [
  { act: "tanh", loss: "softmax-cross-entropy", task: "many-to-many", input: "ids", embeddingSize: 6, layers: 2, bidirectional: true, n: 11, d: 9, k: 10, lengths: [5, 1, 3, 5, 2], withH0: true, seed: 4900 },
  { act: "relu", loss: "mse", task: "many-to-one", input: "dense", layers: 3, bidirectional: true, n: 10, d: 13, k: 9, lengths: [2, 6, 1, 4], withH0: true, seed: 4901 },
  { act: "sigmoid", loss: "sigmoid-binary-cross-entropy", task: "many-to-many", input: "dense", layers: 2, bidirectional: false, n: 12, d: 17, k: 11, lengths: [4, 4, 1, 6, 3], withH0: false, seed: 4902 },
  { act: "tanh", loss: "softmax-cross-entropy", task: "many-to-one", input: "ids", layers: 2, bidirectional: true, n: 9, d: 16, k: 12, lengths: [7, 2, 1, 5, 7, 3], withH0: true, seed: 4903 },
];

// Edges: unidirectional many-to-many batches dense enough (Σ len ≥ ¾·T·B) for the head's one
// product; B = 1 and T = 1; every sequence of length 1; a wide case (products of 40 and 2·33
// columns, tile edges); a batch of 9 with ties.
const EDGE = [
  { act: "tanh", loss: "softmax-cross-entropy", task: "many-to-many", input: "ids", embeddingSize: 3, layers: 2, bidirectional: false, n: 6, d: 5, k: 4, lengths: [5, 5, 4, 5], withH0: true, seed: 4950 },
  { act: "sigmoid", loss: "mse", task: "many-to-many", input: "dense", layers: 3, bidirectional: false, n: 4, d: 6, k: 3, lengths: [3, 3, 3], withH0: false, seed: 4951 },
  { act: "tanh", loss: "sigmoid-binary-cross-entropy", task: "many-to-one", input: "ids", layers: 3, bidirectional: true, n: 5, d: 4, k: 2, lengths: [1], withH0: true, seed: 4952 },
  { act: "relu", loss: "softmax-cross-entropy", task: "many-to-many", input: "dense", layers: 2, bidirectional: true, n: 3, d: 4, k: 3, lengths: [1, 1, 1], withH0: true, seed: 4953 },
  { act: "tanh", loss: "softmax-cross-entropy", task: "many-to-many", input: "dense", layers: 2, bidirectional: true, n: 40, d: 33, k: 17, lengths: [6, 2, 5, 1, 6], withH0: true, seed: 4954 },
  { act: "sigmoid", loss: "softmax-cross-entropy", task: "many-to-one", input: "ids", embeddingSize: 8, layers: 2, bidirectional: true, n: 12, d: 8, k: 5, lengths: [3, 5, 3, 1, 5, 2, 3, 4, 5], withH0: true, seed: 4955 },
];

/** The reference's S-vector of every slot at step t of one sequence (forwardSequence's runs). */
function refStates(fw, D) {
  return Array.from({ length: fw.T }, (_, t) => fw.layers.flatMap((layer) => layer.runs.slice(0, D).flatMap((run) => Array.from(run.s[t]))));
}

for (const c of [...GRID, ...LARGE, ...EDGE]) {
  test(`deep gradients = reference, and = finite differences of computeLoss: ${nameOf(c)}`, async () => {
    const { cfg, params, batch, refBatch } = makeCase(c);
    const model = await RNN.create(cfg);
    try {
      const B = c.lengths.length, d = c.d, slots = slotsOf(cfg), S = slots * d, D = c.bidirectional ? 2 : 1;
      const names = deep.parameterTable(cfg).map((r) => r.name);
      assert.deepEqual(Object.keys(model.parameters()), names, "parameters(): the reference's names, in state_dict order");

      // A first pass at the seeded parameters: gradients must not accumulate across calls.
      model.computeGradients(batch);
      model.setParameters(params);
      const got = model.computeGradients(batch);
      const g = model.gradients();
      const want = deep.lossAndGradients(cfg, params, refBatch);

      // 1. loss, every gradient, dh0, finalState
      expectClose("loss", [got.loss], [want.loss], F32, "loss");
      assert.deepEqual(Object.keys(g).sort(), [...names, ...(c.withH0 ? ["h0"] : [])].sort(), "a gradient for every tensor (and h0 when given)");
      for (const name of names) expectClose(`d${name}`, g[name], want.grads[name], F32, name[0] === "E" ? "E" : name.replace(/_.*/, "") + (name.includes("reverse") ? "←" : "→"));
      if (c.withH0) {
        assert.equal(g.h0.length, B * S, "dh0: B·S numbers");
        expectClose("dh0 (B·S, sequence-major)", g.h0, slotToSeq(want.grads.h0, slots, B, d), F32, "h0");
      }
      assert.equal(got.finalState.length, B * S, "finalState: B·S numbers");
      expectClose("finalState (B·S, sequence-major)", got.finalState, slotToSeq(want.finalState, slots, B, d), F32, "finalState");

      const lossOnly = model.computeLoss(batch);
      expectClose("computeLoss", [lossOnly.loss], [want.loss], F32, "loss");
      expectClose("computeLoss finalState", lossOnly.finalState, slotToSeq(want.finalState, slots, B, d), F32, "finalState");
      const g2 = model.gradients();
      for (const name of names) assert.deepEqual(g2[name], g[name], `computeLoss leaves d${name} alone`);

      // 3. forward: outputs, finalState, every step's states
      const fw = checkForward(model, cfg, params, batch, refBatch, "", { states: true });
      batch.inputs.forEach((seq, i) => {
        const r = deep.forwardSequence(cfg, params, seq, refBatch.h0?.map((s) => s[i]));
        const states = refStates(r, D);
        assert.equal(fw.states[i].length, c.lengths[i], `states[${i}]: one per real step`);
        fw.states[i].forEach((s, t) => {
          assert.equal(s.length, S, `states[${i}][${t}]: S numbers`);
          expectClose(`states[${i}][${t}]`, s, states[t], F32, "states");
        });
      });

      // 2. finite differences of computeLoss on sampled entries, every tensor and h0
      checkFiniteDifferences(model, cfg, params, batch, refBatch, g, want, c.seed + 1);
    } finally {
      model.dispose();
    }
  });
}

// The comparison must be able to fail: a small shift of one weight of the top reverse layer
// changes what the reference expects beyond the tolerance.
test("the check detects a wrong parameter of the top reverse layer", async () => {
  const c = GRID.find((x) => x.layers === 3 && x.bidirectional && x.task === "many-to-one");
  const { cfg, params, batch, refBatch } = makeCase(c);
  const model = await RNN.create(cfg);
  try {
    model.setParameters({ ...params, W_l2_reverse: params.W_l2_reverse.map((w, i) => (i === 4 ? w + 0.01 : w)) });
    const got = model.computeGradients(batch);
    const want = deep.lossAndGradients(cfg, params, refBatch);
    assert.throws(() => expectClose("dU_l2_reverse", model.gradients().U_l2_reverse, want.grads.U_l2_reverse, F32, "negative control"));
    assert.throws(() => expectClose("finalState", got.finalState, slotToSeq(want.finalState, slotsOf(cfg), c.lengths.length, c.d), F32, "negative control"));
  } finally {
    model.dispose();
  }
});

test("a deep model's tensors: the reference's names, shapes and PyTorch's order; parameterCount", async () => {
  const cfg = { input: "ids", inputSize: 7, hiddenSize: 3, outputSize: 5, layers: 3, bidirectional: true, embeddingSize: 4, seed: 2 };
  const model = await RNN.create(cfg);
  try {
    const p = model.parameters();
    const table = deep.parameterTable(cfg);
    assert.deepEqual(Object.keys(p), table.map((r) => r.name));
    for (const r of table) assert.equal(p[r.name].length, r.shape.reduce((a, b) => a * b, 1), `${r.name}: ${r.shape.join("×")}`);
    assert.equal(model.parameterCount, table.reduce((s, r) => s + r.shape.reduce((a, b) => a * b, 1), 0));
    assert.equal(model.config.layers, 3);
    assert.equal(model.config.bidirectional, true);
    assert.equal(model.config.embeddingSize, 4);
  } finally {
    model.dispose();
  }
});

// One model, batches of changing shape (the work block grows, is kept, grows again): every pass
// is the reference's, so nothing of an earlier, larger batch leaks into a later one.
test("one deep bidirectional model over batches of changing T × B: each = the reference", async () => {
  const base = { act: "tanh", loss: "softmax-cross-entropy", task: "many-to-many", input: "ids", embeddingSize: 3, layers: 2, bidirectional: true, n: 6, d: 5, k: 4, withH0: true };
  const { cfg, params } = makeCase({ ...base, lengths: [1], seed: 4990 });
  const model = await RNN.create(cfg);
  try {
    model.setParameters(params);
    let seed = 4991;
    for (const lengths of [[2, 1], [7, 3, 5, 1, 7], [1], [4, 2, 4, 3, 1, 2, 4, 4, 3], [2, 2]]) {
      const { batch, refBatch } = makeCase({ ...base, lengths, seed: seed++ });
      const got = model.computeGradients(batch);
      const want = deep.lossAndGradients(cfg, params, refBatch);
      const B = lengths.length;
      expectClose(`loss, lengths [${lengths}]`, [got.loss], [want.loss], F32, "loss");
      for (const name of Object.keys(params)) expectClose(`d${name}, lengths [${lengths}]`, model.gradients()[name], want.grads[name], F32, "reshape");
      expectClose(`dh0, lengths [${lengths}]`, model.gradients().h0, slotToSeq(want.grads.h0, slotsOf(cfg), B, cfg.hiddenSize), F32, "reshape");
      expectClose(`finalState, lengths [${lengths}]`, got.finalState, slotToSeq(want.finalState, slotsOf(cfg), B, cfg.hiddenSize), F32, "reshape");
    }
  } finally {
    model.dispose();
  }
});
