/**
 * Streams in fitAsync and evaluate (src/stream.ts): an async iterable of examples, or of
 * batches, trains bit for bit as the same data given as an array with shuffling off (the model
 * file too: its generator advances as for an array); the function-per-epoch form gets the
 * epoch number; windows are checked whole (a bad item is an RnnError naming its epoch and
 * index, and nothing of its window is trained; the windows before stay trained) and sorted by
 * length inside; an AbortSignal stops mid-stream and the stream is closed; evaluate on a
 * stream equals evaluate on the array; an error the stream throws comes out as it is.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RNN, Random, RnnError, makeBatches } from "../../dist/index.js";
import { saved } from "./safety_helpers.js";

const CFG = { inputSize: 7, hiddenSize: 10, outputSize: 3, seed: 5 };

/** N tagging examples of ragged lengths 1..12 (target: the id mod 3), with optional weights. */
function tagData(N, seed, { weights = false } = {}) {
  const rng = new Random(seed);
  const inputs = Array.from({ length: N }, () => Array.from({ length: 1 + rng.int(12) }, () => rng.int(7)));
  const data = { inputs, targets: inputs.map((s) => s.map((x) => x % 3)) };
  if (weights) data.sampleWeight = inputs.map(() => 0.5 + rng.int(4) / 2);
  return data;
}

/** The examples of a data set as stream items. */
const examplesOf = (data) => data.inputs.map((input, i) => ({ input, target: data.targets[i], ...(data.sampleWeight ? { sampleWeight: data.sampleWeight[i] } : {}) }));

/** An async generator over items (an await between items, as a file or network read has). */
async function* asyncItems(items, log) {
  try {
    for (const item of items) {
      await null;
      yield item;
      if (log) log.read++;
    }
  } finally {
    if (log) log.closed = true;
  }
}

const params = (m) => m.parameters();

test("a stream of examples trains bit for bit as the array with shuffling off (without and with buckets)", async () => {
  const data = tagData(100, 1, { weights: true });
  for (const buckets of [false, true]) {
    const a = await RNN.create(CFG);
    const b = await RNN.create(CFG);
    const opts = { epochs: 3, batchSize: 8, optimizer: { type: "adam", lr: 0.02 }, buckets };
    // The array: one sorting pool (the whole set); the stream: one window holding all of it.
    const ha = a.fit(data, { ...opts, shuffle: false });
    const hb = await b.fitAsync(() => asyncItems(examplesOf(data)), { ...opts, window: 104 });
    assert.deepEqual(hb.loss, ha.loss);
    assert.deepEqual(hb.epochs.map((e) => [e.lossPerStep, e.tokens]), ha.epochs.map((e) => [e.lossPerStep, e.tokens]));
    assert.deepEqual(params(b), params(a));
    assert.ok(saved(b) === saved(a), "the model file (optimizer state, generator state) differs");
    a.dispose();
    b.dispose();
  }
  // Without buckets the window does not matter: batches are the stream's order, 8 at a time.
  const a = await RNN.create(CFG);
  const b = await RNN.create(CFG);
  a.fit(data, { epochs: 2, batchSize: 8, shuffle: false, buckets: false });
  await b.fitAsync(() => examplesOf(data), { epochs: 2, batchSize: 8, buckets: false, window: 16 });   // a sync iterable (an array of examples)
  assert.ok(saved(b) === saved(a), "the model files differ");
  a.dispose();
  b.dispose();
});

