/**
 * Proves the f64 reference of the deep / bidirectional model (tests/reference/deep_ref.js,
 * issue #12, DESIGN §6) — it tests the reference, not the library: the kernels of #12 will be
 * checked against this reference and against the same PyTorch fixture. Nothing here loads
 * dist/. Checked:
 *   1. it reduces to rnn_ref.js for one unidirectional layer (every activation × loss × task ×
 *      input, with and without h0): loss, gradients, finalState, predict;
 *   2. hand-written backward = central finite differences of its own loss, every entry of
 *      every tensor (E, each U/W/b per layer and direction, V, c) and of h0, for
 *      L ∈ {1, 2, 3} × bidirectional × {ids + embedding, ids, dense} × activation × task (108
 *      cases, the three losses in turn, ragged lengths with a 1, h0 given), plus dropout masks;
 *   3. padding invariance: a batch = each sequence alone (loss, gradients / B, h_n slots, h0
 *      gradients), padding past `lengths` never read (NaN there), and the reverse direction =
 *      a forward direction over the reversed sequence;
 *   4. PyTorch parity (tests/fixtures/torch_deep*, scripts/make_torch_fixture.py --deep):
 *      nn.Embedding + nn.RNN(num_layers=2, bidirectional=True, tanh) + nn.Linear with h0, and
 *      dense nn.RNN(num_layers=3, bidirectional=True, relu) + nn.Linear without, on packed
 *      ragged batches — loss, logits, h_n, every gradient, dL/dh0, three Adam steps — for
 *      many-to-many and many-to-one; and that a wrong parameter makes the check fail.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as deep from "../reference/deep_ref.js";
import * as one from "../reference/rnn_ref.js";
import { seededRandom, checkTensor, randomInputsTargets, centralDifferences } from "../reference/rnn_ref.js";
import { loadTorchFixture } from "../reference/torch_fixtures.js";

const ACTIVATIONS = ["tanh", "sigmoid", "relu"];
const LOSSES = ["softmax-cross-entropy", "sigmoid-binary-cross-entropy", "mse"];
const TASKS = ["many-to-many", "many-to-one"];

// Reference backward against central differences in f64, as gradients.test.js: eps 1e-6,
// |bptt − fd| ≤ 1e-7 + 1e-6·|fd|.
const FD = { atol: 1e-7, rtol: 1e-6, eps: 1e-6 };
// Two f64 computations of the same quantity in a different order (deep_ref vs rnn_ref).
const SAME = { atol: 1e-13, rtol: 1e-12 };
// f64 reference against PyTorch's f32: ~1e-5 relative; atol for entries near 0 (f32 sums of
// terms ~0.1–1 carry ~1e-7 absolute error). Worst values are printed after the run.
const TORCH = { atol: 2e-6, rtol: 1e-5 };

const worst = {};
function expectClose(label, got, want, tol, key = label) {
  const r = checkTensor(label, Array.from(got), Array.from(want), tol);
  worst[key] = Math.max(worst[key] ?? 0, r.maxDiff);
  assert.ok(r.ok, r.message);
}
after(() => console.log(`max differences: ${Object.entries(worst).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(", ")}`));

// ───────────────────────────── cases ─────────────────────────────

/** A deep case: config, parameters, batch (h0 nested [slot][i]), every number from `seed`. */
function makeCase({ act, loss, task, input, layers, bidirectional, embeddingSize, n, d, k, lengths, withH0, seed }) {
  const rand = seededRandom(seed);
  const u = (a) => (2 * rand() - 1) * a;
  const cfg = { input, inputSize: n, hiddenSize: d, outputSize: k, task, hiddenActivation: act, loss, layers, bidirectional, embeddingSize };
  const params = {};
  for (const row of deep.parameterTable(cfg)) {
    const len = row.shape.reduce((a, b) => a * b, 1);
    // relu: positive biases keep most units alive, so the check sees non-zero gradients.
    const scale = row.name === "E" ? 1 : row.name[0] === "b" ? 0.3 : row.name === "c" ? 0.3 : 0.7;
    const shift = act === "relu" && row.name[0] === "b" ? 0.2 : 0;
    params[row.name] = Array.from({ length: len }, () => u(scale) + shift);
  }
  const batch = randomInputsTargets(rand, { loss, task, input, n, k, lengths });
  const D = bidirectional ? 2 : 1;
  if (withH0) batch.h0 = Array.from({ length: layers * D }, () => lengths.map(() => Array.from({ length: d }, () => u(0.8))));
  return { cfg, params, batch };
}

