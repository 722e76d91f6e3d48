/**
 * Truncated BPTT (chunks of K steps, state carried, gradients stopped at chunk boundaries,
 * an update after each chunk):
 * - K ≥ T is exactly full BPTT (gradients and the trained parameters);
 * - K < T equals the sum of per-chunk gradients computed independently here: each chunk's
 *   h0 comes from a separate forward pass over the steps before it, then computeGradients on
 *   the chunk alone (ragged lengths, many-to-many and many-to-one);
 * - it really truncates: with K < T the gradient differs from full BPTT;
 * - the update after each chunk matches a hand-run loop of computeGradients + SGD;
 * - fit({ tbptt }) runs the same steps;
 * - stateGradientNorms() afterwards describes the last chunk.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RNN, Random, trainTruncated, truncatedGradients, RnnError } from "../../dist/index.js";

const TENSORS = ["U", "W", "b", "V", "c"];

function maxDiff(a, b) {
  let m = 0;
  for (const name of TENSORS) for (let i = 0; i < a[name].length; i++) m = Math.max(m, Math.abs(a[name][i] - b[name][i]));
  return m;
}
function maxAbs(a) {
  let m = 0;
  for (const name of TENSORS) for (const x of a[name]) m = Math.max(m, Math.abs(x));
  return m;
}
function addInto(sum, g) {
  for (const name of TENSORS) {
    sum[name] ??= new Float64Array(g[name].length);
    for (let i = 0; i < g[name].length; i++) sum[name][i] += g[name][i];
  }
  return sum;
}

function ragged(task, lengths, seed) {
  const rng = new Random(seed);
  const inputs = lengths.map((L) => Array.from({ length: L }, () => rng.int(7)));
  const targets = task === "many-to-one" ? inputs.map(() => rng.int(5)) : inputs.map((s) => s.map(() => rng.int(5)));
  return { inputs, targets };
}
const config = (task) => ({ inputSize: 7, hiddenSize: 9, outputSize: 5, task, seed: 11 });

test("K ≥ T is full BPTT", async () => {
  for (const task of ["many-to-many", "many-to-one"]) {
    const batch = ragged(task, [9, 4, 12, 1, 12], 1);
    const model = await RNN.create(config(task));
    const full = model.computeGradients(batch);
    const g = model.gradients();
    for (const K of [12, 13, 100]) {
      const t = truncatedGradients(model, batch, K);
      assert.equal(t.chunks, 1);
      assert.equal(t.loss, full.loss);
      assert.equal(maxDiff(t.gradients, g), 0, `${task} K=${K}`);
      assert.deepEqual(t.finalState, full.finalState);
    }
    // Training: one chunk = one trainStep.
    const twin = await RNN.create(config(task));
    const opt = { optimizer: { type: "adam", lr: 0.01 }, clipNorm: 1 };
    const a = trainTruncated(model, batch, 12, opt);
    const b = twin.trainStep(batch, opt);
    assert.equal(a.loss, b.loss);
    assert.equal(maxDiff(model.parameters(), twin.parameters()), 0);
    model.dispose();
    twin.dispose();
  }
});

test("K < T: the sum of per-chunk gradients computed independently (many-to-many)", async () => {
  const K = 4;
  const batch = ragged("many-to-many", [11, 4, 12, 1, 7, 9], 2);
  const model = await RNN.create(config("many-to-many"));
  const t = truncatedGradients(model, batch, K);
  // Independently: chunk c holds the sequences longer than cK; its h0 is each one's state
  // after steps 0..cK−1, from a forward pass over those steps alone.
  let sum = {};
  let loss = 0;
  let chunks = 0;
  for (let a = 0; a < 12; a += K) {
    const rows = batch.inputs.map((s, i) => i).filter((i) => batch.inputs[i].length > a);
    const chunk = {
      inputs: rows.map((i) => batch.inputs[i].slice(a, a + K)),
      targets: rows.map((i) => batch.targets[i].slice(a, a + K)),
    };
    if (a > 0) chunk.h0 = Array.from(rows, (i) => model.forward([batch.inputs[i].slice(0, a)]).finalState);
    loss += model.computeGradients(chunk).loss * rows.length;
    sum = addInto(sum, model.gradients());
    chunks++;
  }
  assert.equal(t.chunks, 3);
  assert.equal(chunks, 3);
  const diff = maxDiff(t.gradients, sum);
  console.log(`many-to-many K=${K}: max |tbptt − Σ chunks| = ${diff.toExponential(2)} (gradients up to ${maxAbs(sum).toFixed(3)})`);
  assert.ok(diff <= 1e-6, `diff ${diff}`);
  assert.ok(Math.abs(t.loss - loss / 6) <= 1e-6 * loss, `${t.loss} vs ${loss / 6}`);
  // Each sequence's state at its end equals the untruncated forward pass (the state is carried exactly).
  const fs = model.forward(batch.inputs).finalState;
  let sd = 0;
  for (let i = 0; i < fs.length; i++) sd = Math.max(sd, Math.abs(fs[i] - t.finalState[i]));
  assert.ok(sd <= 1e-6, `final states differ by ${sd}`);
  // And it is truncated: full BPTT gives another W gradient.
  model.computeGradients(batch);
  const full = model.gradients();
  const wdiff = Math.max(...full.W.map((x, i) => Math.abs(x - t.gradients.W[i])));
  console.log(`many-to-many K=${K}: max |full − truncated| over dW = ${wdiff.toExponential(2)}`);
  assert.ok(wdiff > 1e-4, `truncation changed nothing (${wdiff})`);
  // BPTT introspection after a truncated step describes its last chunk (steps 8..11, K of them).
  truncatedGradients(model, batch, K);
  const norms = model.stateGradientNorms();
  assert.equal(norms.length, K);
  const rows = [0, 2, 5];                                           // lengths 11, 12, 9 > 8
  model.computeGradients({
    inputs: rows.map((i) => batch.inputs[i].slice(8)), targets: rows.map((i) => batch.targets[i].slice(8)),
    h0: rows.map((i) => model.forward([batch.inputs[i].slice(0, 8)]).finalState),
  });
  const again = model.stateGradientNorms();
  norms.forEach((x, t) => assert.ok(Math.abs(x - again[t]) <= 1e-6 * (1 + x), `t=${t}: ${x} vs ${again[t]}`));
  model.dispose();
});

test("K < T: many-to-one scores each sequence in its last chunk, earlier chunks only carry the state", async () => {
  const K = 3;
  const batch = ragged("many-to-one", [8, 3, 10, 2, 6, 7], 3);
  const model = await RNN.create(config("many-to-one"));
  const t = truncatedGradients(model, batch, K);
  // Independently: sequence i is scored in chunk ⌊(len−1)/K⌋, on its steps from there to its end.
  let sum = {};
  let loss = 0;
  const groups = new Map();
  batch.inputs.forEach((s, i) => {
    const c = Math.floor((s.length - 1) / K);
    groups.set(c, [...(groups.get(c) ?? []), i]);
  });
  for (const [c, rows] of groups) {
    const chunk = { inputs: rows.map((i) => batch.inputs[i].slice(c * K)), targets: rows.map((i) => batch.targets[i]) };
    if (c > 0) chunk.h0 = rows.map((i) => model.forward([batch.inputs[i].slice(0, c * K)]).finalState);
    loss += model.computeGradients(chunk).loss * rows.length;
    sum = addInto(sum, model.gradients());
  }
  assert.equal(t.chunks, groups.size);
  const diff = maxDiff(t.gradients, sum);
  console.log(`many-to-one K=${K}: max |tbptt − Σ chunks| = ${diff.toExponential(2)}`);
  assert.ok(diff <= 1e-6, `diff ${diff}`);
  assert.ok(Math.abs(t.loss - loss / 6) <= 1e-6 * loss);
  model.dispose();
});

test("dense inputs (vectors per step, or flat arrays) are cut into the same chunks", async () => {
  const rng = new Random(5);
  const lengths = [10, 6, 3];
  const nested = lengths.map((L) => Array.from({ length: L }, () => [rng.next(), rng.next() - 0.5]));
  const flat = nested.map((s) => s.flat());
  const targets = lengths.map((L) => Array.from({ length: L }, () => rng.int(3)));
  const model = await RNN.create({ input: "dense", inputSize: 2, hiddenSize: 5, outputSize: 3, seed: 1 });
  const a = truncatedGradients(model, { inputs: nested, targets }, 4);
  const b = truncatedGradients(model, { inputs: flat, targets }, 4);
  assert.equal(a.chunks, 3);
  assert.equal(maxDiff(a.gradients, b.gradients), 0);
  // Chunk by chunk by hand, as in the ids case.
  let sum = {};
  for (let s = 0; s < 10; s += 4) {
    const rows = [0, 1, 2].filter((i) => lengths[i] > s);
    const chunk = { inputs: rows.map((i) => nested[i].slice(s, s + 4)), targets: rows.map((i) => targets[i].slice(s, s + 4)) };
    if (s > 0) chunk.h0 = rows.map((i) => model.forward([nested[i].slice(0, s)]).finalState);
    model.computeGradients(chunk);
    sum = addInto(sum, model.gradients());
  }
  assert.ok(maxDiff(a.gradients, sum) <= 1e-6);
  model.dispose();
});

test("an update after each chunk: same as computeGradients + SGD by hand, and as fit({ tbptt })", async () => {
  const K = 5;
  const lr = 0.1;
  const batch = ragged("many-to-many", [14, 14, 9, 3], 4);
  const a = await RNN.create(config("many-to-many"));
  const b = await RNN.create(config("many-to-many"));
  const r = trainTruncated(a, batch, K, { optimizer: { type: "sgd", lr } });
  assert.equal(r.chunks, 3);
  // By hand on b: carry the state chunk to chunk, update after each.
  const d = 9;
  const state = batch.inputs.map(() => new Float32Array(d));
  for (let s = 0; s < 14; s += K) {
    const rows = [0, 1, 2, 3].filter((i) => batch.inputs[i].length > s);
    const chunk = { inputs: rows.map((i) => batch.inputs[i].slice(s, s + K)), targets: rows.map((i) => batch.targets[i].slice(s, s + K)) };
    if (s > 0) chunk.h0 = rows.map((i) => state[i]);
    const { finalState } = b.computeGradients(chunk);
    rows.forEach((i, j) => (state[i] = finalState.slice(j * d, (j + 1) * d)));
    const p = b.parameters();
    const g = b.gradients();
    for (const name of TENSORS) for (let i = 0; i < p[name].length; i++) p[name][i] -= lr * g[name][i];
    b.setParameters(p);
  }
  const diff = maxDiff(a.parameters(), b.parameters());
  console.log(`SGD after each chunk: max |library − by hand| = ${diff.toExponential(2)}`);
  assert.ok(diff <= 1e-6, `diff ${diff}`);
  // The parameters did move, three times.
  const fresh = await RNN.create(config("many-to-many"));
  assert.ok(maxDiff(fresh.parameters(), a.parameters()) > 1e-3);
  // fit with tbptt: one batch of the whole set (order within a batch does not change the sum).
  const h = fresh.fit(batch, { tbptt: K, epochs: 1, batchSize: 4, shuffle: false, optimizer: { type: "sgd", lr } });
  assert.ok(Math.abs(h.loss[0] - r.loss) <= 1e-6 * r.loss);
  assert.ok(maxDiff(fresh.parameters(), a.parameters()) <= 1e-6);
  assert.throws(() => trainTruncated(a, batch, 0), (e) => e instanceof RnnError && /tbptt/.test(e.message));
  assert.throws(() => fresh.fit(batch, { tbptt: -2 }), RnnError);
  for (const m of [a, b, fresh]) m.dispose();
});
