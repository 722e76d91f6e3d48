/**
 * Gradients of the whole training core (forward + BPTT in rnn.wasm) against the independent f64
 * reference in tests/reference/rnn_ref.js, for every activation × loss × task × input kind
 * (the full 3×3×2×2 grid), with and without h0, on ragged batches whose lengths include 1 and
 * whose sizes are not multiples of 4 — plus larger cases (d, k ≥ 9) that run SIMD tiles and
 * their tails. Checked: the loss, every gradient (U, W, b, V, c, h0), finalState, predict, the
 * per-step norms ‖∂L/∂s_t‖ (stateGradientNorms), and computeLoss (same loss, gradients untouched).
 *
 * The reference is itself proven first: its hand-written BPTT must match central finite
 * differences of its own loss, in f64, for every entry of every tensor.
 *
 * The wasm side runs on each module of fixtures/engines.js: the strict rnn.wasm and rnn-fma.wasm
 * (fused multiply-adds), under the same tolerances; the FMA one is skipped, with the reason,
 * where the engine lacks relaxed SIMD. The finite-difference checks prove the reference alone.
 */
import { test, describe, after } from "node:test";
import assert from "node:assert/strict";
import { RNN } from "../../dist/index.js";
import { lossAndGradients, lossOnly, predict as refPredict, seededRandom, checkTensor, randomInputsTargets, randomParameters, centralDifferences } from "../reference/rnn_ref.js";
import { ENGINES, eachEngine } from "./fixtures/engines.js";

const ACTIVATIONS = ["tanh", "sigmoid", "relu"];
const LOSSES = ["softmax-cross-entropy", "sigmoid-binary-cross-entropy", "mse"];
const TASKS = ["many-to-many", "many-to-one"];
const INPUTS = ["ids", "dense"];
const TENSORS = ["U", "W", "b", "V", "c"];

// wasm (f32) against the f64 reference: |got − want| ≤ 1e-5 + 1e-4·|want| per entry. f32 rounding
// over these short sums gives a few 1e-7 (printed after the run), so this leaves ~30× headroom
// while still catching a dropped term of relative size 1e-4.
const F32 = { atol: 1e-5, rtol: 1e-4 };
// Reference BPTT against central differences in f64 (eps 1e-6: truncation ~eps²·f''' ≈ 1e-12,
// rounding ~1e-16·|L|/eps ≈ 1e-10): |bptt − fd| ≤ 1e-7 + 1e-6·|fd|.
const FD = { atol: 1e-7, rtol: 1e-6, eps: 1e-6 };

const worst = { fd: {} };
function note(kind, name, diff) {
  worst[kind] ??= {};
  worst[kind][name] = Math.max(worst[kind][name] ?? 0, diff);
}
after(() => {
  const show = (o) => Object.entries(o).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(", ");
  for (const { name } of ENGINES) if (worst[name]) console.log(`max |wasm − ref| (${name} module): ${show(worst[name])}`);
  console.log(`max |bptt − finite differences| (reference): ${show(worst.fd)}`);
});

/** A case: config, parameters (f32-representable), and a batch; every number drawn from `seed`. */
function makeCase({ act, loss, task, input, n, d, k, lengths, withH0, seed }) {
  const rand = seededRandom(seed);
  const u = (a) => Math.fround((2 * rand() - 1) * a);
  const cfg = { input, inputSize: n, hiddenSize: d, outputSize: k, task, hiddenActivation: act, loss, seed: 1 };
  const params = randomParameters(u, { n, d, k });
  const batch = randomInputsTargets(rand, { loss, task, input, n, k, lengths });
  if (withH0) batch.h0 = lengths.map(() => Array.from({ length: d }, () => u(0.8)));
  return { cfg, params, batch };
}

function nameOf(c) {
  return `${c.act} ${c.loss} ${c.task} ${c.input} n=${c.n} d=${c.d} k=${c.k} lengths=[${c.lengths}]${c.withH0 ? " h0" : ""}`;
}