/** Keep masks (0/1 with probability 1 − p) for every layer boundary, sequence, step. */
function makeMasks(cfg, lengths, p, seed) {
  const rand = seededRandom(seed);
  const width = (cfg.bidirectional ? 2 : 1) * cfg.hiddenSize;
  return Array.from({ length: cfg.layers - 1 }, () =>
    lengths.map((len) => Array.from({ length: len }, () => Array.from({ length: width }, () => (rand() < p ? 0 : 1)))));
}

const nameOf = (c) =>
  `L=${c.layers}${c.bidirectional ? " bidirectional" : ""} ${c.input}${c.embeddingSize ? ` + embedding ${c.embeddingSize}` : ""} ${c.act} ${c.loss} ${c.task} lengths=[${c.lengths}]${c.withH0 ? " h0" : ""}`;

// n, e, d, k pairwise distinct and D·d ≠ n, so a transposed or misplaced tensor cannot pass.
const SIZES = { n: 7, d: 3, k: 5 };
const E = 4;
const LENGTHS = [3, 1, 4];

const FD_GRID = [];
{
  let seed = 1000;
  let li = 0;
  for (const layers of [1, 2, 3])
    for (const bidirectional of [false, true])
      for (const [input, embeddingSize] of [["ids", E], ["ids", undefined], ["dense", undefined]])
        for (const act of ACTIVATIONS)
          for (const task of TASKS)
            FD_GRID.push({ act, loss: LOSSES[li++ % 3], task, input, layers, bidirectional, embeddingSize, ...SIZES, lengths: LENGTHS, withH0: true, seed: seed++ });
}

// ───────────────────────────── 1. reduction to rnn_ref.js ─────────────────────────────

test("names: one unidirectional layer keeps U, W, b, V, c; the table follows PyTorch's state_dict", () => {
  const base = { input: "ids", inputSize: 7, hiddenSize: 3, outputSize: 5 };
  assert.deepEqual(deep.parameterTable(base).map((r) => r.name), ["U", "W", "b", "V", "c"]);
  const t = deep.parameterTable({ ...base, layers: 2, bidirectional: true, embeddingSize: 4 });
  assert.deepEqual(t.map((r) => [r.name, r.shape.join("x"), r.torch]), [
    ["E", "7x4", "embedding.weight"],
    ["U", "3x4", "rnn.weight_ih_l0"], ["W", "3x3", "rnn.weight_hh_l0"], ["b", "3", "rnn.bias_ih_l0"],
    ["U_reverse", "3x4", "rnn.weight_ih_l0_reverse"], ["W_reverse", "3x3", "rnn.weight_hh_l0_reverse"], ["b_reverse", "3", "rnn.bias_ih_l0_reverse"],
    ["U_l1", "3x6", "rnn.weight_ih_l1"], ["W_l1", "3x3", "rnn.weight_hh_l1"], ["b_l1", "3", "rnn.bias_ih_l1"],
    ["U_l1_reverse", "3x6", "rnn.weight_ih_l1_reverse"], ["W_l1_reverse", "3x3", "rnn.weight_hh_l1_reverse"], ["b_l1_reverse", "3", "rnn.bias_ih_l1_reverse"],
    ["V", "5x6", "fc.weight"], ["c", "5", "fc.bias"],
  ]);
  assert.equal(t.find((r) => r.name === "b_l1_reverse").torchZero, "rnn.bias_hh_l1_reverse");
  assert.throws(() => deep.parameterTable({ ...base, input: "dense", embeddingSize: 4 }), /ids/);
});

