/**
 * safetensors import and export.
 * - A file written by real PyTorch (scripts/make_torch_fixture.py: nn.RNN + nn.Linear) imports
 *   under its own names and gives PyTorch's logits, probabilities and final states on the same
 *   inputs within 1e-5 (dense inputs, and token ids as one-hot vectors), on the strict rnn.wasm
 *   and on rnn-fma.wasm (fixtures/engines.js: skipped, with the reason, without relaxed SIMD);
 * - export → import is exact; the export has PyTorch's names and shapes (bias_hh zero);
 * - Keras layout both ways against TensorFlow.js's SimpleRNN + Dense;
 * - structural damage (offsets, gaps, overlaps, dtypes, shapes, NaN, extra layers) is an RnnError.
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  RNN, RnnError, init, readSafetensors, readTensor, writeSafetensors, exportSafetensors, importSafetensors, importSafetensorsSync,
} from "../../dist/index.js";
import { eachEngine } from "./fixtures/engines.js";

const fixture = readFileSync(new URL("../fixtures/torch_rnn.safetensors", import.meta.url));
const expected = JSON.parse(readFileSync(new URL("../fixtures/torch_rnn_outputs.json", import.meta.url), "utf8"));
const TOL = 1e-5;

function maxDiff(ours, theirs) {
  let worst = 0;
  ours.forEach((seq, i) => seq.forEach((row, t) => row.forEach((v, j) => { worst = Math.max(worst, Math.abs(v - theirs[i][t][j])); })));
  return worst;
}
function maxDiffFlat(ours, theirs) {
  const flat = theirs.flat();
  assert.equal(ours.length, flat.length);
  return Math.max(...Array.from(ours, (v, i) => Math.abs(v - flat[i])));
}
const f32bytes = (x) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);

/** Build a safetensors file from raw entries (for files the writer would refuse to make). */
function rawFile(header, data = new Uint8Array(0), headerLength) {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, headerLength ?? json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe("PyTorch fixture (nn.RNN + nn.Linear, made by scripts/make_torch_fixture.py)", () => eachEngine(describe, test, ({ name, engine }) => {
  test(`dense inputs: logits and final states match PyTorch within ${TOL}`, async () => {
    const { n, d, k } = expected.sizes;
    const model = await importSafetensors(fixture, { engine, config: { input: "dense", loss: "mse" } });
    assert.deepEqual([model.config.inputSize, model.config.hiddenSize, model.config.outputSize], [n, d, k]);
    const { outputs, finalState } = model.forward(expected.dense.inputs);
    const dl = maxDiff(outputs, expected.dense.logits);
    const dh = maxDiffFlat(finalState, expected.dense.finalState);
    console.log(`PyTorch fixture (torch ${expected.torch}), ${name} module: max |Δ logits| = ${dl.toExponential(2)}, max |Δ h_T| = ${dh.toExponential(2)}`);
    assert.ok(dl <= TOL, `logits differ by ${dl}`);
    assert.ok(dh <= TOL, `final states differ by ${dh}`);
    model.dispose();
  });

  test("softmax probabilities, and token ids (one-hot in PyTorch)", async () => {
    const soft = await importSafetensors(fixture, { engine, config: { input: "dense" } });   // softmax-cross-entropy by default
    assert.ok(maxDiff(soft.predict(expected.dense.inputs), expected.dense.softmax) <= TOL);
    const ids = await importSafetensors(fixture, { engine, config: { input: "ids", loss: "mse" } });
    const { outputs, finalState } = ids.forward(expected.ids.inputs);
    assert.ok(maxDiff(outputs, expected.ids.logits) <= TOL);
    assert.ok(maxDiffFlat(finalState, expected.ids.finalState) <= TOL);
    // the test can fail: the same weights without bias_hh are off by more than the tolerance
    const f = readSafetensors(fixture);
    const noBhh = writeSafetensors([...f.tensors.keys()].filter((t) => t !== "rnn.bias_hh_l0").map((t) => [t, { shape: f.tensors.get(t).shape, data: readTensor(f, t) }]));
    const wrong = await importSafetensors(noBhh, { engine, config: { input: "dense", loss: "mse" } });
    assert.ok(maxDiff(wrong.predict(expected.dense.inputs), expected.dense.logits) > 1e-3);
    soft.dispose(); ids.dispose(); wrong.dispose();
  });

  test("b = bias_ih + bias_hh; U, W, V, c are PyTorch's tensors as they are", async () => {
    const f = readSafetensors(fixture);
    const model = await importSafetensors(fixture, { engine });
    const p = model.parameters();
    const bih = readTensor(f, "rnn.bias_ih_l0"), bhh = readTensor(f, "rnn.bias_hh_l0");
    assert.deepEqual(p.b, bih.map((x, i) => Math.fround(x + bhh[i])));
    assert.ok(f32bytes(p.U).equals(f32bytes(readTensor(f, "rnn.weight_ih_l0"))));
    assert.ok(f32bytes(p.W).equals(f32bytes(readTensor(f, "rnn.weight_hh_l0"))));
    assert.ok(f32bytes(p.V).equals(f32bytes(readTensor(f, "fc.weight"))));
    assert.ok(f32bytes(p.c).equals(f32bytes(readTensor(f, "fc.bias"))));
    model.dispose();
  });
}));

describe("export", () => {
  test("PyTorch names and shapes, bias_hh zero, the config in the metadata; import restores the model exactly", async () => {
    const engine = await init();
    const model = await RNN.create({ input: "dense", inputSize: 6, hiddenSize: 5, outputSize: 4, task: "many-to-one", hiddenActivation: "relu", loss: "mse", seed: 9 }, { engine });
    model.trainStep({ inputs: [[[1, 2, 3, 4, 5, 6]]], targets: [[1, 0, 0, 1]] }, { optimizer: { type: "sgd", lr: 0.1 } });
    const bytes = exportSafetensors(model);
    const f = readSafetensors(bytes);
    const shapes = Object.fromEntries([...f.tensors].map(([name, t]) => [name, t.shape]));
    assert.deepEqual(shapes, {
      "rnn.weight_ih_l0": [5, 6], "rnn.weight_hh_l0": [5, 5], "rnn.bias_ih_l0": [5], "rnn.bias_hh_l0": [5], "fc.weight": [4, 5], "fc.bias": [4],
    });
    assert.deepEqual(readTensor(f, "rnn.bias_hh_l0"), new Float32Array(5));
    assert.equal(f.metadata.nonlinearity, "relu");
    const back = importSafetensorsSync(bytes, engine);
    assert.deepEqual(back.config, model.config);
    const p = model.parameters(), q = back.parameters();
    for (const t of ["U", "W", "b", "V", "c"]) assert.ok(f32bytes(p[t]).equals(f32bytes(q[t])), t);
    // the user's config wins over the recorded one
    const other = importSafetensorsSync(bytes, engine, { config: { task: "many-to-many", loss: "softmax-cross-entropy" } });
    assert.equal(other.config.task, "many-to-many");
    assert.equal(other.config.hiddenActivation, "relu");
    model.dispose(); back.dispose(); other.dispose();
  });

  test("the prefixes are configurable both ways", async () => {
    const model = await RNN.create({ inputSize: 3, hiddenSize: 2, outputSize: 3, seed: 1 });
    const bytes = exportSafetensors(model, { prefix: "encoder.rnn.", headPrefix: "decoder." });
    const names = [...readSafetensors(bytes).tensors.keys()];
    assert.deepEqual(names, ["encoder.rnn.weight_ih_l0", "encoder.rnn.weight_hh_l0", "encoder.rnn.bias_ih_l0", "encoder.rnn.bias_hh_l0", "decoder.weight", "decoder.bias"]);
    await assert.rejects(importSafetensors(bytes), (e) => e instanceof RnnError && /"rnn.weight_ih_l0" is missing.*encoder\.rnn\.weight_ih_l0.*prefix/.test(e.message));
    const back = await importSafetensors(bytes, { prefix: "encoder.rnn.", headPrefix: "decoder." });
    assert.deepEqual(back.parameters(), model.parameters());
    const bare = exportSafetensors(model, { prefix: "", headPrefix: "" });
    assert.ok(readSafetensors(bare).tensors.has("weight_hh_l0"));
    assert.deepEqual((await importSafetensors(bare, { prefix: "", headPrefix: "" })).parameters(), model.parameters());
    model.dispose();
  });

  test("F64, F16 and BF16 tensors are read (F64 rounded to f32; F16 and BF16 exactly)", async () => {
    const model = await RNN.create({ inputSize: 2, hiddenSize: 2, outputSize: 1, seed: 3 });
    const f = readSafetensors(exportSafetensors(model));
    const header = {}, parts = [];
    let off = 0;
    const f64 = (a) => new Uint8Array(Float64Array.from(a).buffer);
    // F16 of 1, −2, 0.5, 65504 and BF16 of 1.5, −0.25 (exactly representable)
    const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3800, 0x7bff]).buffer);
    const bf16 = new Uint8Array(new Uint16Array([0x3fc0, 0xbe80]).buffer);
    const add = (name, dtype, shape, bytes) => { header[name] = { dtype, shape, data_offsets: [off, off + bytes.length] }; parts.push(bytes); off += bytes.length; };
    add("rnn.weight_ih_l0", "F64", [2, 2], f64([0.1, 0.2, 0.3, 1 / 3]));
    add("rnn.weight_hh_l0", "F16", [2, 2], f16);
    add("rnn.bias_ih_l0", "BF16", [2], bf16);
    add("fc.weight", "F32", [1, 2], new Uint8Array(readTensor(f, "fc.weight").buffer));
    const data = new Uint8Array(off);
    let p = 0;
    for (const b of parts) { data.set(b, p); p += b.length; }
    const m = await importSafetensors(rawFile(header, data));
    const q = m.parameters();
    assert.deepEqual(q.U, Float32Array.from([0.1, 0.2, 0.3, 1 / 3]));
    assert.deepEqual(q.W, Float32Array.from([1, -2, 0.5, 65504]));
    assert.deepEqual(q.b, Float32Array.from([1.5, -0.25]));   // no bias_hh: zeros added
    assert.deepEqual(q.c, new Float32Array(1));                // no fc.bias: zeros
    model.dispose(); m.dispose();
  });
});