// The grid: every combination of the four axes, small odd sizes, lengths 3,1,5,2 (1 included,
// not sorted, so the wrapper's longest-first reordering is exercised), with and without h0.
const GRID = [];
let seed = 100;
for (const act of ACTIVATIONS)
  for (const loss of LOSSES)
    for (const task of TASKS)
      for (const input of INPUTS)
        for (const withH0 of [false, true])
          GRID.push({ act, loss, task, input, n: 5, d: 7, k: 3, lengths: [3, 1, 5, 2], withH0, seed: seed++ });

// Larger cases: d and k ≥ 9 (a full SIMD tile plus a tail in each dimension), B = 6 and 5.
const LARGE = [
  { act: "tanh", loss: "softmax-cross-entropy", task: "many-to-many", input: "ids", n: 11, d: 13, k: 10, lengths: [6, 1, 4, 2, 6, 3], withH0: true, seed: 900 },
  { act: "sigmoid", loss: "sigmoid-binary-cross-entropy", task: "many-to-one", input: "dense", n: 11, d: 13, k: 10, lengths: [6, 1, 4, 2, 6, 3], withH0: false, seed: 901 },
  { act: "relu", loss: "mse", task: "many-to-many", input: "dense", n: 9, d: 9, k: 9, lengths: [2, 5, 1, 3, 4], withH0: true, seed: 902 },
  { act: "relu", loss: "softmax-cross-entropy", task: "many-to-one", input: "ids", n: 6, d: 17, k: 12, lengths: [1, 7, 3, 7, 2], withH0: true, seed: 903 },
  { act: "tanh", loss: "mse", task: "many-to-one", input: "dense", n: 16, d: 16, k: 16, lengths: [4, 2, 4, 1], withH0: true, seed: 904 },
];

// Wide: products with K = 40 and 64 through full 4×8 tiles (and their edges at k = 33), where a
// fused multiply-add rounds differently from a multiply then an add. Against the reference only
// (finite differences over its 7k entries would take seconds).
const WIDE = [
  { act: "tanh", loss: "softmax-cross-entropy", task: "many-to-many", input: "dense", n: 40, d: 64, k: 33, lengths: [9, 3, 8, 1, 9, 5, 7], withH0: true, seed: 905 },
];

function expectClose(label, got, want, tol, kind, key) {
  const r = checkTensor(label, got, want, tol);
  note(kind, key, r.maxDiff);
  assert.ok(r.ok, r.message);
}