{
  let seed = 50;
  for (const act of ACTIVATIONS)
    for (const loss of LOSSES)
      for (const task of TASKS)
        for (const input of ["ids", "dense"])
          for (const withH0 of [false, true]) {
            const c = { act, loss, task, input, layers: 1, bidirectional: false, n: 5, d: 7, k: 3, lengths: [3, 1, 5, 2], withH0, seed: seed++ };
            test(`one layer, one direction = rnn_ref.js: ${nameOf(c)}`, () => {
              const { cfg, params, batch } = makeCase(c);
              // rnn_ref.js takes h0 as B arrays of d: slot 0 of the deep layout.
              const flatBatch = withH0 ? { ...batch, h0: batch.h0[0] } : batch;
              const got = deep.lossAndGradients(cfg, params, batch);
              const want = one.lossAndGradients(cfg, params, flatBatch);
              expectClose("loss", [got.loss], [want.loss], SAME, "vs rnn_ref");
              for (const name of ["U", "W", "b", "V", "c", ...(withH0 ? ["h0"] : [])]) expectClose(`d${name}`, got.grads[name], want.grads[name], SAME, "vs rnn_ref");
              assert.deepEqual(Object.keys(got.grads).sort(), Object.keys(want.grads).sort(), "the same set of gradients");
              expectClose("finalState", got.finalState, want.finalState, SAME, "vs rnn_ref");
              got.perSequence.forEach((s, i) => expectClose(`perSequence[${i}]`, [s.loss], [want.perSequence[i].loss], SAME, "vs rnn_ref"));
              const p1 = deep.predict(cfg, params, batch.inputs, batch.h0);
              const p2 = one.predict(cfg, params, batch.inputs, flatBatch.h0);
              expectClose("predict finalState", p1.finalState, p2.finalState, SAME, "vs rnn_ref");
              p1.outputs.forEach((seq, i) => seq.forEach((y, t) => expectClose(`outputs[${i}][${t}]`, y, p2.outputs[i][t], SAME, "vs rnn_ref")));
            });
          }
}

// ───────────────────────────── 2. finite differences ─────────────────────────────

/** Central differences of the reference loss for every entry of one tensor (a parameter or h0). */
function finiteDifferences(cfg, params, batch, name, opts) {
  const isH0 = name === "h0";
  const flat = isH0 ? batch.h0.flat(2) : params[name].slice();
  const { hiddenSize: d } = cfg;
  const B = batch.inputs.length;
  const at = (values) => {
    if (isH0) {
      const h0 = batch.h0.map((_, slot) => Array.from({ length: B }, (_, i) => values.slice((slot * B + i) * d, (slot * B + i + 1) * d)));
      return deep.lossOnly(cfg, params, { ...batch, h0 }, opts);
    }
    return deep.lossOnly(cfg, { ...params, [name]: values }, batch, opts);
  };
  return centralDifferences(flat, at, FD.eps);
}

/** relu has a kink at 0: the case is only valid if no pre-activation is within 1e-4 of it. */
function minAbsPreactivation(cfg, params, batch, opts) {
  let min = Infinity;
  batch.inputs.forEach((seq, i) => {
    const h0s = batch.h0?.map((slot) => slot[i]);
    const masks = opts?.dropout?.masks.map((m) => m[i]);
    const fw = deep.forwardSequence(cfg, params, seq, h0s, masks, opts?.dropout?.p);
    for (const layer of fw.layers) for (const run of layer.runs) for (const z of run.z) for (const v of z) min = Math.min(min, Math.abs(v));
  });
  return min;
}

function checkAgainstFD(c, opts) {
  const { cfg, params, batch } = makeCase(c);
  const o = typeof opts === "function" ? opts(cfg) : opts;
  if (c.act === "relu") assert.ok(minAbsPreactivation(cfg, params, batch, o) > 1e-4, "relu case away from the kink (pick another seed)");
  const { loss, grads } = deep.lossAndGradients(cfg, params, batch, o);
  assert.ok(Math.abs(loss - deep.lossOnly(cfg, params, batch, o)) <= 1e-12 * Math.max(1, Math.abs(loss)), "lossAndGradients and lossOnly agree");
  const names = [...deep.parameterTable(cfg).map((r) => r.name), "h0"];
  assert.deepEqual(Object.keys(grads).sort(), names.slice().sort(), "a gradient for every tensor and h0");
  for (const name of names) {
    const fd = finiteDifferences(cfg, params, batch, name, o);
    expectClose(`d${name} vs finite differences`, grads[name], fd, FD, "finite differences");
    // Not a vacuous pass: every tensor receives gradient (E: rows of unused ids stay 0).
    assert.ok(grads[name].some((v) => Math.abs(v) > 1e-6), `d${name} is not all zeros`);
  }
}