test("a stream of batches: each yielded batch is one step as it is, bit for bit as the array", async () => {
  const data = tagData(90, 2, { weights: true });
  const a = await RNN.create(CFG);
  const b = await RNN.create(CFG);
  const opts = { epochs: 2, batchSize: 16, optimizer: { type: "adam", lr: 0.02 } };
  const ha = a.fit(data, { ...opts, shuffle: false });
  // makeBatches' batches (with `indices`) are valid stream items.
  const batches = makeBatches(data, { batchSize: 16, shuffle: false, buckets: true });
  const seen = [];
  const hb = await b.fitAsync(() => asyncItems(batches), { ...opts, onBatch: (log) => seen.push(log) });
  assert.deepEqual(hb.loss, ha.loss);
  assert.ok(saved(b) === saved(a), "the model files differ");
  assert.equal(seen.length, 2 * batches.length);
  assert.equal(seen[0].batches, undefined, "a stream's length is not known: no `batches` in the batch log");
  assert.deepEqual(seen.slice(0, batches.length).map((l) => l.sequences), batches.map((x) => x.inputs.length));
  a.dispose();
  b.dispose();
});

test("the function form is called once per epoch with the epoch number; a generator read twice is refused up front", async () => {
  const data = tagData(40, 3);
  const m = await RNN.create(CFG);
  const calls = [];
  // The caller's own shuffle, seeded per epoch, as docs/training.md suggests.
  const h = await m.fitAsync((epoch) => {
    calls.push(epoch);
    return asyncItems(new Random(epoch).shuffle(examplesOf(data)));
  }, { epochs: 2, batchSize: 8, initialEpoch: 3 });
  assert.deepEqual(calls, [4, 5]);
  assert.deepEqual(h.epochs.map((e) => e.epoch), [4, 5]);
  // A function may return a promise of the iterable.
  const h2 = await m.fitAsync(async () => asyncItems(examplesOf(data)), { epochs: 1, batchSize: 8 });
  assert.equal(h2.stopped, "completed");
  // A generator object (an iterator) can be read once: with epochs > 1 it is refused before any step.
  const before = saved(m);
  await assert.rejects(m.fitAsync(asyncItems(examplesOf(data)), { epochs: 2 }), (e) => e instanceof RnnError && /fit data: a generator .* can be read once, and epochs is 2: pass a function/.test(e.message));
  await assert.rejects(m.fitAsync(data, { epochs: 2, validationData: asyncItems(examplesOf(data)) }), (e) => e instanceof RnnError && /validationData: a generator .* can be read once/.test(e.message));
  assert.ok(saved(m) === before, "the model changed");
  // With one epoch it is read once, which is fine.
  const h3 = await m.fitAsync(asyncItems(examplesOf(data)), { epochs: 1, batchSize: 8 });
  assert.equal(h3.epochs.length, 1);
  // A function that returns the same (spent) generator every time: the second epoch is empty.
  const once = asyncItems(examplesOf(data));
  await assert.rejects(m.fitAsync(() => once, { epochs: 2, batchSize: 8 }), /fit data: epoch 2: the stream yielded nothing \(a generator can be read once/);
  m.dispose();
});

test("bad items: an RnnError naming the epoch and item; nothing of that window is trained, the windows before are", async () => {
  const data = tagData(48, 4);
  const bad = examplesOf(data);
  bad[37] = { input: [1, 2, 9], target: [0, 1, 2] };          // id 9 ≥ inputSize 7
  const m = await RNN.create(CFG);
  const ref = await RNN.create(CFG);
  // Windows of 16: items 0..15 and 16..31 train, the window of item 37 (32..47) does not.
  await assert.rejects(m.fitAsync(() => asyncItems(bad), { epochs: 1, batchSize: 8, window: 16 }),
    (e) => e instanceof RnnError && /^fit data: epoch 1, item 37\.input\[2\]: expected a token id, an integer in 0\.\.6/.test(e.message));
  // The same as training on the first two windows only (then the generator was drawn the same).
  await ref.fitAsync(() => asyncItems(examplesOf(data).slice(0, 32)), { epochs: 1, batchSize: 8, window: 16 });
  assert.deepEqual(params(m), params(ref));
  m.dispose();
  ref.dispose();

  const check = async (items, re, options = {}, unchanged = true) => {
    const model = await RNN.create(CFG);
    const start = saved(model);
    await assert.rejects(model.fitAsync(() => asyncItems(items), { epochs: 1, batchSize: 4, ...options }), (e) => e instanceof RnnError && re.test(e.message), String(re));
    if (unchanged) assert.ok(saved(model) === start, `${re}: the model changed`);
    model.dispose();
  };
  const ok = examplesOf(data).slice(0, 6);
  await check([...ok, { input: [1, 2], target: [0] }], /^fit data: epoch 1, item 6\.target: expected 2 targets \(one per step of its input\), got 1/);
  await check([...ok, { input: [1, 2], target: [0, 5] }], /^fit data: epoch 1, item 6\.target\[1\]: expected a class id/);
  await check([...ok, { input: [], target: [] }], /^fit data: epoch 1, item 6\.input: empty sequence/);
  await check([...ok, { input: [1], target: [0], sampleWeight: -1 }], /^fit data: epoch 1, item 6\.sampleWeight: expected a finite number ≥ 0/);
  await check([ok[0], { inputz: [1], target: [0] }], /^fit data: epoch 1, item 1\.inputz: unknown option \(known: input, target, sampleWeight\)/);
  await check([ok[0], { input: [1] }], /^fit data: epoch 1, item 1\.target: missing/);
  await check([ok[0], 5], /^fit data: epoch 1, item 1: expected an example \{ input, target \} or a batch \{ inputs, targets \}, got 5/);
  await check([ok[0], { inputs: [[1]], targets: [[0]] }], /item 1: a batch \{ inputs, targets \} in a stream of examples/);
  await check([], /^fit data: epoch 1: the stream yielded nothing$/);
  // A stream of batches: a bad batch is refused whole (the batches before it are trained).
  const batches = [{ inputs: [[1, 2]], targets: [[1, 2]] }, { inputs: [[1], [3, 8]], targets: [[1], [0, 2]] }];
  const model = await RNN.create(CFG);
  const ref2 = await RNN.create(CFG);
  await assert.rejects(model.fitAsync(() => batches, { epochs: 1 }), /^RnnError: fit data: epoch 1, item 1\.inputs\[1\]\[1\]: expected a token id/);
  await ref2.fitAsync(() => batches.slice(0, 1), { epochs: 1 });
  assert.deepEqual(params(model), params(ref2));
  model.dispose();
  ref2.dispose();
  await check([{ inputs: [[1]], targets: [[0]] }, ok[0]], /item 1: expected a batch \{ inputs, targets \}, as the items before it, got an example/, {}, false);
  // Options that make no sense for the data are refused before anything.
  await check(ok, /fit options\.window: expected a multiple of batchSize \(4\), got 6/, { window: 6 });
  await check(ok, /schedule: a cosine schedule needs totalSteps when the data is a stream/, { schedule: { type: "cosine" } });
  const m2 = await RNN.create(CFG);
  assert.throws(() => m2.fit(() => asyncItems(ok)), (e) => e instanceof RnnError && /fit data: a stream .* needs fitAsync/.test(e.message));
  assert.throws(() => m2.fit(data, { validationData: () => ok }), /validationData: a stream needs fitAsync/);
  assert.throws(() => m2.fit(data, { window: 64 }), /fit options\.window: only for a stream/);
  m2.dispose();
});

test("an error the stream throws comes out as it is, the steps before it stay applied, the other streams are closed", async () => {
  const data = tagData(40, 5);
  const items = examplesOf(data);
  class ReadError extends Error {}
  const boom = new ReadError("disk on fire");
  async function* failing() {
    for (let i = 0; i < items.length; i++) {
      if (i === 20) throw boom;
      yield items[i];
    }
  }
  const m = await RNN.create(CFG);
  const ref = await RNN.create(CFG);
  await assert.rejects(m.fitAsync(failing, { epochs: 1, batchSize: 4, window: 8 }), (e) => e === boom);
  await ref.fitAsync(() => items.slice(0, 16), { epochs: 1, batchSize: 4, window: 8 });   // windows 0..7, 8..15
  assert.deepEqual(params(m), params(ref));
  // The same from validation data: the training stream is done by then; the error is the stream's own.
  const log = { read: 0, closed: false };
  await assert.rejects(m.fitAsync(() => asyncItems(items, log), { epochs: 1, batchSize: 4, validationData: failing }), (e) => e === boom);
  assert.ok(log.closed);
  // A function that throws: its error, as it is.
  await assert.rejects(m.evaluate(() => { throw boom; }), (e) => e === boom);
  m.dispose();
  ref.dispose();
});

test("AbortSignal and stop() end training mid-stream, and the stream is closed (return())", async () => {
  const data = tagData(200, 6);
  const m = await RNN.create(CFG);
  // Aborted in a batch callback: training stops after that batch.
  const ac = new AbortController();
  const log = { read: 0, closed: false };
  let batches = 0;
  const h = await m.fitAsync(() => asyncItems(examplesOf(data), log), {
    epochs: 5, batchSize: 8, window: 16, signal: ac.signal,
    onBatch: () => { if (++batches === 3) ac.abort(); },
  });
  assert.equal(h.stopped, "stopped");
  assert.equal(batches, 3);
  assert.equal(h.epochs.length, 1);
  assert.ok(log.closed, "the stream was not closed");
  assert.ok(log.read < 40, `read ${log.read} items for 3 batches of 8`);
  // Aborted from a timer while a slow stream is being read (between items of a window).
  const slow = { read: 0, closed: false };
  async function* trickle() {
    try {
      for (const item of examplesOf(data)) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        slow.read++;
        yield item;
      }
    } finally {
      slow.closed = true;
    }
  }
  const ac2 = new AbortController();
  setTimeout(() => ac2.abort(), 30);
  const h2 = await m.fitAsync(trickle, { epochs: 1, batchSize: 8, window: 1000 * 8, signal: ac2.signal });
  assert.equal(h2.stopped, "stopped");
  assert.deepEqual(h2.epochs, [], "nothing trained: the window was never complete");
  assert.ok(slow.closed && slow.read < 200, `read ${slow.read}`);
  // stop() from onEpoch, and early stopping with streamed validation data.
  const h3 = await m.fitAsync(() => asyncItems(examplesOf(data)), { epochs: 5, onEpoch: (e, c) => c.stop() });
  assert.equal(h3.stopped, "stopped");
  assert.equal(h3.epochs.length, 1);
  m.dispose();
});

