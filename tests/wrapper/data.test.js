/**
 * Sequences → batches: the seeded generator (mulberry32, checked against an independent copy),
 * next-token pairs with <sos>/<eos>, truncating and windowing long sequences, seeded shuffling,
 * length buckets (less padding, every example exactly once), and that bucketing never mixes
 * padding into metrics: evaluate gives the same counts whatever the batching.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RNN, Random, nextTokenData, labellingData, fromLookahead, cutSequences, makeBatches, RnnError } from "../../dist/index.js";

// mulberry32 as published (Tommy Ettinger), an independent copy of what Random implements.
function mulberry32(seed) {
  let s = seed;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

test("Random is mulberry32, reproducible, and every bit of the seed matters", () => {
  const ref = mulberry32(12345);
  const r = new Random(12345);
  for (let i = 0; i < 100; i++) assert.equal(r.nextU32(), ref());
  const a = Array.from({ length: 5 }, ((g) => () => g.next())(new Random(7)));
  const b = Array.from({ length: 5 }, ((g) => () => g.next())(new Random(7)));
  assert.deepEqual(a, b);
  assert.ok(a.every((x) => x >= 0 && x < 1));
  assert.notEqual(new Random(7).nextU32(), new Random(8).nextU32());
  assert.notEqual(new Random(7).nextU32(), new Random(7 + 2 ** 32).nextU32());   // high bits folded in
  const g = new Random(3);
  g.next();
  const resumed = Random.fromState(g.state);
  assert.equal(resumed.nextU32(), g.nextU32());
  assert.deepEqual(new Random(1).shuffle([1, 2, 3, 4, 5]).sort(), [1, 2, 3, 4, 5]);
  assert.throws(() => new Random(-1), RnnError);
  assert.throws(() => new Random(1.5), RnnError);
});

test("nextTokenData: inputs <sos> x…, targets x… <eos>", () => {
  assert.deepEqual(nextTokenData([[5, 6, 7], [8]]), { inputs: [[1, 5, 6, 7], [1, 8]], targets: [[5, 6, 7, 2], [8, 2]] });
  assert.deepEqual(nextTokenData([[5, 6, 7]], { sos: false, eos: false }), { inputs: [[5, 6]], targets: [[6, 7]] });
  assert.deepEqual(nextTokenData([[5, 6], [9]], { sos: false, eos: 42 }), { inputs: [[5, 6], [9]], targets: [[6, 42], [42]] });
  // A single id without <sos>/<eos> has nothing to predict: left out.
  assert.deepEqual(nextTokenData([[4], [4, 5]], { sos: false, eos: false }).inputs, [[4]]);
  assert.throws(() => nextTokenData([[4]], { sos: false, eos: false }), RnnError);
});

test("cutSequences: truncate (start or end) or windows, targets cut alongside", () => {
  const data = { inputs: [[1, 2, 3, 4, 5, 6, 7], [8, 9]], targets: [[11, 12, 13, 14, 15, 16, 17], [18, 19]] };
  const start = cutSequences(data, { maxLength: 3 });
  assert.deepEqual(start.inputs, [[1, 2, 3], [8, 9]]);
  assert.deepEqual(start.targets, [[11, 12, 13], [18, 19]]);
  const end = cutSequences(data, { maxLength: 3, keep: "end" });
  assert.deepEqual(end.inputs, [[5, 6, 7], [8, 9]]);
  assert.deepEqual(end.targets, [[15, 16, 17], [18, 19]]);
  const win = cutSequences(data, { maxLength: 3, mode: "windows" });
  assert.deepEqual(win.inputs, [[1, 2, 3], [4, 5, 6], [7], [8, 9]]);
  assert.deepEqual(win.targets, [[11, 12, 13], [14, 15, 16], [17], [18, 19]]);
  assert.deepEqual(win.source, [0, 0, 0, 1]);
  const overlap = cutSequences(data, { maxLength: 4, mode: "windows", stride: 2 });
  assert.deepEqual(overlap.inputs, [[1, 2, 3, 4], [3, 4, 5, 6], [5, 6, 7], [8, 9]]);
  // many-to-one: one label per sequence, copied to each window.
  const cls = cutSequences({ inputs: data.inputs, targets: [0, 1] }, { maxLength: 3, mode: "windows", task: "many-to-one" });
  assert.deepEqual(cls.targets, [0, 0, 0, 1]);
  // Flat dense sequences: stepSize numbers per step.
  const dense = cutSequences({ inputs: [[1, 1, 2, 2, 3, 3]], targets: [0] }, { maxLength: 2, task: "many-to-one", stepSize: 2 });
  assert.deepEqual(dense.inputs, [[1, 1, 2, 2]]);
  assert.throws(() => cutSequences(data, { maxLength: 0 }), RnnError);
  assert.throws(() => cutSequences({ inputs: [[1, 2]], targets: [[1]] }, { maxLength: 1 }), /2 per-step targets/);
  assert.throws(() => cutSequences(data, { maxLength: 2, mode: "chop" }), RnnError);
});

function lengthsData(N, seed) {
  const rng = new Random(seed);
  const inputs = Array.from({ length: N }, () => Array.from({ length: 1 + rng.int(30) }, () => rng.int(6)));
  return { inputs, targets: inputs.map((s) => s.map((x) => x % 3)) };
}
const padded = (batches) => batches.reduce((s, b) => s + b.inputs.length * Math.max(...b.inputs.map((x) => x.length)), 0);

test("makeBatches: every example once, seeded shuffle, buckets cut padding", () => {
  const data = lengthsData(200, 1);
  const batches = makeBatches(data, { batchSize: 16, shuffle: true, seed: 5 });
  assert.equal(batches.length, Math.ceil(200 / 16));
  assert.deepEqual(batches.flatMap((b) => b.indices).sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i));
  for (const b of batches) b.indices.forEach((i, j) => { assert.equal(b.inputs[j], data.inputs[i]); assert.equal(b.targets[j], data.targets[i]); });
  const again = makeBatches(data, { batchSize: 16, shuffle: true, seed: 5 });
  assert.deepEqual(again.map((b) => b.indices), batches.map((b) => b.indices));
  const other = makeBatches(data, { batchSize: 16, shuffle: true, seed: 6 });
  assert.notDeepEqual(other.map((b) => b.indices), batches.map((b) => b.indices));
  // Padding computed: Σ_b B_b · T_b. Sorted buckets need far less than random batches.
  const real = data.inputs.reduce((s, x) => s + x.length, 0);
  const plain = padded(makeBatches(data, { batchSize: 16, shuffle: true, seed: 5, buckets: false }));
  const sorted = padded(makeBatches(data, { batchSize: 16 }));
  console.log(`real steps ${real}; padded T·B: random batches ${plain}, buckets (shuffled) ${padded(batches)}, buckets (sorted) ${sorted}`);
  assert.ok(padded(batches) < 0.75 * plain, `${padded(batches)} vs ${plain}`);
  assert.ok(sorted < 1.1 * real);
  assert.throws(() => makeBatches(data, { batchSize: 0 }), (e) => e instanceof RnnError && /batchSize.*≥ 1.*0/.test(e.message));
  assert.throws(() => makeBatches({ inputs: [], targets: [] }, { batchSize: 4 }), (e) => e instanceof RnnError && /empty/.test(e.message));
});

test("bucketing never mixes padding into metrics", async () => {
  const data = lengthsData(60, 2);
  const model = await RNN.create({ inputSize: 6, hiddenSize: 8, outputSize: 3, seed: 3 });
  // Reference: each sequence alone (no padding at all), predictions from predict().
  let right = 0;
  let total = 0;
  data.inputs.forEach((seq, i) => {
    const probs = model.predict([seq])[0];
    probs.forEach((p, t) => {
      right += p.indexOf(Math.max(...p)) === data.targets[i][t] ? 1 : 0;
      total++;
    });
  });
  const alone = model.evaluate(data, { batchSize: 1 });
  const realSteps = data.inputs.reduce((s, x) => s + x.length, 0);
  assert.equal(total, realSteps);
  for (const batchSize of [1, 7, 60]) {
    const ev = model.evaluate(data, { batchSize });
    assert.equal(ev.scored, realSteps, `batchSize ${batchSize}`);
    assert.equal(ev.confusion.total, realSteps);
    assert.equal(ev.confusion.correct, right, `batchSize ${batchSize}`);
    assert.deepEqual(ev.confusion.toArray(), alone.confusion.toArray());
    assert.ok(Math.abs(ev.loss - alone.loss) < 1e-5 * alone.loss, `${ev.loss} vs ${alone.loss}`);
  }
  // Many-to-one: one scored step per sequence, whatever the padding.
  const m2o = await RNN.create({ inputSize: 6, hiddenSize: 8, outputSize: 3, task: "many-to-one", seed: 3 });
  const cls = { inputs: data.inputs, targets: data.inputs.map((s) => s[s.length - 1] % 3) };
  const a = m2o.evaluate(cls, { batchSize: 1 });
  const b = m2o.evaluate(cls, { batchSize: 25 });
  assert.equal(b.scored, 60);
  assert.deepEqual(b.confusion.toArray(), a.confusion.toArray());
  model.dispose();
  m2o.dispose();
});

test("labellingData: L fill steps after the ids, the first label L + 1 times; fromLookahead reads L steps late", () => {
  assert.deepEqual(labellingData([[7, 8, 9]], [[4, 5, 6]]), { inputs: [[7, 8, 9]], targets: [[4, 5, 6]] });
  assert.deepEqual(labellingData([[7, 8, 9], [1]], [[4, 5, 6], [3]], { lookahead: 2 }), { inputs: [[7, 8, 9, 2, 2], [1, 2, 2]], targets: [[4, 4, 4, 5, 6], [3, 3, 3]] });
  assert.deepEqual(labellingData([[7]], [[4]], { lookahead: 1, fill: 0 }).inputs, [[7, 0]]);
  assert.deepEqual(fromLookahead([4, 4, 4, 5, 6], 3, 2), [4, 5, 6]);
  assert.deepEqual(fromLookahead([4, 5, 6], 3), [4, 5, 6]);
  for (const [args, re] of [
    [[[[1, 2]], [[1]]], /labels\[0\]: expected 2 labels/],
    [[[[1]], [[1]], { lookahead: -1 }], /lookahead/],
    [[[[1]], [[1]], { lookahed: 1 }], /lookahed: unknown/],
    [[[[1]], []], /expected 1 entries/],
    [[[[]], [[]]], /at least one/],
  ]) assert.throws(() => labellingData(...args), (e) => e instanceof RnnError && re.test(e.message), String(re));
});

test("a key nothing reads on a data set or a batch is refused, not ignored (a misspelt sampleWeight)", async () => {
  const m = await RNN.create({ inputSize: 4, hiddenSize: 3, outputSize: 4, seed: 1 });
  const before = m.save();
  const data = { inputs: [[1, 2]], targets: [[2, 3]] };
  for (const call of [
    () => m.fit({ ...data, sampleWeights: [2] }, { epochs: 1 }),
    () => m.evaluate({ ...data, weights: [1] }),
    () => m.trainStep({ ...data, sample_weight: [2] }),
    () => m.computeGradients({ ...data, mask: [[1, 1]] }),
  ]) assert.throws(call, (e) => e instanceof RnnError && /(sampleWeights|sample_weight|weights|mask): unknown option/.test(e.message));
  assert.deepEqual(m.save(), before);
  // What the library's own helpers add is accepted: cutSequences' source, makeBatches' indices.
  const cut = cutSequences(data, { maxLength: 1, mode: "windows" });
  m.fit(cut, { epochs: 1 });
  for (const b of makeBatches(data, { batchSize: 1 })) m.trainStep(b);
  m.dispose();
});
