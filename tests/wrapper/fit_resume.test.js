/**
 * Training resumed from a model file continues exactly: fit for 2 epochs equals fit for 1,
 * save, load, fit for 1 more — bit for bit. This holds because fit's default shuffle seed is
 * drawn from the model's own generator, whose state model files keep (and the optimizer's
 * moments and step count, which they keep too).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RNN } from "../../dist/index.js";

function data(count, seed) {
  let s = seed;
  const rand = (m) => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % m);
  const inputs = Array.from({ length: count }, () => Array.from({ length: 2 + rand(7) }, () => rand(9)));
  return { inputs, targets: inputs.map((seq) => (seq.includes(4) ? 1 : 0)) };
}

const config = { inputSize: 9, hiddenSize: 10, outputSize: 2, task: "many-to-one", seed: 5 };
const options = { epochs: 1, batchSize: 8, optimizer: { type: "adam", lr: 0.02 }, clipNorm: 1 };

test("fit(2 epochs) = fit(1), save, load, fit(1), bit for bit", async () => {
  const train = data(60, 11);
  const straight = await RNN.create(config);
  straight.fit(train, { ...options, epochs: 2 });

  const first = await RNN.create(config);
  first.fit(train, options);
  const resumed = await RNN.load(first.save());
  resumed.fit(train, options);

  const a = straight.parameters(), b = resumed.parameters();
  for (const name of ["U", "W", "b", "V", "c"]) {
    assert.deepEqual(new Uint32Array(b[name].buffer), new Uint32Array(a[name].buffer), `${name} bit-identical after resuming`);
  }
  // And the shuffle really differs between epochs (otherwise the test would prove little).
  const again = await RNN.create(config);
  again.fit(train, { ...options, seed: 123 });
  again.fit(train, { ...options, seed: 123 });
  assert.notDeepEqual(Array.from(again.parameters().W), Array.from(a.W), "a fixed seed repeats the epoch order; the default does not");
  for (const m of [straight, first, resumed, again]) m.dispose();
});