test("validation data, early stopping, schedules and callbacks work on streams as on arrays", async () => {
  const train = tagData(120, 7);
  const val = tagData(50, 8);
  const a = await RNN.create(CFG);
  const b = await RNN.create(CFG);
  const opts = {
    epochs: 8, batchSize: 16, optimizer: { type: "sgd", lr: 0.2 }, schedule: { type: "exponential", gamma: 0.7 },
    earlyStopping: { patience: 1, minDelta: 0.01 }, validationBatchSize: 32,
  };
  const epochsA = [];
  const epochsB = [];
  const ha = a.fit(train, { ...opts, shuffle: false, validationData: val, onEpoch: (e) => epochsA.push(e.valLoss) });
  const hb = await b.fitAsync(() => asyncItems(examplesOf(train)), {
    ...opts, window: 128, validationData: (epoch) => asyncItems(examplesOf(val)), onEpoch: (e) => epochsB.push(e.valLoss),
  });
  assert.deepEqual(hb.valLoss, ha.valLoss);
  assert.deepEqual(hb.valAccuracy, ha.valAccuracy);
  assert.deepEqual(epochsB, epochsA);
  assert.equal(ha.stopped, "early-stopping");
  assert.equal(hb.stopped, ha.stopped);
  assert.equal(hb.bestEpoch, ha.bestEpoch);
  assert.equal(hb.restoredBest, ha.restoredBest);
  assert.deepEqual(params(b), params(a));
  a.dispose();
  b.dispose();
});

