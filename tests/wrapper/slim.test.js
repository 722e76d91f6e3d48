/**
 * rnn-wasm/slim (dist/slim.js): inference with no embedded module. Without init it says so;
 * after init it runs the same numbers as the package entry, loads its files, and has no
 * training methods.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as slim from "../../dist/slim.js";
import { RNN } from "../../dist/index.js";

const wasm = readFileSync(new URL("../../dist/rnn.wasm", import.meta.url));
const CFG = { inputSize: 7, hiddenSize: 6, outputSize: 7, seed: 11 };

test("slim: no module until init; then create, load, predict and stream as the package entry does", async () => {
  await assert.rejects(slim.RNN.create(CFG), (e) => e instanceof slim.RnnError && /no rnn\.wasm is loaded.*init/.test(e.message));
  await assert.rejects(slim.init(), (e) => e instanceof slim.RnnError && /embeds no rnn\.wasm/.test(e.message));
  assert.throws(() => slim.initSync(), (e) => e instanceof slim.RnnError && /embeds no rnn\.wasm/.test(e.message));
  const engine = await slim.init(wasm);
  assert.ok(engine.exports.memory);

  const full = await RNN.create(CFG);
  full.fit({ inputs: [[1, 2, 3], [4, 5]], targets: [[2, 3, 4], [5, 6]] }, { epochs: 3 });
  const file = full.save();
  const m = await slim.RNN.load(file);                 // the first engine slim loaded
  assert.equal(typeof m.fit, "undefined");
  assert.equal(typeof m.trainStep, "undefined");
  const seq = [[1, 2, 3, 4]];
  assert.deepEqual(m.predict(seq).flat().map((a) => Array.from(a)), full.predict(seq).flat().map((a) => Array.from(a)));
  const a = m.stepper(), b = full.stepper();
  for (const id of [1, 2, 3]) assert.deepEqual(Array.from(a.step(id)), Array.from(b.step(id)));
  assert.equal(typeof m.generate, "undefined");       // a function in the slim entry, so apps without it leave it out
  assert.deepEqual(slim.generate(m, { prefix: [1], maxLength: 5, seed: 4 }), full.generate({ prefix: [1], maxLength: 5, seed: 4 }));
  assert.throws(() => slim.generate({}, {}), (e) => e instanceof slim.RnnError && /expected a model/.test(e.message));
  const fresh = await slim.RNN.create(CFG);
  const twin = await RNN.create(CFG);
  assert.deepEqual(fresh.parameters(), twin.parameters());
  for (const x of [m, fresh, full, twin]) x.dispose();
});
