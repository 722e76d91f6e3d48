/**
 * Learning-rate schedules in fit: each form is checked against training that sets the rate by
 * hand (bit for bit), the cosine formula against an independent transcription, and bad
 * schedules are refused before the first update.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RNN, RnnError } from "../../dist/index.js";

const CFG = { inputSize: 6, hiddenSize: 5, outputSize: 6, seed: 3 };
const data = {
  inputs: [[1, 2, 3], [4, 5], [2, 2, 1, 0], [5, 4, 3, 2, 1], [0, 1], [3, 3, 3]],
  targets: [[2, 3, 4], [5, 0], [2, 1, 0, 1], [4, 3, 2, 1, 0], [1, 2], [3, 3, 3]],
};
const BASE = { batchSize: 2, shuffle: false, buckets: false };
const bits = (m) => Object.values(m.parameters()).map((a) => Buffer.from(a.buffer).toString("hex")).join();

/** Train a twin with the rate set by hand before each batch: fit one batch at a time. */
async function byHand(rateOf, epochs) {
  const m = await RNN.create(CFG);
  let step = 0;
  for (let e = 1; e <= epochs; e++) {
    for (let b = 0; b < data.inputs.length; b += 2) {
      const part = { inputs: data.inputs.slice(b, b + 2), targets: data.targets.slice(b, b + 2) };
      m.trainStep(part, { optimizer: { type: "adam", lr: rateOf(e, step) } });
      step++;
    }
  }
  return m;
}

test("exponential and step schedules train exactly as rates set by hand", async () => {
  for (const [schedule, rate] of [
    [{ type: "exponential", gamma: 0.5 }, (e) => 0.02 * 0.5 ** (e - 1)],
    [{ type: "step", stepSize: 2, gamma: 0.3 }, (e) => 0.02 * 0.3 ** Math.floor((e - 1) / 2)],
  ]) {
    const m = await RNN.create(CFG);
    m.fit(data, { ...BASE, epochs: 4, optimizer: { type: "adam", lr: 0.02 }, schedule });
    const twin = await byHand(rate, 4);
    assert.equal(bits(m), bits(twin), schedule.type);
    const constant = await byHand(() => 0.02, 4);
    assert.notEqual(bits(m), bits(constant), "the schedule changed something");
  }
});

test("cosine with warm-up follows its formula (an independent transcription), step by step", async () => {
  const lr = 0.05, warmupSteps = 3, totalSteps = 10, minLr = 0.001;
  const cosine = (s) => s < warmupSteps ? lr * (s + 1) / warmupSteps
    : minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * Math.min(1, (s - warmupSteps) / (totalSteps - warmupSteps))));
  const m = await RNN.create(CFG);
  m.fit(data, { ...BASE, epochs: 4, optimizer: { type: "adam", lr }, schedule: { type: "cosine", warmupSteps, totalSteps, minLr } });
  const twin = await byHand((_, s) => cosine(s), 4);
  assert.equal(bits(m), bits(twin));
});

test("a function schedule sees absolute epochs (initialEpoch) and the model's step count", async () => {
  const m = await RNN.create(CFG);
  m.fit(data, { ...BASE, epochs: 1, optimizer: { type: "adam", lr: 0.01 } });   // 3 steps taken
  const seen = [];
  m.fit(data, { ...BASE, epochs: 2, initialEpoch: 1, optimizer: { type: "adam", lr: 0.01 }, schedule: (at) => { seen.push(at); return at.lr; } });
  assert.deepEqual(seen.map((a) => [a.epoch, a.step, a.lr]), [[2, 3, 0.01], [2, 4, 0.01], [2, 5, 0.01], [3, 6, 0.01], [3, 7, 0.01], [3, 8, 0.01]]);
  const h = (await RNN.create(CFG)).fit(data, { ...BASE, epochs: 2, initialEpoch: 5 });
  assert.deepEqual(h.epochs.map((e) => e.epoch), [6, 7]);
});

test("bad schedules are refused before anything changes", async () => {
  const m = await RNN.create(CFG);
  const before = bits(m);
  const bad = [
    [{ type: "linear" }, /schedule\.type/],
    [{ type: "exponential", gamma: 0 }, /gamma/],
    [{ type: "exponential", gamma: 0.5, every: 2 }, /schedule\.every: unknown/],
    [{ type: "step", stepSize: 0 }, /stepSize/],
    [{ type: "cosine", warmupSteps: 5, totalSteps: 5 }, /totalSteps/],
    [{ type: "cosine", minLr: 1 }, /minLr/],
    [42, /schedule/],
  ];
  for (const [schedule, re] of bad) {
    assert.throws(() => m.fit(data, { ...BASE, epochs: 1, schedule }), (e) => e instanceof RnnError && re.test(e.message), JSON.stringify(schedule));
  }
  assert.throws(() => m.fit(data, { ...BASE, epochs: 1, initialEpoch: -1 }), (e) => e instanceof RnnError && /initialEpoch/.test(e.message));
  assert.equal(bits(m), before);
  // A function's bad value stops fit at that batch with the epoch and step named.
  assert.throws(() => m.fit(data, { ...BASE, epochs: 1, schedule: () => NaN }), (e) => e instanceof RnnError && /returned NaN at epoch 1, step 0/.test(e.message));
  assert.equal(bits(m), before);
});