test("evaluate on a stream equals evaluate on the array", async () => {
  const data = tagData(300, 9);
  const m = await RNN.create(CFG);
  m.fit(data, { epochs: 2, batchSize: 16 });
  const ea = m.evaluate(data, { batchSize: 32, predictions: true });
  // A window holding the whole set: the same batches, the same numbers bit for bit.
  const eb = await m.evaluate(() => asyncItems(examplesOf(data)), { batchSize: 32, window: 320, predictions: true });
  for (const key of ["loss", "lossPerStep", "sequences", "scored", "accuracy", "predictions"]) assert.deepEqual(eb[key], ea[key], key);
  assert.deepEqual(eb.confusion.toArray(), ea.confusion.toArray());
  // Small windows: other batches, so the loss may differ in the last bits; every count is the same.
  const ec = await m.evaluate(asyncItems(examplesOf(data)), { batchSize: 32, window: 64, predictions: true });
  assert.ok(Math.abs(ec.loss - ea.loss) <= 1e-6 * ea.loss, `${ec.loss} vs ${ea.loss}`);
  assert.deepEqual([ec.sequences, ec.scored, ec.accuracy], [ea.sequences, ea.scored, ea.accuracy]);
  assert.deepEqual(ec.predictions, ea.predictions, "predictions are in the stream's order");
  // A stream of batches, and a many-to-one model.
  const ed = await m.evaluate(makeBatches(data, { batchSize: 32 }));
  assert.deepEqual([ed.loss, ed.scored, ed.accuracy], [ea.loss, ea.scored, ea.accuracy]);
  const cls = await RNN.create({ ...CFG, task: "many-to-one" });
  const y = data.inputs.map((s) => s.at(-1) % 3);
  const ca = cls.evaluate({ inputs: data.inputs, targets: y });
  const cb = await cls.evaluate(data.inputs.map((input, i) => ({ input, target: y[i] })), { window: 256 * 2 });
  assert.deepEqual([cb.loss, cb.accuracy, cb.perClass], [ca.loss, ca.accuracy, ca.perClass]);
  await assert.rejects(cls.evaluate([{ input: [1], target: 7 }]), /^RnnError: evaluate data: item 0\.target: expected a class id/);
  await assert.rejects(cls.evaluate([]), /^RnnError: evaluate data: the stream yielded nothing/);
  m.dispose();
  cls.dispose();
});

