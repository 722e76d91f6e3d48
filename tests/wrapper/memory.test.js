/**
 * Memory of the training core, read as the size of the engine's wasm memory (each test
 * uses its own engine from `init()`, so nothing else allocates in it). Wasm memory never
 * shrinks, so any leak shows up as growth:
 * - 10,000 training steps of one batch shape do not grow it after the first step;
 * - creating and disposing 1,000 models of varied sizes (each trained on two batch shapes, so
 *   each has a work block that is replaced once) does not grow it past what the first rounds
 *   needed, and 20,000 create/dispose cycles of a tiny model do not grow it at all;
 * - a bigger batch shape grows it once; the same shape again and later smaller batches do
 *   not, and a smaller batch run in the grown work block gives exactly the loss and
 *   gradients of a model that never grew.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RNN, init } from "../../dist/index.js";
import { seededRandom as mulberry32 } from "../reference/rnn_ref.js";


/** A ragged ids batch of exactly B sequences and longest length T (next-token targets), optionally with h0. */
function idsBatch(rand, { n, d, B, T, h0 = false }) {
  const inputs = [], targets = [];
  for (let i = 0; i < B; i++) {
    const len = i === 0 ? T : 1 + Math.floor(rand() * T);
    const seq = Array.from({ length: len }, () => Math.floor(rand() * n));
    inputs.push(seq);
    targets.push(seq.map((_, t) => seq[(t + 1) % len]));
  }
  const batch = { inputs, targets };
  if (h0) batch.h0 = Array.from({ length: B }, () => Array.from({ length: d }, () => rand() - 0.5));
  return batch;
}

const bytes = (engine) => engine.exports.memory.buffer.byteLength;
const kib = (x) => `${(x / 1024).toFixed(0)} KiB`;

test("10,000 training steps of one shape do not grow wasm memory", async () => {
  const engine = await init();
  const n = 6, d = 16, B = 8, T = 12;
  const model = await RNN.create({ inputSize: n, hiddenSize: d, outputSize: n, seed: 1 }, { engine });
  const rand = mulberry32(1);
  const batches = Array.from({ length: 4 }, (_, i) => idsBatch(rand, { n, d, B, T, h0: i % 2 === 1 }));
  model.trainStep(batches[0]);
  const after1 = bytes(engine);
  let first, last;
  for (let step = 0; step < 10_000; step++) {
    const options = step % 1000 < 500 ? { optimizer: { type: "adam", lr: 0.005 }, clipNorm: 1 } : { optimizer: { type: "sgd", lr: 0.05, momentum: 0.5 } };
    const { loss } = model.trainStep(batches[step % 4], options);
    if (step === 0) first = loss;
    last = loss;
    if (step % 500 === 0) {
      model.predict(batches[step % 4].inputs);
      model.gradients();
      model.parameters();
    }
  }
  console.log(`after the first step ${kib(after1)}, after 10,000 steps ${kib(bytes(engine))}; loss ${first.toFixed(3)} → ${last.toFixed(3)}`);
  assert.equal(bytes(engine), after1, "wasm memory grew during training");
  assert.ok(Number.isFinite(last));
  model.dispose();
});

test("creating and disposing 1,000 models of varied sizes does not grow wasm memory without bound", async () => {
  const engine = await init();
  const ROUNDS = 10, PAIRS = 50; // 10 rounds × 50 pairs × 2 models = 1,000 models
  let created = 0;
  const history = [];
  for (let round = 0; round < ROUNDS; round++) {
    const rand = mulberry32(77); // the same sizes every round
    for (let j = 0; j < PAIRS; j++) {
      // Two models alive at once, of varied kinds and sizes, disposed in varied order.
      const n = 1 + Math.floor(rand() * 40), d = 1 + Math.floor(rand() * 48);
      const a = await RNN.create({ inputSize: n, hiddenSize: d, outputSize: n, seed: j }, { engine });
      const b = await RNN.create({ input: "dense", inputSize: 1 + (j % 7), hiddenSize: 2 + ((j * 5) % 30), outputSize: 1 + (j % 3), loss: "mse", task: "many-to-one", seed: j }, { engine });
      created += 2;
      const B = 1 + Math.floor(rand() * 8), T = 1 + Math.floor(rand() * 20);
      a.trainStep(idsBatch(rand, { n, d, B, T }));
      a.trainStep(idsBatch(rand, { n, d, B: B + 3, T: T + 5 })); // the work block is replaced by a bigger one
      const Bb = 1 + (j % 5), Tb = 1 + ((j * 3) % 15), nb = 1 + (j % 7);
      b.trainStep({
        inputs: Array.from({ length: Bb }, () => Array.from({ length: Tb }, () => Array.from({ length: nb }, () => rand() - 0.5))),
        targets: Array.from({ length: Bb }, () => Array.from({ length: 1 + (j % 3) }, () => rand())),
      });
      if (j % 2) { a.dispose(); b.dispose(); } else { b.dispose(); a.dispose(); }
    }
    history.push(bytes(engine));
  }
  console.log(`${created} models created and disposed; memory after each round: ${history.map(kib).join(", ")}`);
  assert.equal(created, 1000);
  const early = history[2];
  for (let r = 3; r < ROUNDS; r++) assert.ok(history[r] <= early, `round ${r + 1}: ${kib(history[r])} > ${kib(early)} after round 3`);
});

