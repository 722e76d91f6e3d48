/**
 * Streaming: a stepper fed one token (or vector) at a time gives, after each step, what
 * predict gives for that step of the whole sequence (many-to-many), or for the sequence so far
 * (many-to-one); feed() equals step by step; snapshot/restore and reset return to a saved or
 * initial state; h0 is honoured; after dispose() every use is a clear RnnError.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RNN, Random, RnnError, init } from "../../dist/index.js";

function maxDiff(a, b) {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
const TOL = 1e-6;   // the same f32 operations; only the batching of the calls differs

test("step by step equals predict on the whole sequence (ids, many-to-many)", async () => {
  const model = await RNN.create({ inputSize: 11, hiddenSize: 13, outputSize: 6, seed: 4 });
  const rng = new Random(1);
  const seq = Array.from({ length: 40 }, () => rng.int(11));
  const whole = model.predict([seq])[0];
  const s = model.stepper();
  let worst = 0;
  seq.forEach((x, t) => {
    const out = s.step(x);
    worst = Math.max(worst, maxDiff(out, whole[t]));
  });
  console.log(`ids: max |stepper − predict| over 40 steps = ${worst.toExponential(2)}`);
  assert.ok(worst <= TOL, `${worst}`);
  assert.equal(s.steps, 40);
  assert.ok(maxDiff(s.state, model.forward([seq]).finalState) <= TOL);
  // feed(): several steps in one call, same outputs.
  const f = model.stepper();
  const fed = [...f.feed(seq.slice(0, 25)), ...f.feed(seq.slice(25))];
  assert.ok(fed.every((o, t) => maxDiff(o, whole[t]) <= TOL));
  assert.equal(f.steps, 40);
  model.dispose();
});

test("a stepper stays right when the model's work block is replaced or memory grows between steps; its outputs are its own", async () => {
  const engine = await init();
  const model = RNN.createSync({ inputSize: 11, hiddenSize: 13, outputSize: 6, seed: 5 }, engine);
  const rng = new Random(3);
  const seq = Array.from({ length: 30 }, () => rng.int(11));
  const whole = model.predict([seq])[0];
  const s = model.stepper();
  const outs = [];
  seq.forEach((x, t) => {
    // A bigger batch (a new work block at another address) and a new model (more memory)
    // between steps: the stepper's cached views must not write into stale places.
    if (t === 10) model.predict(Array.from({ length: 40 }, () => Array.from({ length: 50 }, () => rng.int(11))));
    let bigger;
    if (t === 20) {
      const before = engine.exports.memory.buffer;
      bigger = RNN.createSync({ inputSize: 3000, hiddenSize: 300, outputSize: 3 }, engine);
      assert.notEqual(engine.exports.memory.buffer, before, "the new model grew wasm memory");
    }
    outs.push(s.step(x));
    bigger?.dispose();
  });
  outs.forEach((o, t) => assert.ok(maxDiff(o, whole[t]) <= TOL, `step ${t}: ${maxDiff(o, whole[t])}`));
  // Each returned array is a copy of its own: overwriting one changes no other, nor the stepper.
  const keep = outs.map((o) => o.slice());
  outs[3].fill(42);
  outs.forEach((o, t) => { if (t !== 3) assert.deepEqual(o, keep[t]); });
  assert.deepEqual(s.output, keep[keep.length - 1]);
  model.dispose();
});

test("dense inputs and many-to-one: the output for the sequence so far", async () => {
  const model = await RNN.create({ input: "dense", inputSize: 3, hiddenSize: 5, outputSize: 2, task: "many-to-one", seed: 2 });
  const rng = new Random(2);
  const seq = Array.from({ length: 12 }, () => Array.from({ length: 3 }, () => rng.next() * 2 - 1));
  const s = model.stepper();
  let worst = 0;
  for (let t = 0; t < seq.length; t++) worst = Math.max(worst, maxDiff(s.step(seq[t]), model.predict([seq.slice(0, t + 1)])[0][0]));
  console.log(`dense many-to-one: max |stepper − predict| = ${worst.toExponential(2)}`);
  assert.ok(worst <= TOL, `${worst}`);
  assert.throws(() => s.step([1, 2]), (e) => e instanceof RnnError && /3 features/.test(e.message));
  model.dispose();
});

test("snapshot, restore, reset and h0", async () => {
  const model = await RNN.create({ inputSize: 7, hiddenSize: 8, outputSize: 7, seed: 9 });
  const s = model.stepper();
  s.step(1);
  s.step(2);
  const mark = s.snapshot();
  const a = s.step(3);
  const a2 = s.step(4);
  s.step(5);
  s.restore(mark);
  assert.equal(s.steps, 2);
  assert.deepEqual(s.step(3), a);
  assert.deepEqual(s.step(4), a2);
  // A snapshot is a copy: later steps do not change it.
  assert.equal(mark.steps, 2);
  assert.deepEqual(mark.state, model.forward([[1, 2]]).finalState);
  s.reset();
  assert.equal(s.steps, 0);
  assert.equal(s.output, undefined);
  assert.deepEqual(s.state, new Float32Array(8));
  assert.deepEqual(s.step(1), model.stepper().step(1));
  // h0: equals predict with the same initial state.
  const h0 = Float32Array.from({ length: 8 }, (_, j) => Math.sin(j));
  const withH0 = model.stepper({ h0 });
  const want = model.predict([[3, 1, 4]], { h0: [h0] })[0];
  [3, 1, 4].forEach((x, t) => assert.ok(maxDiff(withH0.step(x), want[t]) <= TOL));
  assert.throws(() => s.restore({ state: new Float32Array(3), steps: 0 }), (e) => e instanceof RnnError && /8 numbers/.test(e.message));
  assert.throws(() => s.step(7), (e) => e instanceof RnnError && /0\.\.6.*7/.test(e.message));
  assert.throws(() => s.step(1.5), RnnError);
  model.dispose();
});

test("a stepper used after dispose() throws a clear RnnError", async () => {
  const model = await RNN.create({ inputSize: 4, hiddenSize: 4, outputSize: 4 });
  const s = model.stepper();
  s.step(1);
  const snap = s.snapshot();
  model.dispose();
  for (const use of [() => s.step(1), () => s.feed([1, 2]), () => s.snapshot(), () => s.restore(snap), () => s.reset(), () => s.state]) {
    assert.throws(use, (e) => e instanceof RnnError && /disposed/.test(e.message));
  }
  assert.throws(() => model.stepper(), (e) => e instanceof RnnError && /disposed/.test(e.message));
});
