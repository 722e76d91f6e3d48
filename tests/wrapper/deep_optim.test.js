/**
 * The optimizer and the state API over a deep model's whole parameter block (issue #12):
 *   - gradient clipping is global over ALL tensors (E, every layer and direction, V, c):
 *     trainStep's gradNorm = ‖g‖₂ of the reference, and SGD moves p by −lr·g·min(1, c/‖g‖);
 *   - weight decay reaches every weight matrix (E, U/W of every layer and direction, V) and
 *     spares the biases (b of every layer and direction, c) unless decayBiases;
 *   - h0 given flat (B·S numbers) = h0 given as B vectors of S.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { RNN } from "../../dist/index.js";
import * as deep from "../reference/deep_ref.js";
import { makeCase, nameOf, expectClose, showWorst, slotsOf } from "./fixtures/deep_cases.js";

const F32 = { atol: 3e-6, rtol: 3e-5 };
after(() => console.log(`max differences: ${showWorst()}`));

const CASE = { act: "tanh", loss: "softmax-cross-entropy", task: "many-to-many", input: "ids", embeddingSize: 4, layers: 2, bidirectional: true, n: 7, d: 5, k: 3, lengths: [3, 1, 5, 2], withH0: true, seed: 901 };

test(`clipping is global over every tensor: gradNorm and the clipped SGD step: ${nameOf(CASE)}`, async () => {
  const { cfg, params, batch, refBatch } = makeCase(CASE);
  const want = deep.lossAndGradients(cfg, params, refBatch);
  const names = Object.keys(params);
  const norm = Math.sqrt(names.reduce((s, name) => s + want.grads[name].reduce((a, v) => a + v * v, 0), 0));
  // Every tensor carries part of the norm: leaving any out would change it.
  for (const name of names) assert.ok(want.grads[name].some((v) => v !== 0), `d${name} is not zero`);
  const model = await RNN.create(cfg);
  try {
    model.setParameters(params);
    const lr = 0.5, clip = norm / 3;
    const r = model.trainStep(batch, { optimizer: { type: "sgd", lr }, clipNorm: clip });
    expectClose("gradNorm = ‖g‖ over every tensor", [r.gradNorm], [norm], F32, "clip");
    const p = model.parameters();
    for (const name of names) expectClose(`${name} after a clipped step`, p[name], params[name].map((v, i) => v - lr * want.grads[name][i] * (clip / norm)), F32, "clip");
  } finally {
    model.dispose();
  }
});

test("weight decay: every weight matrix (E, U/W of each layer and direction, V) decays, biases are spared unless decayBiases", async () => {
  const { cfg, params, batch, refBatch } = makeCase(CASE);
  const want = deep.lossAndGradients(cfg, params, refBatch);
  const isBias = (name) => name === "c" || /^b(_|$)/.test(name);
  for (const decayBiases of [false, true]) {
    const model = await RNN.create(cfg);
    try {
      model.setParameters(params);
      const lr = 0.1, wd = 0.5;
      model.trainStep(batch, { optimizer: { type: "sgd", lr, weightDecay: wd, decayBiases } });
      const p = model.parameters();
      for (const name of Object.keys(params)) {
        const decays = decayBiases || !isBias(name);
        expectClose(`${name} (${decays ? "decayed" : "not decayed"})`, p[name], params[name].map((v, i) => v - lr * (want.grads[name][i] + (decays ? wd * v : 0))), F32, "decay");
      }
    } finally {
      model.dispose();
    }
  }
});

test("h0 as B·S flat numbers = h0 as B vectors of S (forward and computeGradients)", async () => {
  const { cfg, params, batch } = makeCase(CASE);
  const model = await RNN.create(cfg);
  try {
    model.setParameters(params);
    const flat = batch.h0.flat();
    assert.equal(flat.length, CASE.lengths.length * slotsOf(cfg) * CASE.d);
    const a = model.forward(batch.inputs, { h0: batch.h0 }), b = model.forward(batch.inputs, { h0: flat });
    assert.deepEqual(b.finalState, a.finalState);
    assert.deepEqual(b.outputs, a.outputs);
    const ga = model.computeGradients(batch).loss, gb = model.computeGradients({ ...batch, h0: flat }).loss;
    assert.equal(gb, ga);
    assert.throws(() => model.forward(batch.inputs, { h0: flat.slice(1) }), /h0/, "a wrong number of state numbers is refused");
  } finally {
    model.dispose();
  }
});