for (const c of FD_GRID) test(`backward = finite differences: ${nameOf(c)}`, () => checkAgainstFD(c));

// Dropout between layers: the masks scale forward and backward alike (p = 0.3, inverted).
{
  let seed = 3000;
  for (const layers of [2, 3])
    for (const bidirectional of [false, true])
      for (const act of ACTIVATIONS) {
        const c = { act, loss: LOSSES[seed % 3], task: TASKS[seed % 2], input: "ids", embeddingSize: E, layers, bidirectional, ...SIZES, lengths: LENGTHS, withH0: true, seed: seed++ };
        test(`backward = finite differences with dropout masks p=0.3: ${nameOf(c)}`, () =>
          checkAgainstFD(c, (cfg) => ({ dropout: { p: 0.3, masks: makeMasks(cfg, c.lengths, 0.3, c.seed + 1) } })));
      }
}

test("dropout: all-ones masks at p scale every layer input by 1/(1 − p); no masks = no dropout", () => {
  const c = { act: "tanh", loss: "mse", task: "many-to-many", input: "dense", layers: 2, bidirectional: true, ...SIZES, lengths: LENGTHS, withH0: true, seed: 77 };
  const { cfg, params, batch } = makeCase(c);
  const ones = makeMasks(cfg, c.lengths, 0, 1);
  const p = 0.5;
  // With keep-all masks, layer 1 reads 2·x: the same as doubling U_l1 and U_l1_reverse.
  const got = deep.lossAndGradients(cfg, params, batch, { dropout: { p, masks: ones } });
  const doubled = { ...params, U_l1: params.U_l1.map((v) => 2 * v), U_l1_reverse: params.U_l1_reverse.map((v) => 2 * v) };
  const want = deep.lossAndGradients(cfg, doubled, batch);
  expectClose("loss", [got.loss], [want.loss], SAME, "dropout");
  expectClose("finalState (h_n is the undropped state)", got.finalState, want.finalState, SAME, "dropout");
  expectClose("dU (layer 0)", got.grads.U, want.grads.U, SAME, "dropout");
  const plain = deep.lossAndGradients(cfg, params, batch, { dropout: { p } });
  const none = deep.lossAndGradients(cfg, params, batch);
  assert.equal(plain.loss, none.loss, "p without masks: no dropout");
  assert.notEqual(got.loss, none.loss);
});

// ───────────────────────────── 3. padding invariance ─────────────────────────────