test("20,000 create/dispose cycles of a tiny model leak not a byte per cycle", async () => {
  // In a fresh engine the free space is small, so even a few bytes lost per model would
  // add up to new pages.
  const engine = await init();
  const cycle = (i) => {
    const m = RNN.createSync({ inputSize: 3, hiddenSize: 2, outputSize: 3, seed: i }, engine);
    m.trainStep({ inputs: [[i % 3, 1]], targets: [[1, 2]] });
    m.dispose();
  };
  cycle(0);
  const after1 = bytes(engine);
  for (let i = 1; i < 20_000; i++) cycle(i);
  console.log(`tiny models: ${kib(after1)} after the first, ${kib(bytes(engine))} after 20,000`);
  assert.equal(bytes(engine), after1);
});

test("a bigger batch shape grows memory once; later smaller batches do not, and compute the same", async () => {
  const engine = await init();
  const n = 5, d = 24;
  const cfg = { inputSize: n, hiddenSize: d, outputSize: n, seed: 3 };
  const model = await RNN.create(cfg, { engine });
  const rand = mulberry32(5);
  model.trainStep(idsBatch(rand, { n, d, B: 4, T: 10 }));
  const small = bytes(engine);

  const big = { n, d, B: 64, T: 200 }; // H alone is 201 × 64 × 24 floats ≈ 1.2 MiB
  model.trainStep(idsBatch(rand, big));
  const grown = bytes(engine);
  assert.ok(grown > small, `memory did not grow for the bigger batch (${kib(small)} → ${kib(grown)})`);
  model.trainStep(idsBatch(rand, big));
  model.predict(idsBatch(rand, big).inputs);
  assert.equal(bytes(engine), grown, "the same big shape grew memory again");

  // Smaller shapes (each dimension ≤ the big one) fit in the grown work block.
  for (const [B, T] of [[64, 200], [1, 1], [64, 1], [1, 200], [32, 150], [7, 33], [63, 199]]) {
    model.trainStep(idsBatch(rand, { n, d, B, T, h0: B % 2 === 1 }), { optimizer: { type: "adam", lr: 0.001 } });
    model.forward(idsBatch(rand, { n, d, B, T }).inputs);
  }
  console.log(`memory: ${kib(small)} for 4 × 10, ${kib(grown)} after 64 × 200, ${kib(bytes(engine))} after smaller batches`);
  assert.equal(bytes(engine), grown, "a smaller batch grew memory");

  // A small batch in the grown block gives exactly what a model that never grew gives.
  const fresh = await RNN.create(cfg, { engine: await init() });
  fresh.setParameters(model.parameters());
  const check = idsBatch(mulberry32(9), { n, d, B: 5, T: 17, h0: true });
  const a = model.computeGradients(check), b = fresh.computeGradients(check);
  assert.equal(a.loss, b.loss);
  assert.deepEqual(a.finalState, b.finalState);
  assert.deepEqual(model.gradients(), fresh.gradients());
  assert.deepEqual(model.predict(check.inputs), fresh.predict(check.inputs));
  model.dispose();
  fresh.dispose();
});

test("when wasm memory cannot grow: a clear RnnError, no leak from the failed attempts, the neighbour model unharmed", async () => {
  // A child process whose engine caps wasm memory at 64 pages (4 MiB), so that allocation
  // really fails inside the module (not the size pre-check the other suites see).
  const { execFileSync } = await import("node:child_process");
  const script = `
    import { RNN, RnnError, init } from ${JSON.stringify(new URL("../../dist/index.js", import.meta.url).href)};
    const engine = await init();
    const neighbour = RNN.createSync({ inputSize: 50, hiddenSize: 32, outputSize: 5, seed: 1 }, engine);
    const batch = { inputs: [[1, 2, 3]], targets: [[1, 2, 3]] };
    neighbour.trainStep(batch);
    const before = Array.from(neighbour.parameters().W);
    const out = { errors: [], sizes: [] };
    for (let i = 0; i < 1000; i++) {
      try { RNN.createSync({ inputSize: 20000, hiddenSize: 100, outputSize: 5 }, engine); out.errors.push("created"); }
      catch (e) { out.errors.push(e instanceof RnnError ? e.message : "other: " + e); }
      try { neighbour.trainStep({ inputs: [Array(40000).fill(1)], targets: [Array(40000).fill(1)] }); out.errors.push("trained"); }
      catch (e) { out.errors.push(e instanceof RnnError ? e.message : "other: " + e); }
      if (i === 0 || i === 999) out.sizes.push(engine.exports.memory.buffer.byteLength);
    }
    out.same = JSON.stringify(Array.from(neighbour.parameters().W)) === JSON.stringify(before);
    neighbour.trainStep(batch);
    const small = RNN.createSync({ inputSize: 50, hiddenSize: 32, outputSize: 5, seed: 1 }, engine);
    small.trainStep(batch);
    out.ok = true;
    console.log(JSON.stringify(out));
  `;
  const stdout = execFileSync(process.execPath, ["--wasm-max-mem-pages=64", "--input-type=module", "-e", script], { encoding: "utf8" });
  const out = JSON.parse(stdout.trim().split("\n").pop());
  const distinct = [...new Set(out.errors)];
  console.log(`capped at 4 MiB: ${distinct.join(" | ")}`);
  assert.ok(out.errors.every((m) => /^out of memory: .* needs [\d.]+ MiB and the engine refused to grow wasm memory for it \(it holds [\d.]+ MiB\)$/.test(m)), distinct.join("\n"));
  assert.equal(out.sizes[0], out.sizes[1], "1,000 failed attempts grew memory (a leak)");
  assert.ok(out.same, "a failed call changed the neighbour's parameters");
  assert.ok(out.ok);
});
