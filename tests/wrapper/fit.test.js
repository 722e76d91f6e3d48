/**
 * model.fit and model.evaluate: a learnable task built from text with a Vocabulary and a
 * LabelEncoder reaches ≥ 99% held-out accuracy; a many-to-many tagging task too; early
 * stopping stops (and restores the best epoch's parameters); the callbacks see every batch
 * and epoch with tokens/s and elapsed time; evaluate's accuracy agrees with predict; bad
 * input is a clear RnnError.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RNN, Vocabulary, LabelEncoder, Random, RnnError } from "../../dist/index.js";

const WORDS = ["red", "green", "blue", "cat", "dog", "runs", "sleeps", "fast", "slowly", "the"];
const COLOURS = ["red", "green", "blue"];

/** Sentences whose class is the colour they start with; the rest is noise of 2..9 words. */
function colourData(N, seed) {
  const rng = new Random(seed);
  const texts = [];
  const labels = [];
  for (let i = 0; i < N; i++) {
    const c = COLOURS[rng.int(3)];
    texts.push([c, ...Array.from({ length: 2 + rng.int(8) }, () => WORDS[rng.int(WORDS.length)])]);
    labels.push(c);
  }
  return { texts, labels };
}

test("fit reaches ≥ 99% held-out accuracy (many-to-one, from text)", async () => {
  const train = colourData(600, 1);
  const held = colourData(300, 2);
  const vocab = Vocabulary.build(train.texts);
  const labels = LabelEncoder.fit(train.labels);
  const encode = ({ texts, labels: y }) => ({ inputs: texts.map((t) => vocab.encode(t)), targets: labels.encode(y) });
  const model = await RNN.create({ inputSize: vocab.size, hiddenSize: 24, outputSize: labels.size, task: "many-to-one", seed: 7 });
  model.vocabulary = vocab;
  model.labels = labels;
  const batches = [];
  const epochs = [];
  const t0 = performance.now();
  const history = model.fit(encode(train), {
    epochs: 12, batchSize: 32, optimizer: { type: "adam", lr: 0.01 }, clipNorm: 5, seed: 3,
    validationData: encode(held),
    onBatch: (log) => batches.push(log),
    onEpoch: (log) => epochs.push(log),
  });
  const ms = performance.now() - t0;
  const ev = model.evaluate(encode(held));
  console.log(`many-to-one: held-out accuracy ${(100 * ev.accuracy).toFixed(2)}%, loss ${ev.loss.toFixed(4)}, ` +
    `${history.epochs.length} epochs in ${ms.toFixed(0)} ms, ${Math.round(history.epochs.at(-1).tokensPerSecond)} tokens/s`);
  assert.ok(ev.accuracy >= 0.99, `accuracy ${ev.accuracy}`);
  assert.equal(ev.scored, 300);                                  // one per sequence
  assert.deepEqual(ev.confusion.labels, ["blue", "green", "red"]);   // names from model.labels
  assert.equal(ev.perClass.length, 3);
  // History and callbacks.
  assert.equal(history.stopped, "completed");
  assert.equal(history.epochs.length, 12);
  assert.deepEqual(history.loss, history.epochs.map((e) => e.loss));
  assert.equal(history.valAccuracy.at(-1), ev.accuracy);
  assert.ok(history.loss.at(-1) < history.loss[0] / 5, `loss ${history.loss[0]} → ${history.loss.at(-1)}`);
  assert.equal(batches.length, 12 * Math.ceil(600 / 32));
  assert.deepEqual(epochs, history.epochs);
  const tokens = train.texts.reduce((s, t) => s + t.length, 0);
  assert.equal(epochs[0].tokens, tokens);
  assert.equal(batches.filter((b) => b.epoch === 1).reduce((s, b) => s + b.tokens, 0), tokens);
  assert.ok(batches.every((b, i) => b.tokensPerSecond > 0 && b.elapsed >= (i ? batches[i - 1].elapsed : 0)));
  assert.deepEqual(batches.slice(0, 3).map((b) => [b.epoch, b.batch, b.batches]), [[1, 1, 19], [1, 2, 19], [1, 3, 19]]);
  // evaluate agrees with predict.
  const probs = model.predict(encode(held).inputs);
  const right = probs.filter((p, i) => p[0].indexOf(Math.max(...p[0])) === labels.id(held.labels[i])).length;
  assert.equal(ev.confusion.correct, right);
  model.dispose();
});

