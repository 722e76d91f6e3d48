/**
 * fitAsync's `workers: N` (data-parallel training, src/parallel.ts, dist/worker.js), in Node's
 * worker_threads: N = 1 is bit for bit fit (parameters, optimizer state, generator: the model
 * file's bytes), dropout and sample weights included; N = 2 gives the same bits on two runs,
 * and agrees with fit within f32 rounding (the gradients are summed in another order); the
 * callbacks, abort, early stopping, schedules and streams keep working; a replica that throws,
 * exits or refuses its shard leaves the model as it was before that step and is an RnnError;
 * node exits by itself afterwards (child processes); the option is checked. Node has
 * SharedArrayBuffer, so the parameters and gradients travel through a shared block; with the
 * global hidden (as a page that is not cross-origin isolated hides it) they travel as copies,
 * and the bits are the same.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { RNN, Random, RnnError } from "../../dist/index.js";
import { withoutSharedMemory } from "../runtimes/workers_fingerprint.js";

const FAULTY = new URL("../fixtures/workers/faulty.js", import.meta.url);
const INDEX = new URL("../../dist/index.js", import.meta.url).href;

/** Next-token data over n ids: N sequences of 2..12 steps. */
function tokens(N, n, seed) {
  const rng = new Random(seed);
  const inputs = [], targets = [];
  for (let i = 0; i < N; i++) {
    const x = Array.from({ length: 2 + rng.int(11) }, () => rng.int(n));
    inputs.push(x);
    targets.push(x.map((v, t) => (t + 1 < x.length ? x[t + 1] : (v + 1) % n)));
  }
  return { inputs, targets };
}

/** Dense many-to-one regression: N sequences of 1..9 steps of n features, k targets, weights. */
function dense(N, n, k, seed) {
  const rng = new Random(seed);
  const inputs = [], targets = [], sampleWeight = [];
  for (let i = 0; i < N; i++) {
    const x = Array.from({ length: 1 + rng.int(9) }, () => Array.from({ length: n }, () => (rng.int(1 << 20) / (1 << 20)) * 2 - 1));
    inputs.push(x);
    targets.push(Array.from({ length: k }, (_, j) => x.reduce((s, v) => s + v[j % n], 0) / x.length));
    sampleWeight.push(0.5 + (rng.int(1 << 20) / (1 << 20)));
  }
  return { inputs, targets, sampleWeight };
}

const CASES = [
  {
    name: "ids, many-to-many, embedding, 2 layers, dropout 0.3 and input dropout 0.2, Adam, clipNorm",
    config: { inputSize: 17, hiddenSize: 12, outputSize: 17, layers: 2, embeddingSize: 6, dropout: 0.3, inputDropout: 0.2, seed: 11 },
    data: () => tokens(70, 17, 1),
    options: { epochs: 3, batchSize: 16, optimizer: { type: "adam", lr: 0.01 }, clipNorm: 1 },
  },
  {
    name: "dense, many-to-one, 2 layers bidirectional, MSE, sample weights, SGD with momentum",
    config: { input: "dense", inputSize: 3, hiddenSize: 8, outputSize: 2, task: "many-to-one", loss: "mse", layers: 2, bidirectional: true, seed: 12 },
    data: () => dense(45, 3, 2, 2),
    options: { epochs: 2, batchSize: 10, optimizer: { type: "sgd", lr: 0.05, momentum: 0.9 } },
  },
];

const sha = (bytes) => createHash("sha256").update(bytes).digest("hex");
/** The history without its clocks, and without `workers` (which plain fit has not). */
const numbers = ({ workers, ...h }) => ({ ...h, epochs: h.epochs.map(({ elapsed, tokensPerSecond, ...e }) => e) });


for (const c of CASES) {
  test(`workers: 1 is bit for bit fit: ${c.name}`, async () => {
    const data = c.data();
    const plain = await RNN.create(c.config);
    const hPlain = plain.fit(data, c.options);
    const par = await RNN.create(c.config);
    const hPar = await par.fitAsync(data, { ...c.options, workers: 1 });
    assert.equal(sha(par.save()), sha(plain.save()), "parameters, optimizer state and generator (the model file)");
    assert.deepEqual(numbers(hPar), numbers(hPlain));
    assert.deepEqual(hPar.workers, { count: 1, memory: "shared" });
    assert.equal(hPlain.workers, undefined);
    plain.dispose();
    par.dispose();
  });
}

