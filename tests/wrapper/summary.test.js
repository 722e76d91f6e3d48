/**
 * model.summary(), model.parameterCount and JSON.stringify(model) (issue #14, item 8), on the
 * package entry and the slim one:
 * - parameterCount is n·d + d·d + d + k·d + k (the floats of parameters(), no padding) for
 *   sizes off multiples of 4, and stays readable after dispose();
 * - summary() prints the configuration, each tensor of the tensor table with its shape and size,
 *   the count, the bytes of the parameter block and of the work block the module holds (the
 *   module's own sizes: the largest batch so far), and the optimizer's type and step — which a
 *   loaded model keeps; after dispose() it throws like every other method;
 * - JSON.stringify(model) is { config, parameterCount, note } and never looks like weights.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { RNN, RnnError, init } from "../../dist/index.js";
import * as slim from "../../dist/slim.js";

const CFG = { input: "ids", inputSize: 7, hiddenSize: 5, outputSize: 3, seed: 2 };
const NOTE = "weights are not included: use model.save()";

test("parameterCount: the floats of U, W, b, V, c, without padding", async () => {
  for (const [n, d, k, input] of [[7, 5, 3, "ids"], [1, 1, 1, "dense"], [13, 22, 9, "dense"], [64, 128, 10, "ids"]]) {
    const m = await RNN.create({ input, inputSize: n, hiddenSize: d, outputSize: k });
    const p = m.parameters();
    assert.equal(m.parameterCount, n * d + d * d + d + k * d + k);
    assert.equal(m.parameterCount, Object.values(p).reduce((s, t) => s + t.length, 0));
    m.dispose();
    assert.equal(m.parameterCount, n * d + d * d + d + k * d + k, "readable after dispose()");
  }
});

test("summary(): config, tensors, count, memory (the module's sizes), optimizer", async () => {
  const engine = await init();
  const ex = engine.exports;
  const m = await RNN.create(CFG, { engine });
  const paramBytes = ex.model_param_bytes(7, 5, 3, 0, 1, 1, 0);
  const work = (T, B) => ex.model_work_bytes(7, 5, 3, 0, 0, 0, 1, 1, 0, 0, T, B, 1);
  const text = (workLine, optimizerLine) => [
    "RNN: ids input, n = 7, d = 5, k = 3; many-to-many, tanh, softmax-cross-entropy",
    "  U  d×n = 5×7: 35",
    "  W  d×d = 5×5: 25",
    "  b  d = 5: 5",
    "  V  k×d = 3×5: 15",
    "  c  k = 3: 3",
    "parameters: 83",
    `memory: parameter block ${paramBytes} bytes, work block ${workLine}`,
    `optimizer: ${optimizerLine}`,
  ].join("\n");
  assert.equal(m.summary(), text("none yet", "none yet, step 0"));

  const batch = (B, T) => ({ inputs: Array.from({ length: B }, () => Array.from({ length: T }, (_, t) => t % 7)), targets: Array.from({ length: B }, () => Array(T).fill(1)) });
  m.trainStep(batch(4, 6), { optimizer: { type: "adamw", lr: 0.01 } });
  m.trainStep(batch(2, 3), { optimizer: { type: "adamw", lr: 0.01 } });   // smaller: the block is kept
  assert.equal(m.summary(), text(`${work(6, 4)} bytes`, "adamw, step 2"));
  m.predict(batch(9, 8).inputs);                                            // bigger: it grows
  assert.equal(m.summary(), text(`${work(8, 9)} bytes`, "adamw, step 2"));
  assert.ok(work(8, 9) > work(6, 4) && work(6, 4) > work(3, 2));

  const back = await RNN.load(m.save(), { engine });
  assert.equal(back.summary(), text("none yet", "adamw, step 2"), "a loaded model: its optimizer, no work block yet");
  back.dispose();
  m.dispose();
  assert.throws(() => m.summary(), (e) => e instanceof RnnError && /disposed/.test(e.message));
});

test("JSON.stringify(model): the config and the count with a note, never the weights", async () => {
  const m = await RNN.create({ input: "dense", inputSize: 3, hiddenSize: 4, outputSize: 2, task: "many-to-one", loss: "mse", seed: 9 });
  const json = JSON.parse(JSON.stringify(m));
  assert.deepEqual(json, { config: { ...m.config }, parameterCount: 3 * 4 + 16 + 4 + 8 + 2, note: NOTE });
  assert.deepEqual(Object.keys(json), ["config", "parameterCount", "note"]);
  m.dispose();
  assert.deepEqual(JSON.parse(JSON.stringify({ model: m })).model, json, "the same after dispose()");
});

test("the slim entry's model has them too", async () => {
  await slim.init(readFileSync(new URL("../../dist/rnn.wasm", import.meta.url)));
  const m = await slim.RNN.create(CFG);
  const full = await RNN.create(CFG);
  assert.equal(m.parameterCount, 83);
  assert.equal(m.summary(), full.summary());
  assert.equal(JSON.stringify(m), JSON.stringify(full));
  m.dispose(); full.dispose();
});