for (const [layers, bidirectional, input, embeddingSize, task] of [
  [2, true, "ids", E, "many-to-many"],
  [3, true, "dense", undefined, "many-to-one"],
  [1, true, "ids", undefined, "many-to-one"],
  [2, false, "ids", E, "many-to-one"],
]) {
  const c = { act: "tanh", loss: "softmax-cross-entropy", task, input, layers, bidirectional, embeddingSize, ...SIZES, lengths: [4, 1, 3, 2], withH0: true, seed: 500 + layers };
  test(`a batch = each sequence alone, padding never read: ${nameOf(c)}`, () => {
    const { cfg, params, batch } = makeCase(c);
    const B = c.lengths.length;
    const slots = batch.h0.length;
    const d = cfg.hiddenSize;
    const whole = deep.lossAndGradients(cfg, params, batch);
    const sum = Object.fromEntries(Object.keys(whole.grads).filter((k) => k !== "h0").map((k) => [k, new Float64Array(whole.grads[k].length)]));
    let loss = 0;
    batch.inputs.forEach((seq, i) => {
      const alone = deep.lossAndGradients(cfg, params, { inputs: [seq], targets: [batch.targets[i]], h0: batch.h0.map((s) => [s[i]]) });
      loss += alone.loss / B;
      for (const k of Object.keys(sum)) alone.grads[k].forEach((v, j) => (sum[k][j] += v / B));
      for (let slot = 0; slot < slots; slot++) {
        const at = (slot * B + i) * d;
        expectClose(`h_n slot ${slot} of sequence ${i}`, whole.finalState.slice(at, at + d), alone.finalState.slice(slot * d, (slot + 1) * d), SAME, "padding");
        // dL/dh0 of the batch is the alone one / B.
        expectClose(`dh0 slot ${slot} of sequence ${i}`, whole.grads.h0.slice(at, at + d), Array.from(alone.grads.h0.slice(slot * d, (slot + 1) * d), (v) => v / B), SAME, "padding");
      }
      expectClose(`logits of sequence ${i}`, whole.logits[i].flatMap((o) => Array.from(o)), alone.logits[0].flatMap((o) => Array.from(o)), SAME, "padding");
    });
    expectClose("loss", [whole.loss], [loss], SAME, "padding");
    for (const k of Object.keys(sum)) expectClose(`d${k}`, whole.grads[k], sum[k], SAME, "padding");

    // Padded to T with poison (NaN features, out-of-range ids) and `lengths`: nothing changes.
    const T = Math.max(...c.lengths);
    const poison = input === "ids" ? 1e9 : new Array(cfg.inputSize).fill(NaN);
    const padded = { ...batch, lengths: c.lengths, inputs: batch.inputs.map((s) => [...s, ...new Array(T - s.length).fill(poison)]) };
    const p = deep.lossAndGradients(cfg, params, padded);
    assert.equal(p.loss, whole.loss, "padded loss");
    for (const k of Object.keys(whole.grads)) assert.deepEqual(p.grads[k], whole.grads[k], `padded d${k}`);
    assert.deepEqual(p.finalState, whole.finalState, "padded h_n");
    if (input === "dense") {
      // Flat dense sequences (n numbers a step) padded the same way.
      const flat = { ...padded, inputs: padded.inputs.map((s) => s.flat()) };
      assert.equal(deep.lossAndGradients(cfg, params, flat).loss, whole.loss, "padded flat dense loss");
    }
  });
}

test("the reverse direction = a forward direction over the reversed sequence (own length, own h0)", () => {
  const c = { act: "sigmoid", loss: "mse", task: "many-to-many", input: "dense", layers: 1, bidirectional: true, ...SIZES, lengths: [4, 1, 3], withH0: true, seed: 640 };
  const { cfg, params, batch } = makeCase(c);
  const B = c.lengths.length;
  const d = cfg.hiddenSize;
  const k = cfg.outputSize;
  const fwdCfg = { ...cfg, bidirectional: false };
  // V = [V→ | V←]: the bidirectional logits are V→ s→_t + V← s←_t + c.
  const half = (h) => Array.from({ length: k * d }, (_, j) => params.V[Math.floor(j / d) * 2 * d + h * d + (j % d)]);
  const fwd = { U: params.U, W: params.W, b: params.b, V: half(0), c: params.c };
  const rev = { U: params.U_reverse, W: params.W_reverse, b: params.b_reverse, V: half(1), c: new Array(k).fill(0) };
  const both = deep.lossAndGradients(cfg, params, batch);
  batch.inputs.forEach((seq, i) => {
    const a = deep.forwardSequence(fwdCfg, fwd, seq, [batch.h0[0][i]]);
    const r = deep.forwardSequence(fwdCfg, rev, seq.slice().reverse(), [batch.h0[1][i]]);
    const T = seq.length;
    both.logits[i].forEach((o, t) =>
      expectClose(`logits[${i}][${t}]`, o, a.heads[t].o.map((v, j) => v + r.heads[T - 1 - t].o[j]), SAME, "reverse"));
    expectClose(`h_n reverse of ${i} (its state at t = 0)`, both.finalState.slice((1 * B + i) * d, (1 * B + i + 1) * d), r.final[0], SAME, "reverse");
  });
});

// ───────────────────────────── 4. PyTorch ─────────────────────────────

// deep: ids + embedding, 2 layers, tanh, h0 given, softmax CE; deep_dense: dense, 3 layers,
// relu, no h0, MSE / sigmoid BCE (scripts/make_torch_fixture.py --deep).
const FIXTURES = [loadTorchFixture("deep"), loadTorchFixture("deep_dense")];
const fixture = FIXTURES[0].doc;
const stateDict = FIXTURES[0].stateDict;

