/**
 * The issue #14 config keys in the public API's descriptions: model.summary() has a line for
 * each of pooling, inputDropout and outputDropout that is not the default, after the stack's
 * lines (layers, bidirectional, embeddingSize, dropout), in the config's order, as they are —
 * on a created model, a loaded one and the slim entry's; a one-layer model with the defaults
 * (given or left out) keeps its summary as it was, line for line.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { RNN } from "../../dist/index.js";
import * as slim from "../../dist/slim.js";

const BASE = { input: "ids", inputSize: 7, hiddenSize: 3, outputSize: 2, task: "many-to-one", seed: 4 };
const KEYS = /^(layers|bidirectional|embeddingSize|dropout|pooling|inputDropout|outputDropout): /;

/** The config lines of a summary: those between the first line and the tensors. */
const configLines = (model) => model.summary().split("\n").slice(1).filter((l) => KEYS.test(l));

async function withModel(config, body) {
  const model = await RNN.create(config);
  try {
    return await body(model);
  } finally {
    model.dispose();
  }
}

test("summary(): the defaults, given or left out, add no line; the text is the one-layer summary as before", async () => {
  const plain = await withModel(BASE, (m) => m.summary());
  assert.deepEqual(plain.split("\n").slice(0, 7), [
    "RNN: ids input, n = 7, d = 3, k = 2; many-to-one, tanh, softmax-cross-entropy",
    "  U  d×n = 3×7: 21",
    "  W  d×d = 3×3: 9",
    "  b  d = 3: 3",
    "  V  k×d = 2×3: 6",
    "  c  k = 2: 2",
    "parameters: 41",
  ]);
  const explicit = { ...BASE, layers: 1, bidirectional: false, dropout: 0, pooling: "last", inputDropout: 0, outputDropout: 0 };
  assert.equal(await withModel(explicit, (m) => m.summary()), plain, "the defaults given explicitly");
  await withModel({ ...BASE, task: "many-to-many" }, (m) => assert.deepEqual(configLines(m), []));
});

test("summary(): one line each for pooling, inputDropout and outputDropout when not the default", async () => {
  for (const [extra, lines] of [
    [{ pooling: "mean" }, ["pooling: mean"]],
    [{ pooling: "max" }, ["pooling: max"]],
    [{ outputDropout: 0.5 }, ["outputDropout: 0.5"]],
    [{ embeddingSize: 4, inputDropout: 0.25 }, ["embeddingSize: 4", "inputDropout: 0.25"]],
    [{ embeddingSize: 1 }, ["embeddingSize: 1"]],                   // 1 is a default of layers only
    [{ input: "dense", inputDropout: 0.1, outputDropout: 0.2, pooling: "max" }, ["pooling: max", "inputDropout: 0.1", "outputDropout: 0.2"]],
  ]) {
    await withModel({ ...BASE, ...extra }, (m) => {
      assert.deepEqual(configLines(m), lines, JSON.stringify(extra));
      const all = m.summary().split("\n");
      assert.deepEqual(all.slice(1, 1 + lines.length), lines, "right after the first line, before the tensors");
      assert.match(all[1 + lines.length], /^ {2}\S+ {2}/, "then the tensor table");
    });
  }
});

test("summary(): with a deep stack, the stack's lines first, then pooling and the two dropouts, in the config's order", async () => {
  const config = { ...BASE, layers: 2, bidirectional: true, embeddingSize: 3, dropout: 0.125, pooling: "max", inputDropout: 0.2, outputDropout: 0.3 };
  await withModel(config, async (m) => {
    const expected = ["layers: 2", "bidirectional: true", "embeddingSize: 3", "dropout: 0.125", "pooling: max", "inputDropout: 0.2", "outputDropout: 0.3"];
    assert.deepEqual(m.summary().split("\n").slice(1, 8), expected);
    assert.match(m.summary(), /\n {2}E {2}n×e = 7×3: 21\n/);
    assert.match(m.summary(), /\n {2}V {2}k×2d = 2×6: 12\n/, "the head reads 2d numbers, pooled or not");
    // A model file keeps the keys, so a loaded model says the same; so does the slim entry's.
    const back = await RNN.load(m.save());
    assert.deepEqual(configLines(back), expected);
    back.dispose();
    await slim.init(readFileSync(new URL("../../dist/rnn.wasm", import.meta.url)));
    const lean = await slim.RNN.load(m.save());
    assert.deepEqual(configLines(lean), expected);
    lean.dispose();
  });
});

test("summary(): the lines are the config's values (what toJSON and model.config hold)", async () => {
  await withModel({ ...BASE, pooling: "mean", outputDropout: 0.75 }, (m) => {
    assert.equal(m.config.pooling, "mean");
    assert.equal(m.config.outputDropout, 0.75);
    assert.deepEqual(JSON.parse(JSON.stringify(m)).config, { ...m.config });
    assert.deepEqual(configLines(m), [`pooling: ${m.config.pooling}`, `outputDropout: ${m.config.outputDropout}`]);
  });
});