test("a shared block and copies in the messages give the same bits (N = 1, 2, 3)", async () => {
  for (const c of CASES) {
    const data = c.data();
    for (const workers of [1, 2, 3]) {
      const run = async () => {
        const m = await RNN.create(c.config);
        const h = await m.fitAsync(data, { ...c.options, workers });
        const bytes = sha(m.save());
        m.dispose();
        return { bytes, h };
      };
      const shared = await run();
      const copies = await withoutSharedMemory(run);
      assert.deepEqual(shared.h.workers, { count: workers, memory: "shared" });
      assert.deepEqual(copies.h.workers, { count: workers, memory: "copies" });
      assert.equal(copies.bytes, shared.bytes, `${c.name}, ${workers} workers: the model files`);
      assert.deepEqual(numbers(copies.h), numbers(shared.h));
    }
  }
  assert.equal(typeof SharedArrayBuffer, "function", "the global is back");
});

test("workers: 2 gives the same bits on two runs, and fit's numbers within f32 rounding", async () => {
  for (const c of CASES) {
    const data = c.data();
    const runs = [];
    for (let r = 0; r < 2; r++) {
      const m = await RNN.create(c.config);
      const h = await m.fitAsync(data, { ...c.options, workers: 2 });
      runs.push({ bytes: sha(m.save()), h: numbers(h), m });
    }
    assert.equal(runs[0].bytes, runs[1].bytes, `${c.name}: two runs`);
    assert.deepEqual(runs[0].h, runs[1].h);
    runs[1].m.dispose();
    if (c.config.dropout) { runs[0].m.dispose(); continue; }     // other masks than fit's: compared below without dropout
    const plain = await RNN.create(c.config);
    const hPlain = plain.fit(data, c.options);
    const a = runs[0].m.parameters(), b = plain.parameters();
    for (const name of Object.keys(b)) {
      for (let j = 0; j < b[name].length; j++) {
        assert.ok(Math.abs(a[name][j] - b[name][j]) <= 1e-4 * (1 + Math.abs(b[name][j])), `${c.name}: ${name}[${j}] ${a[name][j]} vs ${b[name][j]}`);
      }
    }
    hPlain.loss.forEach((l, i) => assert.ok(Math.abs(runs[0].h.loss[i] - l) <= 1e-5 * Math.abs(l), `epoch ${i + 1} loss ${runs[0].h.loss[i]} vs ${l}`));
    runs[0].m.dispose();
    plain.dispose();
  }
});

test("one step with workers: 2 is fit's step within f32 rounding (no dropout; 3 workers on 2 sequences too)", async () => {
  const config = { inputSize: 9, hiddenSize: 7, outputSize: 9, seed: 5 };
  for (const [workers, N] of [[2, 13], [3, 2], [4, 9]]) {
    const data = tokens(N, 9, 3 + N);
    const options = { epochs: 1, batchSize: N, shuffle: false, optimizer: { type: "sgd", lr: 0.5 } };
    const plain = await RNN.create(config);
    plain.fit(data, options);
    const par = await RNN.create(config);
    const h = await par.fitAsync(data, { ...options, workers });
    const before = (await RNN.create(config)).parameters();
    const a = par.parameters(), b = plain.parameters();
    let moved = 0;
    for (const name of Object.keys(b)) {
      for (let j = 0; j < b[name].length; j++) {
        const step = Math.abs(b[name][j] - before[name][j]);
        moved = Math.max(moved, step);
        assert.ok(Math.abs(a[name][j] - b[name][j]) <= 1e-6 + 1e-5 * step, `N=${workers}: ${name}[${j}]`);
      }
    }
    assert.ok(moved > 1e-3, "the step moved the parameters");
    assert.equal(h.epochs.length, 1);
    plain.dispose();
    par.dispose();
  }
});