describe("Keras layout, against TensorFlow.js SimpleRNN + Dense", async () => {
  const tf = await import("@tensorflow/tfjs");
  const [n, d, k, T] = [4, 6, 3, 5];
  const keras = tf.sequential();
  keras.add(tf.layers.simpleRNN({ units: d, returnSequences: true, inputShape: [null, n], biasInitializer: "randomNormal", recurrentInitializer: "glorotUniform" }));
  keras.add(tf.layers.dense({ units: k, biasInitializer: "randomNormal" }));
  const x = Array.from({ length: 2 }, (_, i) => Array.from({ length: T }, (_, t) => Array.from({ length: n }, (_, j) => Math.sin(1 + i * 7 + t * 3 + j))));
  const kerasOut = () => keras.predict(tf.tensor3d(x)).arraySync();

  test(`import: kernel = Uᵀ, recurrent_kernel = Wᵀ, bias = b, Dense kernel = Vᵀ; outputs within ${TOL}`, async () => {
    const names = ["simple_rnn.kernel", "simple_rnn.recurrent_kernel", "simple_rnn.bias", "dense.kernel", "dense.bias"];
    const weights = keras.getWeights();
    const bytes = writeSafetensors(weights.map((w, i) => [names[i], { shape: w.shape, data: w.dataSync() }]));
    const model = await importSafetensors(bytes, { layout: "keras", config: { input: "dense", loss: "mse" } });
    const diff = maxDiff(model.predict(x), kerasOut());
    console.log(`Keras layout import vs TensorFlow.js: max |Δ| = ${diff.toExponential(2)}`);
    assert.ok(diff <= TOL, `outputs differ by ${diff}`);
    // the same file read as PyTorch layout is refused (its names are not there)
    await assert.rejects(importSafetensors(bytes), RnnError);
    model.dispose();
  });

  test("export with layout keras: TensorFlow.js setWeights gives our outputs", async () => {
    const model = await RNN.create({ input: "dense", inputSize: n, hiddenSize: d, outputSize: k, loss: "mse", seed: 77 });
    const f = readSafetensors(exportSafetensors(model, { layout: "keras", prefix: "rnn/", headPrefix: "out/" }));
    assert.deepEqual([...f.tensors.keys()], ["rnn/kernel", "rnn/recurrent_kernel", "rnn/bias", "out/kernel", "out/bias"]);
    keras.setWeights([...f.tensors.keys()].map((name) => tf.tensor(readTensor(f, name), f.tensors.get(name).shape)));
    const diff = maxDiff(model.predict(x), kerasOut());
    assert.ok(diff <= TOL, `outputs differ by ${diff}`);
    model.dispose();
  });
});