for (const { name: fname, doc, stateDict: dict } of FIXTURES) {
  test(`torch_${fname}: the state_dict has exactly the keys of the names table (bias_hh zeros)`, () => {
    const cfg = doc.config;
    const table = deep.parameterTable(cfg);
    const keys = table.flatMap((r) => (r.torchZero ? [r.torch, r.torchZero] : [r.torch]));
    assert.deepEqual(Object.keys(dict).sort(), keys.sort());
    for (const r of table) if (r.torchZero) assert.ok(dict[r.torchZero].every((v) => v === 0), `${r.torchZero} is zero`);
    // and back: toTorch(fromTorch(x)) = x
    const back = deep.toTorch(cfg, deep.fromTorch(cfg, dict));
    for (const k of keys) assert.deepEqual(Array.from(back[k]), Array.from(dict[k]), k);
  });

  for (const [key, task] of [["manyToMany", "many-to-many"], ["manyToOne", "many-to-one"]]) {
    const want = doc[key];
    const cfg = { ...doc.config, task, loss: want.lossKind };
    const batch = { inputs: doc.inputs, targets: want.targets };
    if (doc.h0) batch.h0 = doc.h0;
    const byName = (g) => Object.fromEntries(deep.parameterTable(cfg).map((r) => [r.name, g[r.torch].flat(2)]));
    const what = `torch_${fname} (L=${cfg.layers} bidirectional ${cfg.input}${cfg.embeddingSize ? " + embedding" : ""} ${cfg.hiddenActivation}${doc.h0 ? " h0" : ""}), ${task} ${want.lossKind}`;

    test(`PyTorch ${what}: loss, logits, h_n, gradients, dL/dh0`, () => {
      const params = deep.fromTorch(cfg, dict);
      const got = deep.lossAndGradients(cfg, params, batch);
      expectClose("loss", [got.loss], [want.loss], TORCH, "torch");
      assert.equal(got.logits.length, want.logits.length);
      got.logits.forEach((seq, i) => expectClose(`logits[${i}]`, seq.flatMap((o) => Array.from(o)), want.logits[i].flat(), TORCH, "torch"));
      expectClose("h_n", got.finalState, want.h_n.flat(2), TORCH, "torch");
      const wantGrads = byName(want.grads);
      assert.deepEqual(Object.keys(wantGrads).sort(), Object.keys(got.grads).filter((k) => k !== "h0").sort());
      for (const name of Object.keys(wantGrads)) expectClose(`d${name}`, got.grads[name], wantGrads[name], TORCH, "torch");
      if (doc.h0) expectClose("dh0", got.grads.h0, want.h0Grad.flat(2), TORCH, "torch");
      else assert.equal(got.grads.h0, undefined);
    });

    test(`PyTorch ${what}: three torch.optim.Adam steps (defaults) from the fixture's parameters`, () => {
      const params = deep.fromTorch(cfg, dict);
      const state = {};
      const losses = [];
      for (let s = 0; s < want.adam.steps; s++) {
        const { loss, grads } = deep.lossAndGradients(cfg, params, batch);
        losses.push(loss);
        deep.adamStep(params, grads, state, { lr: want.adam.lr, beta1: want.adam.betas[0], beta2: want.adam.betas[1], eps: want.adam.eps });
      }
      expectClose("loss before each step", losses, want.adam.lossBeforeEachStep, TORCH, "torch adam");
      const wantParams = byName(want.adam.params);
      for (const name of Object.keys(wantParams)) expectClose(name, params[name], wantParams[name], TORCH, "torch adam");
    });
  }
}

test("the PyTorch check can fail: a shifted weight of the top reverse layer is caught", () => {
  const cfg = { ...fixture.config, task: "many-to-many" };
  const params = deep.fromTorch(cfg, stateDict);
  params.W_l1_reverse[4] += 1e-3;
  const got = deep.lossAndGradients({ ...cfg, loss: fixture.manyToMany.lossKind }, params, { inputs: fixture.inputs, targets: fixture.manyToMany.targets, h0: fixture.h0 });
  const r = checkTensor("h_n", Array.from(got.finalState), fixture.manyToMany.h_n.flat(2), TORCH);
  assert.ok(!r.ok, "h_n differs");
});