test("with workers, callbacks, stop(), early stopping, schedules and streams work as in fit (workers: 1, the same bits)", async () => {
  const config = { inputSize: 13, hiddenSize: 10, outputSize: 13, seed: 9 };
  const data = tokens(60, 13, 4);
  const val = tokens(20, 13, 5);
  const base = {
    epochs: 6, batchSize: 8, validationData: val, earlyStopping: { patience: 1, minDelta: 0.05 },
    schedule: { type: "cosine", warmupSteps: 3 }, optimizer: { type: "adamw", lr: 0.05 },
  };
  const logs = { plain: [], par: [] };
  const run = async (key, extra) => {
    const m = await RNN.create(config);
    const h = await m.fitAsync(data, {
      ...base, ...extra,
      onBatch: (l, control) => { logs[key].push(["batch", l.epoch, l.batch, l.loss]); if (l.epoch === 5 && l.batch === 2) control.stop(); },
      onEpoch: (l) => logs[key].push(["epoch", l.epoch, l.loss, l.valLoss]),
    });
    return { m, h };
  };
  const p = await run("plain", {});
  const w = await run("par", { workers: 1 });
  assert.deepEqual(numbers(w.h), numbers(p.h));
  assert.deepEqual(logs.par, logs.plain);
  assert.ok(logs.par.length > 8);
  assert.equal(sha(w.m.save()), sha(p.m.save()));

  // A stream of examples (a function: one generator per epoch), with workers: 2, twice.
  const stream = () => (function* () { for (let i = 0; i < data.inputs.length; i++) yield { input: data.inputs[i], target: data.targets[i] }; })();
  const bytes = [];
  for (let r = 0; r < 2; r++) {
    const m = await RNN.create(config);
    const h = await m.fitAsync(stream, { epochs: 2, batchSize: 8, window: 16, workers: 2 });
    assert.equal(h.epochs.length, 2);
    assert.ok(h.loss[1] < h.loss[0]);
    bytes.push(sha(m.save()));
    m.dispose();
  }
  assert.equal(bytes[0], bytes[1]);

  // An aborted signal stops after the batch in flight.
  const ctl = new AbortController();
  const m = await RNN.create(config);
  let seen = 0;
  const h = await m.fitAsync(data, { epochs: 50, batchSize: 8, workers: 2, signal: ctl.signal, onBatch: () => { if (++seen === 3) ctl.abort(); } });
  assert.equal(h.stopped, "stopped");
  assert.equal(seen, 3);
  for (const x of [p.m, w.m, m]) x.dispose();
});

/** Run fitAsync through the faulty replica; the model must be as it was after the last applied step. */
async function faulty(fault, { workers = 2, at = 3, copies = false } = {}) {
  if (copies) return withoutSharedMemory(() => faulty(fault, { workers, at }));
  process.env.RNN_WASM_TEST_FAULT = `${fault}:${at}`;
  try {
    const model = await RNN.create({ inputSize: 11, hiddenSize: 8, outputSize: 11, seed: 21 });
    let last = model.save();
    let batches = 0;
    const error = await model.fitAsync(tokens(50, 11, 6), {
      epochs: 2, batchSize: 9, workers, workerUrl: FAULTY,
      onBatch: () => { batches++; last = model.save(); },
    }).then(() => undefined, (e) => e);
    return { model, error, last, batches };
  } finally {
    delete process.env.RNN_WASM_TEST_FAULT;
  }
}

test("a replica that throws, exits or refuses its shard: an RnnError, and the model as it was before that step (shared block and copies)", async () => {
  const faults = [["throw", /worker \d: it threw injected fault/], ["exit", /worker \d: it exited \(code 7\)/], ["refuse", /worker \d: 1 parameters for a model of \d+/], ["odd", /worker 0: 1 parameters/]];
  for (const [fault, says, copies] of faults.flatMap((f) => [[...f, false], [...f, true]])) {
    const { model, error, last, batches } = await faulty(fault, { copies });
    const what = `${fault} (${copies ? "copies" : "shared block"})`;
    assert.ok(error instanceof RnnError, `${what}: ${error}`);
    assert.match(error.message, /^fit: epoch 1, batch 3: /, what);
    assert.match(error.message, says, what);
    assert.equal(batches, 2, `${what}: two steps were applied`);
    assert.equal(sha(model.save()), sha(last), `${what}: parameters, optimizer state and generator are those after step 2`);
    // The model still trains, on this thread and with (sound) workers.
    model.fit(tokens(9, 11, 7), { epochs: 1, batchSize: 9 });
    await model.fitAsync(tokens(9, 11, 7), { epochs: 1, batchSize: 9, workers: 2 });
    model.dispose();
  }
});

test("a missing worker script (the model untouched, its generator too), a step the module refuses (non-finite): RnnErrors", async () => {
  const model = await RNN.create({ inputSize: 5, hiddenSize: 4, outputSize: 5, seed: 1 });
  const before = sha(model.save());
  const missing = await model.fitAsync(tokens(8, 5, 1), { epochs: 1, workers: 2, workerUrl: new URL("./no-such-worker.js", import.meta.url) }).then(() => undefined, (e) => e);
  assert.ok(missing instanceof RnnError, String(missing));
  assert.match(missing.message, /^fit options\.workers: worker \d: /);
  assert.equal(sha(model.save()), before);
  // A loss that overflows f32: refused by the non-finite rule after the replicas answered.
  const mse = await RNN.create({ input: "dense", inputSize: 2, hiddenSize: 4, outputSize: 1, loss: "mse", task: "many-to-one", seed: 1 });
  const params = sha(mse.save());
  const huge = { inputs: [[[1, 2]], [[2, 3], [1, 1]]], targets: [[3e38], [1]] };
  const refused = await mse.fitAsync(huge, { epochs: 1, workers: 2, shuffle: false }).then(() => undefined, (e) => e);
  assert.ok(refused instanceof RnnError, String(refused));
  assert.match(refused.message, /^fit: epoch 1, batch 1: workers: not applied: the (gradient norm|loss|update)[a-z ]* non-finite/);
  const after = mse.parameters();
  mse.fit({ inputs: [[[0, 0]]], targets: [[0]] }, { epochs: 1, optimizer: { type: "sgd", lr: 0 } });   // a no-op step, to compare the rest
  assert.notEqual(sha(mse.save()), params, "(the shuffle seed was drawn)");
  assert.deepEqual(mse.parameters(), after);
  mse.dispose();
  model.dispose();
});