test("fit on a tagging task (many-to-many): ≥ 99% of real tokens right", async () => {
  // tag_t = (x_t + x_{t−1}) mod 3 (x_{−1} = 0): needs one step of memory.
  const make = (N, seed) => {
    const rng = new Random(seed);
    const inputs = Array.from({ length: N }, () => Array.from({ length: 2 + rng.int(14) }, () => rng.int(5)));
    return { inputs, targets: inputs.map((s) => s.map((x, t) => (x + (t ? s[t - 1] : 0)) % 3)) };
  };
  const model = await RNN.create({ inputSize: 5, hiddenSize: 16, outputSize: 3, seed: 1 });
  model.fit(make(500, 1), { epochs: 15, batchSize: 25, optimizer: { type: "adam", lr: 0.02 }, seed: 1 });
  const held = make(200, 2);
  const ev = model.evaluate(held, { predictions: true });
  console.log(`many-to-many: held-out token accuracy ${(100 * ev.accuracy).toFixed(2)}% over ${ev.scored} tokens`);
  assert.ok(ev.accuracy >= 0.99, `accuracy ${ev.accuracy}`);
  assert.equal(ev.scored, held.inputs.reduce((s, x) => s + x.length, 0));
  assert.equal(ev.predictions.length, 200);
  assert.deepEqual(ev.predictions.map((p) => p.length), held.inputs.map((s) => s.length));
  const right = ev.predictions.reduce((s, p, i) => s + p.filter((y, t) => y === held.targets[i][t]).length, 0);
  assert.equal(right, ev.confusion.correct);
  model.dispose();
});

test("evaluate with sigmoid and MSE outputs: loss of the whole set, binary accuracy, no confusion", async () => {
  const rng = new Random(6);
  const inputs = Array.from({ length: 23 }, () => Array.from({ length: 1 + rng.int(9) }, () => rng.int(5)));
  // Sigmoid BCE, many-to-many, k = 3: accuracy over every (real step, output) pair of (ŷ > 0.5) === y.
  const bce = await RNN.create({ inputSize: 5, hiddenSize: 6, outputSize: 3, loss: "sigmoid-binary-cross-entropy", seed: 8 });
  const targets = inputs.map((s) => s.map(() => [rng.int(2), rng.int(2), rng.int(2)]));
  const ev = bce.evaluate({ inputs, targets }, { batchSize: 5 });
  let right = 0;
  let judged = 0;
  bce.predict(inputs).forEach((steps, i) => steps.forEach((p, t) => p.forEach((q, j) => { right += (q > 0.5 ? 1 : 0) === targets[i][t][j] ? 1 : 0; judged++; })));
  assert.equal(ev.accuracy, right / judged);
  assert.equal(ev.confusion, undefined);
  const whole = bce.computeGradients({ inputs, targets }).loss;      // one batch of all 23: the same mean
  assert.ok(Math.abs(ev.loss - whole) <= 1e-5 * whole, `${ev.loss} vs ${whole}`);
  // MSE, many-to-one: a loss, no accuracy.
  const mse = await RNN.create({ inputSize: 5, hiddenSize: 6, outputSize: 2, loss: "mse", task: "many-to-one", seed: 8 });
  const y = inputs.map(() => [rng.next(), rng.next()]);
  const em = mse.evaluate({ inputs, targets: y }, { batchSize: 4 });
  assert.equal(em.accuracy, undefined);
  assert.equal(em.scored, 23);
  const wm = mse.computeGradients({ inputs, targets: y }).loss;
  assert.ok(Math.abs(em.loss - wm) <= 1e-5 * wm);
  bce.dispose();
  mse.dispose();
});

test("early stopping stops, and restores the best epoch", async () => {
  // Random labels: the training set can be memorised, the held-out loss can only get worse.
  const rng = new Random(9);
  const noise = (N) => {
    const inputs = Array.from({ length: N }, () => Array.from({ length: 4 + rng.int(4) }, () => rng.int(8)));
    return { inputs, targets: inputs.map(() => rng.int(4)) };
  };
  const model = await RNN.create({ inputSize: 8, hiddenSize: 32, outputSize: 4, task: "many-to-one", seed: 2 });
  const val = noise(64);
  const history = model.fit(noise(64), {
    epochs: 300, batchSize: 16, optimizer: { type: "adam", lr: 0.02 }, validationData: val, earlyStopping: { patience: 3 },
  });
  console.log(`early stopping: stopped after ${history.epochs.length} of 300 epochs, best epoch ${history.bestEpoch}`);
  assert.equal(history.stopped, "early-stopping");
  assert.ok(history.epochs.length < 300);
  assert.equal(history.epochs.length, history.bestEpoch + 3);
  const best = history.valLoss[history.bestEpoch - 1];
  assert.ok(history.valLoss.slice(history.bestEpoch).every((v) => v >= best));
  assert.equal(history.restoredBest, true);
  assert.ok(Math.abs(model.evaluate(val).loss - best) < 1e-6 * best, "parameters of the best epoch are back");
  // stop() from a callback ends training; a callback's return value does not.
  const h2 = model.fit(noise(16), { epochs: 50, onEpoch: (e, { stop }) => { if (e.epoch === 2) stop(); } });
  assert.equal(h2.stopped, "stopped");
  assert.equal(h2.epochs.length, 2);
  const h3 = model.fit(noise(16), { epochs: 3, batchSize: 4, onBatch: () => false, onEpoch: () => false });
  assert.equal(h3.stopped, "completed");
  assert.equal(h3.epochs.length, 3);
  // stop() mid-epoch: the partial epoch is logged over the sequences it saw.
  const h4 = model.fit(noise(16), { epochs: 5, batchSize: 4, onBatch: (b, { stop }) => { if (b.batch === 2) stop(); } });
  assert.equal(h4.stopped, "stopped");
  assert.equal(h4.epochs.length, 1);
  assert.ok(Number.isFinite(h4.loss[0]));
  model.dispose();
});