eachEngine(describe, test, ({ name: kind, engine }) => {
  for (const c of [...GRID, ...LARGE, ...WIDE]) {
    test(`wasm gradients = reference: ${nameOf(c)}`, async () => {
      const { cfg, params, batch } = makeCase(c);
      const model = await RNN.create(cfg, { engine });
      try {
        // A first pass at the seeded parameters, so the checked pass also proves that
        // setParameters takes effect after a pass and that gradients do not accumulate across calls.
        model.computeGradients(batch);
        model.setParameters(params);
        const got = model.computeGradients(batch);
        const g = model.gradients();
        const want = lossAndGradients(cfg, params, batch);

        expectClose("loss", [got.loss], [want.loss], F32, kind, "loss");
        for (const name of TENSORS) expectClose(`d${name}`, g[name], want.grads[name], F32, kind, name);
        if (c.withH0) {
          assert.ok(g.h0 instanceof Float32Array, "gradients().h0 is present when the batch had h0");
          expectClose("dh0", g.h0, want.grads.h0, F32, kind, "h0");
        } else {
          assert.equal(g.h0, undefined, "gradients().h0 is absent when the batch had no h0");
        }
        expectClose("finalState", got.finalState, want.finalState, F32, kind, "finalState");
        // BPTT introspection: ‖∂L/∂s_t‖ per step over the sequences still running at t.
        expectClose("stateGradientNorms", model.stateGradientNorms(), want.stateGradNorms, F32, kind, "stateGradNorms");

        // computeLoss: the same loss, forward only, and the gradients left as they were.
        const lossOnlyResult = model.computeLoss(batch);
        expectClose("computeLoss", [lossOnlyResult.loss], [want.loss], F32, kind, "loss");
        expectClose("computeLoss finalState", lossOnlyResult.finalState, want.finalState, F32, kind, "finalState");
        for (const name of TENSORS) assert.deepEqual(model.gradients()[name], g[name], `computeLoss leaves d${name} alone`);

        // predict/forward on the same inputs: outputs per scored step and final states.
        const fw = model.forward(batch.inputs, c.withH0 ? { h0: batch.h0 } : {});
        const ref = refPredict(cfg, params, batch.inputs, batch.h0);
        assert.equal(fw.outputs.length, ref.outputs.length);
        fw.outputs.forEach((seq, i) => {
          assert.equal(seq.length, ref.outputs[i].length, `outputs[${i}]: number of scored steps`);
          seq.forEach((yhat, t) => expectClose(`outputs[${i}][${t}]`, yhat, ref.outputs[i][t], F32, kind, "outputs"));
        });
        expectClose("forward finalState", fw.finalState, ref.finalState, F32, kind, "finalState");

        // The parameters are untouched by computeGradients.
        const now = model.parameters();
        for (const name of TENSORS) assert.deepEqual(Array.from(now[name]), params[name], `${name} unchanged`);
      } finally {
        model.dispose();
      }
    });
  }
});

/** Central differences of the reference loss for every entry of one tensor (params or h0). */
function finiteDifferences(cfg, params, batch, name) {
  const isH0 = name === "h0";
  const flat = isH0 ? batch.h0.flat() : params[name].slice();
  const d = cfg.hiddenSize;
  const at = (values) => {
    if (isH0) {
      const h0 = batch.h0.map((_, i) => values.slice(i * d, (i + 1) * d));
      return lossOnly(cfg, params, { ...batch, h0 });
    }
    return lossOnly(cfg, { ...params, [name]: values }, batch);
  };
  return centralDifferences(flat, at, FD.eps);
}

// Every grid combination with h0, and the larger cases: all entries of all six tensors.
for (const c of [...GRID.filter((g) => g.withH0), ...LARGE]) {
  test(`reference BPTT = finite differences: ${nameOf(c)}`, () => {
    const { cfg, params, batch } = makeCase(c);
    const { loss, grads } = lossAndGradients(cfg, params, batch);
    assert.ok(Math.abs(loss - lossOnly(cfg, params, batch)) <= 1e-12 * Math.max(1, Math.abs(loss)), "lossAndGradients and lossOnly agree");
    const names = c.withH0 ? [...TENSORS, "h0"] : TENSORS;
    for (const name of names) {
      const fd = finiteDifferences(cfg, params, batch, name);
      const r = checkTensor(`reference d${name} vs finite differences`, grads[name], fd, FD);
      note("fd", name, r.maxDiff);
      assert.ok(r.ok, r.message);
    }
  });
}

// The comparison must be able to fail: a small perturbation of one weight is visible in the
// gradients the wasm returns (guards against comparing a tensor with itself or with zeros).
test("the check detects a wrong parameter", async () => {
  const c = GRID[0];
  const { cfg, params, batch } = makeCase(c);
  const model = await RNN.create(cfg);
  try {
    const shifted = { ...params, W: params.W.map((w, i) => (i === 3 ? w + 0.05 : w)) };
    model.setParameters(shifted);
    model.computeGradients(batch);
    const g = model.gradients();
    const want = lossAndGradients(cfg, params, batch);
    assert.ok(!checkTensor("dW", g.W, want.grads.W, F32).ok, "dW at shifted W differs from dW at W");
  } finally {
    model.dispose();
  }
});