/** Run a script in a child node; it must exit by itself within `ms`. */
function child(script, ms = 15000) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { timeout: ms, encoding: "utf8", env: { ...process.env, RNN_WASM_TEST_FAULT: "" } });
  return { ...r, seconds: (performance.now() - t0) / 1000 };
}

test("node exits by itself after fitAsync with workers: completed, aborted, failed", () => {
  const pre = `import { RNN, Random } from ${JSON.stringify(INDEX)};
    const rng = new Random(1);
    const inputs = Array.from({ length: 40 }, () => Array.from({ length: 5 }, () => rng.int(7)));
    const data = { inputs, targets: inputs };
    const m = await RNN.create({ inputSize: 7, hiddenSize: 6, outputSize: 7 });`;
  const scripts = {
    completed: `${pre} const h = await m.fitAsync(data, { epochs: 3, batchSize: 8, workers: 2 }); console.log(h.stopped);`,
    aborted: `${pre} const c = new AbortController(); let n = 0;
      const h = await m.fitAsync(data, { epochs: 100, batchSize: 8, workers: 2, signal: c.signal, onBatch: () => { if (++n === 2) c.abort(); } }); console.log(h.stopped);`,
    failed: `${pre} const d = await RNN.create({ input: "dense", inputSize: 2, hiddenSize: 4, outputSize: 1, loss: "mse", task: "many-to-one" });
      try { await d.fitAsync({ inputs: [[[1, 2]], [[2, 3]]], targets: [[3e38], [1]] }, { workers: 2 }); } catch (e) { console.log(e.name); }`,
  };
  const expected = { completed: "completed", aborted: "stopped", failed: "RnnError" };
  for (const [name, script] of Object.entries(scripts)) {
    const r = child(script);
    assert.equal(r.error, undefined, `${name}: the process did not exit by itself within 15 s`);
    assert.equal(r.status, 0, `${name}: ${r.stderr}`);
    assert.equal(r.stdout.trim(), expected[name]);
    assert.ok(r.seconds < 10, `${name}: exited after ${r.seconds.toFixed(1)} s`);
  }
});

test("workers: the option is checked", async () => {
  const model = await RNN.create({ inputSize: 5, hiddenSize: 4, outputSize: 5 });
  const data = tokens(8, 5, 2);
  for (const bad of [0, -1, 1.5, "2", null, NaN, 1e6]) {
    await assert.rejects(model.fitAsync(data, { workers: bad }), (e) => e instanceof RnnError && /fit options\.workers: expected/.test(e.message), String(bad));
    assert.throws(() => model.fit(data, { workers: bad }), (e) => e instanceof RnnError && /fit options\.workers: expected/.test(e.message), String(bad));
  }
  assert.throws(() => model.fit(data, { workers: 2 }), (e) => e instanceof RnnError && /2 workers need fitAsync.*await model\.fitAsync\(data, \{ workers: 2 \}\)/.test(e.message));
  await assert.rejects(model.fitAsync(data, { workers: 2, tbptt: 3 }), /fit options\.workers: not with tbptt/);
  await assert.rejects(model.fitAsync(data, { workerUrl: FAULTY }), /fit options\.workerUrl: only with workers/);
  await assert.rejects(model.fitAsync(data, { workers: 2, workerUrl: 3 }), /fit options\.workerUrl: expected a URL or a string, got 3/);
  assert.throws(() => model.fit(data, { workerUrl: FAULTY }), /fit options\.workerUrl: unknown option/);
  // fit's workers: 1 trains on this thread: fit's bits.
  const a = await RNN.create({ inputSize: 5, hiddenSize: 4, outputSize: 5 });
  a.fit(data, { epochs: 2, workers: 1 });
  model.fit(data, { epochs: 2 });
  assert.equal(sha(a.save()), sha(model.save()));
  a.dispose();
  model.dispose();
});
