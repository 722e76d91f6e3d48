/**
 * PyTorch parity of deep and bidirectional models through the public API (issue #12): the
 * fixtures made by real PyTorch (scripts/make_torch_fixture.py --deep; torch_deep*: nn.Embedding
 * + nn.RNN(num_layers=2, bidirectional=True, tanh) + nn.Linear with h0, and dense
 * nn.RNN(num_layers=3, bidirectional=True, relu) + nn.Linear without, on packed ragged batches),
 * loaded into a model by setParameters under the JS names (deep_ref.fromTorch: b = bias_ih +
 * bias_hh), for many-to-many and many-to-one:
 *   - computeGradients: the loss, every gradient by name, dL/dh0 (torch (L·D, B, d) → B·S),
 *     finalState = h_n (transposed the same way);
 *   - predict = f2(PyTorch's logits) (softmax / sigmoid / identity, applied here in f64);
 *   - three trainSteps with Adam at PyTorch's defaults: the loss before each step and every
 *     parameter after the third = torch.optim.Adam's.
 * And the check can fail (a shifted weight is caught).
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { RNN } from "../../dist/index.js";
import * as deep from "../reference/deep_ref.js";
import { outputActivation, checkTensor } from "../reference/rnn_ref.js";
import { expectClose, showWorst, slotToSeq } from "./fixtures/deep_cases.js";
import { loadTorchFixture } from "../reference/torch_fixtures.js";

// The model's f32 against PyTorch's f32: per entry |got − want| ≤ 2e-6 + 1e-5·|want| (f32 sums
// of terms ~0.1–1 in two different orders; the worst values, ~6e-7, are printed after the run).
const TORCH = { atol: 2e-6, rtol: 1e-5 };
// After three Adam steps of lr 1e-3: each step moves a parameter by ≈ lr·m/√v, a ratio that
// f32 rounding of small gradients moves by a few 1e-7 of lr.
const ADAM = { atol: 2e-6, rtol: 1e-5 };

after(() => console.log(`max differences against PyTorch: ${showWorst()}`));

const FIXTURES = [loadTorchFixture("deep"), loadTorchFixture("deep_dense")];

/** torch (L·D, B, d) nested → the API's B·S (sequence-major). */
const torchStates = (x, B, d) => slotToSeq(x.flat(2), x.length, B, d);
/** The fixture's h0 [slot][i] → the API's B vectors of S numbers. */
const apiH0 = (h0) => h0[0].map((_, i) => h0.flatMap((slot) => slot[i]));
/** Parameters by JS name as f32 (b = bias_ih + bias_hh, as the import does). */
const paramsOf = (cfg, dict) => Object.fromEntries(Object.entries(deep.fromTorch(cfg, dict)).map(([k, v]) => [k, Float32Array.from(v)]));

for (const { name: fname, doc, stateDict: dict } of FIXTURES) {
  for (const [key, task] of [["manyToMany", "many-to-many"], ["manyToOne", "many-to-one"]]) {
    const want = doc[key];
    const cfg = { ...doc.config, task, loss: want.lossKind, seed: 1 };
    const B = doc.inputs.length, d = cfg.hiddenSize;
    const batch = { inputs: doc.inputs, targets: want.targets };
    if (doc.h0) batch.h0 = apiH0(doc.h0);
    const byName = (g) => Object.fromEntries(deep.parameterTable(cfg).map((r) => [r.name, g[r.torch].flat(2)]));
    const what = `torch_${fname} (L=${cfg.layers}${cfg.bidirectional ? " bidirectional" : ""} ${cfg.input}${cfg.embeddingSize ? " + embedding" : ""} ${cfg.hiddenActivation}${doc.h0 ? " h0" : ""}), ${task} ${want.lossKind}`;

    test(`PyTorch ${what}: loss, every gradient, dL/dh0, h_n, outputs`, async () => {
      const model = await RNN.create(cfg);
      try {
        model.setParameters(paramsOf(cfg, dict));
        const got = model.computeGradients(batch);
        expectClose("loss", [got.loss], [want.loss], TORCH, "loss");
        const g = model.gradients();
        const wantGrads = byName(want.grads);
        assert.deepEqual(Object.keys(g).filter((k) => k !== "h0").sort(), Object.keys(wantGrads).sort(), "the same tensors as PyTorch's parameters");
        for (const name of Object.keys(wantGrads)) expectClose(`d${name}`, g[name], wantGrads[name], TORCH, "grads");
        if (doc.h0) expectClose("dh0", g.h0, torchStates(want.h0Grad, B, d), TORCH, "dh0");
        else assert.equal(g.h0, undefined);
        expectClose("finalState = h_n", got.finalState, torchStates(want.h_n, B, d), TORCH, "h_n");

        const fw = model.forward(batch.inputs, doc.h0 ? { h0: batch.h0 } : {});
        expectClose("forward finalState = h_n", fw.finalState, torchStates(want.h_n, B, d), TORCH, "h_n");
        assert.equal(fw.outputs.length, want.logits.length);
        fw.outputs.forEach((seq, i) => {
          assert.equal(seq.length, want.logits[i].length, `outputs[${i}]: PyTorch's number of scored steps`);
          seq.forEach((y, t) => expectClose(`outputs[${i}][${t}]`, y, outputActivation(want.lossKind, want.logits[i][t]), TORCH, "outputs"));
        });
      } finally {
        model.dispose();
      }
    });

    test(`PyTorch ${what}: three Adam trainSteps = torch.optim.Adam's`, async () => {
      const model = await RNN.create(cfg);
      try {
        model.setParameters(paramsOf(cfg, dict));
        const { lr, betas, eps, steps } = want.adam;
        const losses = [];
        for (let s = 0; s < steps; s++) losses.push(model.trainStep(batch, { optimizer: { type: "adam", lr, beta1: betas[0], beta2: betas[1], eps } }).loss);
        expectClose("loss before each step", losses, want.adam.lossBeforeEachStep, TORCH, "adam loss");
        const p = model.parameters();
        const wantParams = byName(want.adam.params);
        for (const name of Object.keys(wantParams)) expectClose(name, p[name], wantParams[name], ADAM, "adam params");
      } finally {
        model.dispose();
      }
    });
  }
}

test("the PyTorch check can fail: a shifted weight of layer 1's reverse direction is caught", async () => {
  const { doc, stateDict: dict } = FIXTURES[0];
  const cfg = { ...doc.config, task: "many-to-many", loss: doc.manyToMany.lossKind, seed: 1 };
  const model = await RNN.create(cfg);
  try {
    const p = paramsOf(cfg, dict);
    p.W_l1_reverse[4] += 1e-3;
    model.setParameters(p);
    const got = model.computeGradients({ inputs: doc.inputs, targets: doc.manyToMany.targets, h0: apiH0(doc.h0) });
    const r = checkTensor("h_n", Array.from(got.finalState), Array.from(torchStates(doc.manyToMany.h_n, doc.inputs.length, cfg.hiddenSize)), TORCH);
    assert.ok(!r.ok, "h_n differs");
  } finally {
    model.dispose();
  }
});
