/**
 * Learning tests: the whole training core (forward, BPTT, clipping, Adam) must actually learn
 * tasks that need memory through time. Each model trains on batches from a seeded generator
 * with mixed sequence lengths and is scored on fresh held-out sequences drawn from another
 * seed, in one ragged predict call. Thresholds are absolute, not taken from the code:
 * - many-to-one, ids, softmax: "is token X present in the sequence?" ≥ 99% held out, also on
 *   long sequences whose only X is in the first three steps;
 * - many-to-many, ids, softmax: "output the token from 2 steps back" (a separate class for
 *   the first 2 steps) ≥ 99% of held-out steps;
 * - many-to-many, dense, MSE: a moving average and a product, R² ≥ 0.95 per output;
 * - many-to-many, dense, sigmoid BCE: three labels (sign now, sign one step back, XOR of two
 *   signs) ≥ 99% each.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RNN, init } from "../../dist/index.js";
import { seededRandom as mulberry32 } from "../reference/rnn_ref.js";

const int = (rand, lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const argmax = (p) => {
  let best = 0;
  for (let j = 1; j < p.length; j++) if (p[j] > p[best]) best = j;
  return best;
};
const TRAIN_SEED = 2024, HELD_OUT_SEED = 777;

/** Train `steps` Adam steps on batches of `B` samples [input, target] from `sample`. */
function train(model, sample, { steps, B = 32, lr = 0.01 }) {
  const rand = mulberry32(TRAIN_SEED);
  let first, loss;
  for (let s = 0; s < steps; s++) {
    const batch = Array.from({ length: B }, () => sample(rand));
    ({ loss } = model.trainStep({ inputs: batch.map((x) => x[0]), targets: batch.map((x) => x[1]) }, { optimizer: { type: "adam", lr }, clipNorm: 5 }));
    first ??= loss;
  }
  return { first, last: loss };
}

const heldOut = (sample, count) => {
  const rand = mulberry32(HELD_OUT_SEED);
  return Array.from({ length: count }, () => sample(rand));
};

test("many-to-one: is token X present in the sequence (ids, softmax over 2 classes)", async () => {
  const N = 10, X = 0;
  /** Lengths 3..20; half the sequences hold X once or twice at random places, the others never. */
  const sample = (rand) => {
    const len = int(rand, 3, 20);
    const seq = Array.from({ length: len }, () => int(rand, 1, N - 1));
    const present = rand() < 0.5 ? 1 : 0;
    if (present) for (let c = int(rand, 1, 2); c > 0; c--) seq[int(rand, 0, len - 1)] = X;
    return [seq, present];
  };
  /** The hardest case: a long sequence whose only X is in its first three steps (or no X). */
  const early = (rand) => {
    const len = int(rand, 15, 20);
    const seq = Array.from({ length: len }, () => int(rand, 1, N - 1));
    const present = rand() < 0.5 ? 1 : 0;
    if (present) seq[int(rand, 0, 2)] = X;
    return [seq, present];
  };
  const model = await RNN.create({ input: "ids", inputSize: N, hiddenSize: 16, outputSize: 2, task: "many-to-one", seed: 5 }, { engine: await init() });
  const { first, last } = train(model, sample, { steps: 500 });

  const accuracy = (set) => {
    const probs = model.predict(set.map((x) => x[0]));
    assert.equal(probs.length, set.length);
    let right = 0;
    set.forEach(([, y], i) => {
      assert.equal(probs[i].length, 1, "many-to-one: one output per sequence");
      if (argmax(probs[i][0]) === y) right++;
    });
    return right / set.length;
  };
  const acc = accuracy(heldOut(sample, 2000));
  const accEarly = accuracy(heldOut(early, 500));
  console.log(`is-X-present: loss ${first.toFixed(4)} → ${last.toFixed(4)}; held-out accuracy ${(100 * acc).toFixed(2)}%, X only in the first 3 of 15..20 steps ${(100 * accEarly).toFixed(2)}%`);
  assert.ok(acc >= 0.99, `held-out accuracy ${acc} < 0.99`);
  assert.ok(accEarly >= 0.99, `accuracy with an early X ${accEarly} < 0.99`);
  model.dispose();
});

