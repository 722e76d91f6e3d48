/**
 * Determinism of the training core. The parameters are drawn inside the module from the
 * seed, and a training step is pure f32 arithmetic without relaxed SIMD or threads, so:
 * - the same seed gives bit-identical parameters after 50 Adam steps with gradient clipping,
 *   in two fresh Node processes (and in this one), for an ids and a dense model;
 * - different seeds (including seeds that differ only above bit 32) give different parameters;
 * - create() with the same seed gives identical initial parameters, which lie in
 *   [−1/√d, 1/√d] and fill that range (PyTorch's U(−1/√d, 1/√d)).
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { RNN, init } from "../../dist/index.js";
import { trainAndHash, hashParameters, KINDS, mulberry32 } from "./fixtures/train-hash.js";

const helper = fileURLToPath(new URL("./fixtures/train-hash.js", import.meta.url));
const STEPS = 50;

async function inFreshProcess(seed) {
  const { stdout } = await promisify(execFile)(process.execPath, [helper, String(seed), String(STEPS)], { timeout: 60_000 });
  return JSON.parse(stdout);
}

describe("the same seed gives bit-identical training", () => {
  test(`two fresh processes and this one agree after ${STEPS} Adam steps with clipping`, async () => {
    const [a, b] = await Promise.all([inFreshProcess(42), inFreshProcess(42)]);
    const here = await trainAndHash(42, STEPS, await init());
    console.log(`seed 42: ${JSON.stringify(a)}`);
    for (const kind of Object.keys(KINDS)) {
      assert.equal(a[kind].trained, b[kind].trained, `${kind}: the two processes disagree`);
      assert.equal(a[kind].trained, here[kind].trained, `${kind}: this process disagrees`);
      assert.equal(a[kind].init, b[kind].init);
      assert.equal(a[kind].loss, b[kind].loss);
      assert.notEqual(a[kind].trained, a[kind].init, `${kind}: training did not change the parameters`);
      assert.ok(Number.isFinite(a[kind].loss), `${kind}: loss ${a[kind].loss}`);
    }
  });

  test("different seeds give different parameters, before and after training", async () => {
    const engine = await init();
    const [s42, s43, sHigh] = await Promise.all([
      trainAndHash(42, STEPS, engine), trainAndHash(43, STEPS, engine), trainAndHash(42 + 2 ** 32, STEPS, engine),
    ]);
    for (const kind of Object.keys(KINDS)) {
      assert.notEqual(s42[kind].init, s43[kind].init, `${kind}: seeds 42 and 43 start alike`);
      assert.notEqual(s42[kind].trained, s43[kind].trained, `${kind}: seeds 42 and 43 end alike`);
      assert.notEqual(s42[kind].init, sHigh[kind].init, `${kind}: seeds 42 and 42 + 2^32 start alike (high bits ignored)`);
    }
  });

  test("the clip norm is below the gradient norm, so clipping is really exercised", async () => {
    const engine = await init();
    for (const [kind, { config, batch }] of Object.entries(KINDS)) {
      const m = await RNN.create({ ...config, seed: 42 }, { engine });
      m.computeGradients(batch(mulberry32(1234)));
      const g = m.gradients();
      let sq = 0;
      for (const name of ["U", "W", "b", "V", "c"]) for (const x of g[name]) sq += x * x;
      assert.ok(Math.sqrt(sq) > 0.5, `${kind}: gradient norm ${Math.sqrt(sq)} ≤ clipNorm 0.5`);
      m.dispose();
    }
  });
});

describe("initial parameters", () => {
  const SHAPES = [
    { input: "ids", inputSize: 64, hiddenSize: 64, outputSize: 10 },
    { input: "dense", inputSize: 7, hiddenSize: 4, outputSize: 3, loss: "mse" },
    { input: "ids", inputSize: 300, hiddenSize: 100, outputSize: 2, task: "many-to-one" },
    { input: "dense", inputSize: 1, hiddenSize: 1, outputSize: 1, loss: "sigmoid-binary-cross-entropy" },
  ];

  for (const cfg of SHAPES) {
    const d = cfg.hiddenSize;
    test(`n ${cfg.inputSize}, d ${d}, k ${cfg.outputSize}: the same seed gives the same parameters, within [−1/√d, 1/√d]`, async () => {
      const engine = await init();
      const a = await RNN.create({ ...cfg, seed: 7 }, { engine });
      const b = await RNN.create({ ...cfg, seed: 7 }, { engine });
      const c = await RNN.create({ ...cfg, seed: 8 }, { engine });
      const other = await RNN.create({ ...cfg, seed: 7 }); // the default engine
      const pa = a.parameters();
      assert.equal(hashParameters(pa), hashParameters(b.parameters()));
      assert.equal(hashParameters(pa), hashParameters(other.parameters()));
      assert.notEqual(hashParameters(pa), hashParameters(c.parameters()));

      const bound = 1 / Math.sqrt(d);
      const all = [];
      for (const [name, size] of [["U", d * cfg.inputSize], ["W", d * d], ["b", d], ["V", cfg.outputSize * d], ["c", cfg.outputSize]]) {
        assert.equal(pa[name].length, size, `${name} has ${pa[name].length} values`);
        for (const x of pa[name]) {
          // The bound as an f32: the parameters are f32 and ±1/√d rounds to the nearest f32.
          assert.ok(Math.abs(x) <= Math.fround(bound), `${name}: ${x} outside [−${bound}, ${bound}]`);
        }
        all.push(...pa[name]);
      }
      // Uniform over the whole range, not squeezed near zero (checked where there are enough values).
      if (all.length >= 1000) {
        const mean = all.reduce((s, x) => s + x, 0) / all.length;
        const meanSq = all.reduce((s, x) => s + x * x, 0) / all.length;
        assert.ok(Math.min(...all) < -0.95 * bound && Math.max(...all) > 0.95 * bound, "values do not reach the bounds");
        assert.ok(Math.abs(mean) < 0.05 * bound, `mean ${mean}`);
        // U(−a, a) has E[x²] = a²/3.
        assert.ok(Math.abs(meanSq / (bound * bound) - 1 / 3) < 0.03, `E[x²]/a² = ${meanSq / (bound * bound)}, expected 1/3`);
        const distinct = new Set(all).size;
        assert.ok(distinct > 0.99 * all.length, `${distinct} distinct values of ${all.length}`);
      }
      for (const m of [a, b, c, other]) m.dispose();
    });
  }
});