test("buckets work within a window: each window's examples, sorted by length, batched; shuffle: true shuffles within it", async () => {
  const data = tagData(64, 10);
  const lengths = data.inputs.map((s) => s.length);
  const m = await RNN.create(CFG);
  const trained = [];
  const step = m.trainStep.bind(m);
  m.trainStep = (batch, options) => { trained.push(batch.inputs.map((s) => s.length)); return step(batch, options); };
  await m.fitAsync(() => examplesOf(data), { epochs: 1, batchSize: 4, window: 16 });
  assert.equal(trained.length, 16);
  for (let w = 0; w < 4; w++) {
    const got = trained.slice(4 * w, 4 * w + 4).flat();
    const want = lengths.slice(16 * w, 16 * w + 16).sort((x, y) => x - y);
    assert.deepEqual(got, want, `window ${w}: its own examples, shortest first`);
  }
  // Without buckets: the stream's order.
  trained.length = 0;
  await m.fitAsync(() => examplesOf(data), { epochs: 1, batchSize: 4, window: 16, buckets: false });
  assert.deepEqual(trained.flat(), lengths);
  // shuffle: true shuffles inside each window only (seeded), so each window keeps its examples.
  trained.length = 0;
  await m.fitAsync(() => examplesOf(data), { epochs: 1, batchSize: 4, window: 16, buckets: false, shuffle: true, seed: 1 });
  for (let w = 0; w < 4; w++) {
    const got = trained.slice(4 * w, 4 * w + 4).flat().sort((x, y) => x - y);
    assert.deepEqual(got, lengths.slice(16 * w, 16 * w + 16).sort((x, y) => x - y));
  }
  assert.notDeepEqual(trained.flat(), lengths);
  m.dispose();
});