const engine = await init();
const good = exportSafetensors(RNN.createSync({ inputSize: 3, hiddenSize: 2, outputSize: 2, seed: 5 }, engine));

describe("bad safetensors files", () => {
  const rejects = (bytes, pattern, options) => assert.throws(() => importSafetensorsSync(bytes, engine, options), (e) => {
    assert.ok(e instanceof RnnError, `not an RnnError: ${e}`);
    assert.match(e.message, pattern);
    return true;
  });
  const w = (shape, dtype = "F32", offs) => ({ dtype, shape, data_offsets: offs });

  test("truncation and header lengths", () => {
    rejects(good.subarray(0, 7), /truncated/);
    rejects(good.subarray(0, 100), /beyond the end of the file/);
    rejects(good.subarray(0, good.length - 3), /run past the end/);
    const huge = good.slice();
    new DataView(huge.buffer).setUint32(4, 0xffffffff, true);
    rejects(huge, /beyond the limit/);
    rejects(rawFile({}, new Uint8Array(0), 1), /JSON object/);
  });

  test("offsets out of range, reversed, overlapping, with gaps or trailing bytes", () => {
    const data = new Uint8Array(16);
    rejects(rawFile({ a: w([2], "F32", [0, 8]), b: w([2], "F32", [8, 24]) }, data), /"b".*run past the end/);
    rejects(rawFile({ a: w([2], "F32", [8, 0]) }, data), /0 ≤ begin ≤ end/);
    rejects(rawFile({ a: w([2], "F32", [-8, 0]) }, data), /0 ≤ begin ≤ end/);
    rejects(rawFile({ a: w([2], "F32", [0, 8]), b: w([2], "F32", [4, 12]) }, data.subarray(0, 12)), /overlaps/);
    rejects(rawFile({ a: w([2], "F32", [0, 8]), b: w([2], "F32", [0, 8]) }, data.subarray(0, 8)), /overlaps/);
    rejects(rawFile({ a: w([2], "F32", [0, 8]), b: w([1], "F32", [12, 16]) }, data), /gap of 4 bytes/);
    rejects(rawFile({ a: w([2], "F32", [0, 8]) }, data), /8 bytes after the last tensor/);
    rejects(rawFile({ a: w([2], "F32", [0, 2 ** 60]) }, data), /integers|run past/);
    rejects(rawFile({ a: w([2], "F32", [0, 1.5]) }, data), /integers/);
    rejects(rawFile({ a: w([2], "F32", [0]) }, data), /\[begin, end\]/);
  });

  test("dtypes and shapes", () => {
    const data = new Uint8Array(16);
    rejects(rawFile({ a: w([2], "F31", [0, 8]) }, data.subarray(0, 8)), /unknown dtype "F31"/);
    rejects(rawFile({ a: w([2], 32, [0, 8]) }, data.subarray(0, 8)), /unknown dtype 32/);
    rejects(rawFile({ a: w([3], "F32", [0, 8]) }, data.subarray(0, 8)), /needs 12 bytes/);
    rejects(rawFile({ a: w([2 ** 40, 2 ** 40], "F32", [0, 8]) }, data.subarray(0, 8)), /too large|needs/);
    rejects(rawFile({ a: w([-1], "F32", [0, 8]) }, data.subarray(0, 8)), /integers ≥ 0/);
    rejects(rawFile({ a: w("2", "F32", [0, 8]) }, data.subarray(0, 8)), /shape must be an array/);
    rejects(rawFile({ a: 5 }), /expected \{ dtype, shape, data_offsets \}/);
    rejects(rawFile({ __metadata__: { a: 1 } }), /__metadata__\.a must be a string/);
    // a well-formed file whose tensors have the wrong dtype or shape for an RNN
    const f = readSafetensors(good);
    const entries = [...f.tensors.keys()].map((t) => [t, { shape: f.tensors.get(t).shape, data: readTensor(f, t) }]);
    const swap = (name, t) => writeSafetensors(entries.map(([nm, e]) => [nm, nm === name ? t : e]));
    rejects(swap("rnn.weight_hh_l0", { shape: [2, 3], data: new Float32Array(6) }), /"rnn.weight_hh_l0" must have shape \[2, 2\]/);
    rejects(swap("rnn.weight_ih_l0", { shape: [6], data: new Float32Array(6) }), /must have 2 dimensions/);
    rejects(swap("fc.weight", { shape: [2, 5], data: new Float32Array(10) }), /"fc.weight" must have shape \[2, 2\]/);
    rejects(swap("rnn.bias_hh_l0", { shape: [3], data: new Float32Array(3) }), /"rnn.bias_hh_l0" must have shape \[2\]/);
    const i64 = new Uint8Array(good);
    const n = new DataView(i64.buffer).getUint32(0, true);
    const text = new TextDecoder().decode(i64.subarray(8, 8 + n)).replace('"dtype":"F32"', '"dtype":"I32"');
    i64.set(new TextEncoder().encode(text), 8);
    rejects(i64, /dtype I32 is not supported/);
    rejects(good, /config.inputSize is 4 but the tensors have 3/, { config: { inputSize: 4 } });
    rejects(good, /options\.prefx: unknown option/, { prefx: "" });
    rejects(good, /layout/, { layout: "tf" });
    const m = RNN.createSync({ inputSize: 2, hiddenSize: 2, outputSize: 2 }, engine);
    assert.throws(() => exportSafetensors(m, { prefixx: "a." }), (e) => e instanceof RnnError && /options\.prefixx: unknown option/.test(e.message));
    assert.throws(() => exportSafetensors(m, { layout: "onnx" }), RnnError);
    assert.throws(() => exportSafetensors(m, { prefix: 3 }), RnnError);
    m.dispose();
    assert.throws(() => exportSafetensors(m), (e) => e instanceof RnnError && /disposed/.test(e.message));
  });

  test("hostile sizes: zero-sized layers cannot claim a huge one without its bytes", () => {
    const empty = (shape) => w(shape, "F32", [0, 0]);
    rejects(rawFile({ "rnn.weight_ih_l0": empty([0, 5]), "rnn.weight_hh_l0": empty([0, 0]), "fc.weight": empty([2 ** 30, 0]) }), /hidden size of 0/);
    rejects(rawFile({ "simple_rnn.kernel": empty([5, 0]), "simple_rnn.recurrent_kernel": empty([0, 0]), "dense.kernel": empty([0, 2 ** 40]) }), /hidden size of 0/, { layout: "keras" });
    rejects(rawFile({ "rnn.weight_ih_l0": empty([2 ** 40, 0]), "rnn.weight_hh_l0": empty([2 ** 40, 2 ** 40]), "fc.weight": empty([1, 2 ** 40]) }), /needs \d+ bytes|too large/);
  });

  test("a layer or a direction with missing tensors (issue #12: any number of layers, both directions)", () => {
    const f = readSafetensors(good);
    const entries = [...f.tensors.keys()].map((t) => [t, { shape: f.tensors.get(t).shape, data: readTensor(f, t) }]);
    rejects(writeSafetensors([...entries, ["rnn.weight_ih_l1", { shape: [2, 2], data: new Float32Array(4) }]]), /tensor "rnn\.weight_hh_l1" is missing: .*a 2-layer RNN/);
    rejects(writeSafetensors([...entries, ["rnn.weight_ih_l0_reverse", { shape: [2, 3], data: new Float32Array(6) }]]), /tensor "rnn\.weight_hh_l0_reverse" is missing: .*bidirectional/);
  });

  test("NaN-bearing weights unless allowNonFinite", () => {
    const f = readSafetensors(good);
    const entries = [...f.tensors.keys()].map((t) => [t, { shape: f.tensors.get(t).shape, data: readTensor(f, t).slice() }]);
    entries[1][1].data[2] = NaN;
    const bytes = writeSafetensors(entries);
    rejects(bytes, /"rnn.weight_hh_l0": element 2 is NaN/);
    const m = importSafetensorsSync(bytes, engine, { allowNonFinite: true });
    assert.ok(Number.isNaN(m.parameters().W[2]));
    m.dispose();
    entries[1][1].data[2] = 0;
    entries[2][1].data[0] = 3e38; entries[3][1].data[0] = 3e38;   // finite biases whose sum is Infinity
    rejects(writeSafetensors(entries), /bias element 0 is Infinity/);
  });

  test("readSafetensors takes only bytes", () => {
    for (const v of [undefined, null, "x", 3, [1, 2], {}]) assert.throws(() => readSafetensors(v), RnnError);
    assert.throws(() => writeSafetensors([["a", { shape: [2], data: new Float32Array(3) }]]), RnnError);
    assert.throws(() => writeSafetensors([["a", { shape: [1], data: new Float32Array(1) }], ["a", { shape: [1], data: new Float32Array(1) }]]), RnnError);
  });
});