test("many-to-many: output the token from 2 steps back (ids, softmax)", async () => {
  const N = 8, NONE = N; // class N: "no token 2 steps back yet" (the first 2 steps)
  const sample = (rand) => {
    const len = int(rand, 3, 20);
    const seq = Array.from({ length: len }, () => int(rand, 0, N - 1));
    return [seq, seq.map((_, t) => (t >= 2 ? seq[t - 2] : NONE))];
  };
  const model = await RNN.create({ input: "ids", inputSize: N, hiddenSize: 24, outputSize: N + 1, task: "many-to-many", seed: 6 }, { engine: await init() });
  const { first, last } = train(model, sample, { steps: 500 });

  const set = heldOut(sample, 1000);
  const probs = model.predict(set.map((x) => x[0]));
  let right = 0, total = 0, rightSeqs = 0, rightFirst2 = 0, first2 = 0;
  set.forEach(([seq, y], i) => {
    assert.equal(probs[i].length, seq.length, "many-to-many: one output per step");
    let all = true;
    y.forEach((c, t) => {
      total++;
      const ok = argmax(probs[i][t]) === c;
      if (ok) right++;
      else all = false;
      if (t < 2) { first2++; if (ok) rightFirst2++; }
    });
    if (all) rightSeqs++;
  });
  const acc = right / total;
  console.log(`delay-2 echo: loss ${first.toFixed(4)} → ${last.toFixed(4)}; held-out accuracy ${(100 * acc).toFixed(2)}% of ${total} steps, ` +
    `${(100 * rightSeqs / set.length).toFixed(1)}% of sequences entirely right, first 2 steps ${(100 * rightFirst2 / first2).toFixed(1)}%`);
  assert.ok(acc >= 0.99, `held-out accuracy ${acc} < 0.99`);
  assert.ok(rightFirst2 / first2 >= 0.99, "the first two steps (their own class) are not learned");
  model.dispose();
});

test("dense regression with MSE: a moving average and a product", async () => {
  // y_t = [ (x_t[0] + x_{t−1}[0]) / 2 , x_t[0] · x_t[1] ],  x ~ U(−1, 1)², x_{−1} = 0
  const sample = (rand) => {
    const len = int(rand, 2, 20);
    const seq = Array.from({ length: len }, () => [rand() * 2 - 1, rand() * 2 - 1]);
    return [seq, seq.map((x, t) => [0.5 * (x[0] + (t > 0 ? seq[t - 1][0] : 0)), x[0] * x[1]])];
  };
  const model = await RNN.create({ input: "dense", inputSize: 2, hiddenSize: 16, outputSize: 2, task: "many-to-many", loss: "mse", seed: 7 }, { engine: await init() });
  const { first, last } = train(model, sample, { steps: 1000 });

  const set = heldOut(sample, 1000);
  const out = model.predict(set.map((x) => x[0]));
  const se = [0, 0], sum = [0, 0], sumSq = [0, 0];
  let count = 0;
  set.forEach(([, y], i) => y.forEach((v, t) => {
    for (let j = 0; j < 2; j++) {
      se[j] += (out[i][t][j] - v[j]) ** 2;
      sum[j] += v[j];
      sumSq[j] += v[j] * v[j];
    }
    count++;
  }));
  const mse = se.map((x) => x / count);
  const variance = sumSq.map((x, j) => x / count - (sum[j] / count) ** 2);
  const r2 = mse.map((m, j) => 1 - m / variance[j]);
  console.log(`dense MSE: loss ${first.toFixed(4)} → ${last.toFixed(4)}; held-out MSE ${mse.map((x) => x.toExponential(2)).join(", ")} ` +
    `(target variance ${variance.map((x) => x.toFixed(3)).join(", ")}), R² ${r2.map((x) => x.toFixed(4)).join(", ")}`);
  for (let j = 0; j < 2; j++) assert.ok(r2[j] >= 0.95, `output ${j}: R² ${r2[j]} < 0.95`);
  model.dispose();
});

test("dense multi-label classification with sigmoid BCE: sign now, sign one step back, XOR", async () => {
  // Features ±U(0.2, 1) (a margin around 0) and one noise feature; y_t = [x_t[0] > 0, x_{t−1}[1] > 0, (x_t[0] > 0) xor (x_t[1] > 0)].
  const signed = (rand) => (rand() < 0.5 ? -1 : 1) * (0.2 + 0.8 * rand());
  const sample = (rand) => {
    const len = int(rand, 2, 20);
    const seq = Array.from({ length: len }, () => [signed(rand), signed(rand), rand() * 2 - 1]);
    return [seq, seq.map((x, t) => [x[0] > 0 ? 1 : 0, t > 0 && seq[t - 1][1] > 0 ? 1 : 0, (x[0] > 0) !== (x[1] > 0) ? 1 : 0])];
  };
  const model = await RNN.create({ input: "dense", inputSize: 3, hiddenSize: 16, outputSize: 3, task: "many-to-many", loss: "sigmoid-binary-cross-entropy", seed: 8 }, { engine: await init() });
  const { first, last } = train(model, sample, { steps: 700 });

  const set = heldOut(sample, 1000);
  const probs = model.predict(set.map((x) => x[0]));
  const right = [0, 0, 0];
  let count = 0;
  set.forEach(([, y], i) => y.forEach((v, t) => {
    for (let j = 0; j < 3; j++) {
      const p = probs[i][t][j];
      assert.ok(p >= 0 && p <= 1, `a sigmoid output ${p} outside [0, 1]`);
      if ((p > 0.5 ? 1 : 0) === v[j]) right[j]++;
    }
    count++;
  }));
  const acc = right.map((r) => r / count);
  console.log(`dense BCE: loss ${first.toFixed(4)} → ${last.toFixed(4)}; held-out accuracy ${acc.map((a) => (100 * a).toFixed(2) + "%").join(", ")} over ${count} steps`);
  for (let j = 0; j < 3; j++) assert.ok(acc[j] >= 0.99, `label ${j}: accuracy ${acc[j]} < 0.99`);
  model.dispose();
});