test("fitAsync: the same numbers as fit, the event loop runs, an AbortSignal stops it", async () => {
  const rng = new Random(4);
  const inputs = Array.from({ length: 200 }, () => Array.from({ length: 3 + rng.int(10) }, () => rng.int(6)));
  const data = { inputs, targets: inputs.map((s) => s.map((x) => x % 2)) };
  const cfg = { inputSize: 6, hiddenSize: 12, outputSize: 2, seed: 3 };
  const a = await RNN.create(cfg);
  const b = await RNN.create(cfg);
  const opts = { epochs: 3, batchSize: 16, optimizer: { type: "adam", lr: 0.01 }, seed: 2 };
  const ha = a.fit(data, opts);
  let turns = 0;
  const timer = setInterval(() => turns++, 0);
  const hb = await b.fitAsync(data, { ...opts, yieldEvery: 0 });
  clearInterval(timer);
  assert.deepEqual(hb.loss, ha.loss);
  assert.deepEqual(b.parameters(), a.parameters());
  assert.ok(turns > 0, "the event loop never ran during fitAsync");
  // Abort from a timer: only possible because fitAsync yields.
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 20);
  const hc = await b.fitAsync(data, { epochs: 100000, batchSize: 16, signal: ac.signal, yieldEvery: 1 });
  console.log(`fitAsync aborted after ${hc.epochs.length} epoch(s), ${hc.epochs.at(-1).elapsed.toFixed(3)} s`);
  assert.equal(hc.stopped, "stopped");
  assert.ok(hc.epochs.length < 100000);
  await assert.rejects(b.fitAsync(data, { signal: 5 }), RnnError);
  a.dispose();
  b.dispose();
});

test("bad input is a clear RnnError", async () => {
  const model = await RNN.create({ inputSize: 4, hiddenSize: 4, outputSize: 2, task: "many-to-one" });
  const data = { inputs: [[1, 2], [3]], targets: [0, 1] };
  const check = (fn, re) => assert.throws(fn, (e) => e instanceof RnnError && re.test(e.message), String(re));
  check(() => model.fit({ inputs: [], targets: [] }), /empty/);
  check(() => model.evaluate({ inputs: [], targets: [] }), /empty/);
  check(() => model.fit(data, { batchSize: 0 }), /batchSize.*≥ 1.*got 0/);
  check(() => model.fit(data, { batchSize: 2.5 }), /batchSize/);
  check(() => model.fit(data, { epochs: 0 }), /epochs/);
  check(() => model.fit(data, { earlyStopping: { patience: 2 } }), /validationData/);
  check(() => model.fit(data, { epoch: 3 }), /options\.epoch: unknown/);
  check(() => model.fit({ inputs: [[1]], targets: [0, 1] }), /2 entries|expected 1/);
  check(() => model.fit({ inputs: [[1, 9]], targets: [0] }), /0\.\.3/);
  check(() => model.evaluate(data, { batchSize: -1 }), /batchSize/);
  const blowUp = await RNN.create({ inputSize: 4, hiddenSize: 4, outputSize: 1, task: "many-to-one", loss: "mse", hiddenActivation: "relu", seed: 1 });
  check(() => blowUp.fit({ inputs: [[1, 2], [3]], targets: [[1e3], [2e3]] }, { optimizer: { type: "sgd", lr: 10 }, epochs: 50 }), /fit: epoch \d+, batch 1: trainStep: not applied: the (loss|gradient norm|update)/);
  blowUp.dispose();
  model.dispose();
  check(() => model.fit(data), /disposed/);
});
