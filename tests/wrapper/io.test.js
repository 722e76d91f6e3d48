/**
 * Model files: model.save() / RNN.load() and the file helpers.
 * - save → load restores config, parameters, optimizer state and generator state: saving
 *   the loaded model gives the same bytes;
 * - resuming is exact: N steps in this process equal N/2 steps, save, load in a fresh Node
 *   process (and a fresh Deno process) and N/2 more — the two files are byte-identical,
 *   for Adam + clipping, SGD with momentum, AdamW with weight decay (the type "adamw" kept in
 *   the file), and an Adam → SGD switch right after the save (which resets the optimizer
 *   only if the saved optimizer type was restored);
 * - the vocabulary and label map travel with the model;
 * - every malformed file throws an RnnError that says what is wrong.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { mkdtempSync, rmSync, readFileSync, writeFileSync, readdirSync, existsSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as lib from "../../dist/index.js";
import { CASES, SWITCH_AT, train, create, mulberry32 } from "./fixtures/io_cases.js";

const { RNN, RnnError, init, initSync, saveModelFile, loadModelFile, readSafetensors, writeSafetensors, readTensor, MODEL_FORMAT_VERSION } = lib;
const run = promisify(execFile);
const resumeScript = fileURLToPath(new URL("./fixtures/io_resume.js", import.meta.url));
const denoBin = fileURLToPath(new URL("../../node_modules/.bin/deno", import.meta.url));
const N = 30;
const HALF = N / 2;

let dir;
before(() => { dir = mkdtempSync(join(tmpdir(), "rnn-io-")); });
after(() => rmSync(dir, { recursive: true, force: true }));

const eqBytes = (a, b) => a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
const f32bytes = (x) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);

/** Rebuild a model file with edited metadata and/or tensors (name → { shape, data } or null to drop). */
function rewrite(bytes, { metadata = {}, tensors = {}, dtype } = {}) {
  const f = readSafetensors(bytes);
  const list = [];
  for (const name of f.tensors.keys()) {
    if (tensors[name] === null) continue;
    list.push([name, tensors[name] ?? { shape: f.tensors.get(name).shape, data: readTensor(f, name, { allowNonFinite: true }) }]);
  }
  for (const [name, t] of Object.entries(tensors)) if (t && !f.tensors.has(name)) list.push([name, t]);
  const meta = { ...f.metadata };
  for (const [k, v] of Object.entries(metadata)) { if (v === undefined) delete meta[k]; else meta[k] = v; }
  let out = writeSafetensors(list, meta);
  if (dtype) {
    // relabel the first tensor's dtype in the header text (same length: "F32" → "I32")
    const n = Number(new DataView(out.buffer).getBigUint64(0, true));
    const text = new TextDecoder().decode(out.subarray(8, 8 + n)).replace('"dtype":"F32"', `"dtype":"${dtype}"`);
    out = Uint8Array.from([...out.subarray(0, 8), ...new TextEncoder().encode(text), ...out.subarray(8 + n)]);
  }
  return out;
}

describe("save and load", () => {
  test("a loaded model has the same config, parameters and state: re-saving gives the same bytes", async () => {
    const engine = await init();
    for (const name of Object.keys(CASES)) {
      const m = await create(name, engine);
      train(m, name, 0, 7);
      const bytes = m.save();
      assert.ok(bytes instanceof Uint8Array);
      const back = await RNN.load(bytes, { engine });
      assert.deepEqual(back.config, m.config);
      const p = m.parameters(), q = back.parameters();
      for (const t of ["U", "W", "b", "V", "c"]) assert.ok(f32bytes(p[t]).equals(f32bytes(q[t])), `${name}: ${t} differs`);
      assert.ok(eqBytes(back.save(), bytes), `${name}: re-saving changed the bytes`);
      const meta = readSafetensors(bytes).metadata;
      assert.equal(meta.format, "rnn-wasm");
      assert.equal(meta.version, String(MODEL_FORMAT_VERSION));
      assert.deepEqual(JSON.parse(meta.optimizer), { type: CASES[name].optimizer(0).optimizer.type, step: 7 });
      assert.match(meta.rng, /^[0-9a-f]{16}$/);
      // the same predictions
      const x = CASES[name].batch(mulberry32(5)).inputs;
      assert.deepEqual(back.predict(x), m.predict(x));
      m.dispose(); back.dispose();
    }
  });

  test("the generator state is restored exactly (whatever it is)", async () => {
    const m = await create("adam-ids");
    const edited = rewrite(m.save(), { metadata: { rng: "0123456789abcdef" } });
    const back = RNN.loadSync(edited, initSync());
    assert.equal(readSafetensors(back.save()).metadata.rng, "0123456789abcdef");
    m.dispose(); back.dispose();
  });

  test("an untrained model and save({ optimizer: false }) store no optimizer state", async () => {
    const m = await create("adam-ids");
    let f = readSafetensors(m.save());
    assert.deepEqual([...f.tensors.keys()], ["U", "W", "b", "V", "c"]);
    assert.deepEqual(JSON.parse(f.metadata.optimizer), { type: null, step: 0 });
    train(m, "adam-ids", 0, 3);
    f = readSafetensors(m.save());
    assert.equal(f.tensors.size, 15);
    assert.deepEqual(f.tensors.get("optimizer.v.W").shape, [10, 10]);
    const slim = m.save({ optimizer: false });
    f = readSafetensors(slim);
    assert.equal(f.tensors.size, 5);
    assert.ok(slim.length < m.save().length / 2.5);
    const back = await RNN.load(slim);
    assert.deepEqual(back.parameters(), m.parameters());
    // it trains from a fresh optimizer: like the original after resetOptimizer()
    m.resetOptimizer();
    train(m, "adam-ids", 3, 5); train(back, "adam-ids", 3, 5);
    assert.deepEqual(back.parameters(), m.parameters());
    m.dispose(); back.dispose();
  });

  test("the vocabulary and label map travel with the model", async () => {
    const { Vocabulary, LabelEncoder } = lib;
    const vocab = Vocabulary.build([["the", "cat", "sat"], ["the", "dog"]]);
    const labels = new LabelEncoder(["neg", "pos"]);
    const m = await RNN.create({ inputSize: vocab.size, hiddenSize: 4, outputSize: 2, task: "many-to-one" });
    m.vocabulary = vocab;
    m.labels = labels;
    const bytes = m.save();
    const meta = readSafetensors(bytes).metadata;
    assert.deepEqual(JSON.parse(meta.vocabulary), vocab.toJSON());
    assert.deepEqual(JSON.parse(meta.labels), labels.toJSON());
    const back = await RNN.load(bytes);
    assert.ok(back.vocabulary instanceof Vocabulary);
    assert.ok(back.labels instanceof LabelEncoder);
    assert.deepEqual(back.vocabulary.toJSON(), vocab.toJSON());
    assert.deepEqual(back.labels.toJSON(), labels.toJSON());
    assert.deepEqual(back.vocabulary.encode(["the", "dog", "bird"]), vocab.encode(["the", "dog", "bird"]));
    // a damaged vocabulary is an RnnError naming it
    const bad = rewrite(bytes, { metadata: { vocabulary: '{"kind":"rnn-wasm/vocabulary","version":1,"lowercase":false,"tokens":["x"]}' } });
    await assert.rejects(RNN.load(bad), (e) => e instanceof RnnError && /vocabulary/.test(e.message));
    // a vocabulary with more ids than the model takes, or more labels than it has outputs:
    // refused when saving, and when a file says so
    const big = Vocabulary.build([["a", "b", "c", "d", "e", "f", "g", "h"]]);
    const tooBig = rewrite(bytes, { metadata: { vocabulary: JSON.stringify(big.toJSON()) } });
    await assert.rejects(RNN.load(tooBig), (e) => e instanceof RnnError && /vocabulary has 12 ids but the model takes 8 \(inputSize\)/.test(e.message));
    const threeLabels = rewrite(bytes, { metadata: { labels: JSON.stringify(new LabelEncoder(["a", "b", "c"]).toJSON()) } });
    await assert.rejects(RNN.load(threeLabels), (e) => e instanceof RnnError && /3 labels but the model has 2 outputs/.test(e.message));
    m.vocabulary = big;
    assert.throws(() => m.save(), (e) => e instanceof RnnError && /^save: the vocabulary has 12 ids/.test(e.message));
    m.vocabulary = vocab;
    m.labels = new LabelEncoder(["a", "b", "c"]);
    assert.throws(() => m.save(), (e) => e instanceof RnnError && /^save: there are 3 labels/.test(e.message));
    m.dispose(); back.dispose();
  });
});

describe("resuming is exact in a fresh process", () => {
  async function halfway() {
    assert.equal(SWITCH_AT, HALF, "the optimizer switch must come right after the save");
    const engine = await init();
    const whole = {};
    for (const name of Object.keys(CASES)) {
      const full = await create(name, engine);
      train(full, name, 0, N);
      whole[name] = full.save();
      full.dispose();
      const half = await create(name, engine);
      train(half, name, 0, HALF);
      await saveModelFile(half, join(dir, `${name}.in.rnn`));
      assert.ok(!eqBytes(half.save(), whole[name]), `${name}: the second half changes nothing`);
      half.dispose();
    }
    return whole;
  }

  function compare(whole, runtime) {
    for (const name of Object.keys(CASES)) {
      const resumed = readFileSync(join(dir, `${name}.out.rnn`));
      const a = readSafetensors(whole[name]), b = readSafetensors(resumed);
      for (const t of a.tensors.keys()) {
        assert.ok(f32bytes(readTensor(a, t)).equals(f32bytes(readTensor(b, t))), `${runtime}, ${name}: tensor ${t} differs from training ${N} steps in one go`);
      }
      assert.deepEqual(b.metadata, a.metadata, `${runtime}, ${name}: metadata`);
      assert.ok(eqBytes(resumed, whole[name]), `${runtime}, ${name}: files differ`);
    }
  }

  test(`${N} steps here = ${HALF} here, save, load in a fresh Node process, ${HALF} more (bit for bit)`, async () => {
    const whole = await halfway();
    const { stdout } = await run(process.execPath, [resumeScript, dir, String(HALF), String(N)], { timeout: 60_000 });
    assert.equal(JSON.parse(stdout).runtime, "node");
    compare(whole, "node");
    // the helpers leave no temporary files behind
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes(".tmp-")), []);
  });

  test("and in a fresh Deno process (Deno's file API)", async () => {
    const whole = await halfway();
    const { stdout } = await run(denoBin, ["run", "--quiet", "--no-config", "--no-lock", `--allow-read=${dir},${fileURLToPath(new URL("../..", import.meta.url))}`, `--allow-write=${dir}`,
      resumeScript, dir, String(HALF), String(N)], { timeout: 60_000, env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" } });
    assert.equal(JSON.parse(stdout).runtime, "deno");
    compare(whole, "deno");
  });

  test("control: resuming without the optimizer state differs, so the comparison is sensitive", async () => {
    const name = "adam-ids";
    const full = await create(name);
    train(full, name, 0, N);
    const half = await loadModelFile(join(dir, `${name}.in.rnn`));
    const blind = await RNN.load(half.save({ optimizer: false }));
    train(blind, name, HALF, N);
    assert.ok(!f32bytes(blind.parameters().W).equals(f32bytes(full.parameters().W)));
    full.dispose(); half.dispose(); blind.dispose();
  });
});

describe("files", () => {
  test("saveModelFile writes model.save() atomically; loadModelFile reads it", async () => {
    const m = await create("sgd-dense");
    train(m, "sgd-dense", 0, 4);
    const path = join(dir, "one.rnn");
    await saveModelFile(m, path);
    assert.ok(eqBytes(readFileSync(path), m.save()));
    await saveModelFile(m, path, { optimizer: false });   // overwrite
    assert.ok(eqBytes(readFileSync(path), m.save({ optimizer: false })));
    const back = await loadModelFile(path, { engine: await init() });
    assert.deepEqual(back.parameters(), m.parameters());
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith("one.rnn.")), []);
    m.dispose(); back.dispose();
  });

  test("missing files, bad paths and non-model files are RnnErrors", async () => {
    const m = await create("adam-ids");
    await assert.rejects(loadModelFile(join(dir, "nope.rnn")), (e) => e instanceof RnnError && /nope\.rnn/.test(e.message));
    await assert.rejects(loadModelFile(""), RnnError);
    await assert.rejects(loadModelFile(42), RnnError);
    await assert.rejects(saveModelFile(m, join(dir, "no-such-dir", "x.rnn")), (e) => e instanceof RnnError && /no-such-dir/.test(e.message));
    assert.ok(!existsSync(join(dir, "no-such-dir")));
    writeFileSync(join(dir, "junk.rnn"), "hello, world");
    await assert.rejects(loadModelFile(join(dir, "junk.rnn")), RnnError);
    // a (sparse) 3 GiB file is refused from its size, before anything is read
    const huge = join(dir, "huge.rnn");
    writeFileSync(huge, "");
    truncateSync(huge, 3 * 2 ** 30);
    const t0 = performance.now();
    await assert.rejects(loadModelFile(huge), (e) => e instanceof RnnError && /3072 MiB, larger than any model file/.test(e.message));
    assert.ok(performance.now() - t0 < 500);
    rmSync(huge);
    m.dispose();
  });

  test("browser helpers say clearly that they need a browser", async () => {
    const m = await create("adam-ids");
    assert.throws(() => lib.downloadModel(m), (e) => e instanceof RnnError && /browser/.test(e.message));
    await assert.rejects(lib.saveModelToIndexedDB(m, "k"), (e) => e instanceof RnnError && /IndexedDB/.test(e.message));
    await assert.rejects(lib.loadModelFromIndexedDB("k"), (e) => e instanceof RnnError && /IndexedDB/.test(e.message));
    m.dispose();
  });
});

describe("bad model files", () => {
  let good, engine;
  before(async () => {
    engine = await init();
    const m = await create("adam-ids", engine);
    train(m, "adam-ids", 0, 2);
    good = m.save();
    m.dispose();
  });
  const rejects = (bytes, pattern, options) => assert.throws(() => RNN.loadSync(bytes, engine, options), (e) => {
    assert.ok(e instanceof RnnError, `not an RnnError: ${e}`);
    assert.match(e.message, pattern);
    return true;
  });

  test("truncated files and header lengths beyond the file", () => {
    rejects(good.subarray(0, 0), /truncated/);
    rejects(good.subarray(0, 5), /truncated/);
    rejects(good.subarray(0, 200), /beyond the end of the file/);
    rejects(good.subarray(0, good.length - 1), /past the end|truncated/);
    const big = good.slice();
    new DataView(big.buffer).setUint32(0, good.length, true);
    rejects(big, /beyond the end/);
    new DataView(big.buffer).setUint32(4, 1, true);
    rejects(big, /beyond the limit/);
    rejects(Uint8Array.from([...good, 0, 0, 0, 0]), /not described/);
  });

  test("not a model file: foreign safetensors, other bytes, other types", async () => {
    rejects(writeSafetensors([["x", { shape: [1], data: new Float32Array(1) }]]), /not an rnn-wasm model file.*importSafetensors/);
    rejects(new TextEncoder().encode("\x08\0\0\0\0\0\0\0[1,2,3]                "), /JSON object/);
    rejects(new TextEncoder().encode("\x04\0\0\0\0\0\0\0{\xff}x"), /JSON|UTF-8/);
    for (const v of [null, undefined, "bytes", 42, [1, 2, 3], {}]) rejects(v, /Uint8Array/);
    await assert.rejects(RNN.load(null), RnnError);
    rejects(good, /unknown option/, { engin: engine });
  });

  test("unknown format versions and damaged metadata", () => {
    rejects(rewrite(good, { metadata: { version: "2" } }), /unsupported format version "2"/);
    rejects(rewrite(good, { metadata: { version: undefined } }), /unsupported format version undefined/);
    rejects(rewrite(good, { metadata: { format: "keras" } }), /not an rnn-wasm model file/);
    rejects(rewrite(good, { metadata: { config: "{" } }), /"config" is not valid JSON/);
    rejects(rewrite(good, { metadata: { config: undefined } }), /"config" is missing/);
    rejects(rewrite(good, { metadata: { config: JSON.stringify({ ...CASES["adam-ids"].config, hiddenSize: -1 }) } }), /config.*hiddenSize/);
    rejects(rewrite(good, { metadata: { config: JSON.stringify({ ...CASES["adam-ids"].config, colour: "red" }) } }), /colour/);
    rejects(rewrite(good, { metadata: { optimizer: '{"type":"rmsprop","step":2}' } }), /type must be "adam", "adamw", "sgd" or null/);
    rejects(rewrite(good, { metadata: { optimizer: '{"type":"adam","step":-1}' } }), /step must be/);
    rejects(rewrite(good, { metadata: { optimizer: '{"type":"adam","step":1e300}' } }), /step must be/);
    rejects(rewrite(good, { metadata: { optimizer: "[]" } }), /optimizer/);
    rejects(rewrite(good, { metadata: { rng: "xyz" } }), /rng/);
  });

  test("wrong dtypes, wrong shapes, missing and unexpected tensors", () => {
    rejects(rewrite(good, { dtype: "I32" }), /must be F32, got I32/);
    rejects(rewrite(good, { dtype: "F16" }), /F16 shape .* needs \d+ bytes|must be F32/);
    rejects(rewrite(good, { tensors: { U: { shape: [7, 10], data: new Float32Array(70) } } }), /"U" must have shape \[10, 7\]/);
    rejects(rewrite(good, { tensors: { b: { shape: [2, 5], data: new Float32Array(10) } } }), /"b" must have shape \[10\]/);
    rejects(rewrite(good, { tensors: { c: null } }), /"c" is missing/);
    rejects(rewrite(good, { tensors: { "optimizer.v.W": null } }), /"optimizer.v.W" is missing/);
    rejects(rewrite(good, { tensors: { extra: { shape: [1], data: new Float32Array(1) } } }), /unexpected tensor "extra"/);
    // a config that claims a huge model: its tensors would have to be in the file
    rejects(rewrite(good, { metadata: { config: JSON.stringify({ ...CASES["adam-ids"].config, inputSize: 2 ** 24, hiddenSize: 2 ** 24 }) } }), /must have shape \[16777216, 16777216\]/);
  });

  test("NaN and ±Infinity are refused unless allowNonFinite", () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const W = new Float32Array(100); W[37] = bad;
      const bytes = rewrite(good, { tensors: { W: { shape: [10, 10], data: W } } });
      rejects(bytes, new RegExp(`"W": element 37 is ${bad}.*allowNonFinite`));
      const m = RNN.loadSync(bytes, engine, { allowNonFinite: true });
      assert.ok(Object.is(m.parameters().W[37], bad));
      m.dispose();
    }
    const v = new Float32Array(7); v[3] = NaN;
    rejects(rewrite(good, { tensors: { "optimizer.m.c": { shape: [7], data: v } } }), /optimizer\.m\.c.*element 3 is NaN/);
  });

  test("AdamW's state is Adam's: a negative second moment is refused in an adamw file too", async () => {
    const m = await create("adamw-dense", engine);
    train(m, "adamw-dense", 0, 2);
    const file = m.save();
    m.dispose();
    assert.equal(JSON.parse(readSafetensors(file).metadata.optimizer).type, "adamw");
    const v = readTensor(readSafetensors(file), "optimizer.v.W").slice();
    v[3] = -1e-9;
    rejects(rewrite(file, { tensors: { "optimizer.v.W": { shape: [7, 7], data: v } } }), /"optimizer\.v\.W" element 3 is .*never negative/);
  });

  test("a failed load leaves no model behind: engine memory does not grow over many failures", () => {
    const e = initSync();
    const bad = rewrite(good, { metadata: { vocabulary: "{}" } });
    for (let i = 0; i < 5; i++) assert.throws(() => RNN.loadSync(bad, e), RnnError);
    const before = e.exports.memory.buffer.byteLength;
    for (let i = 0; i < 500; i++) assert.throws(() => RNN.loadSync(bad, e), RnnError);
    assert.equal(e.exports.memory.buffer.byteLength, before);
  });

  test("a disposed model cannot be saved", async () => {
    const m = await create("adam-ids");
    m.dispose();
    assert.throws(() => m.save(), (e) => e instanceof RnnError && /disposed/.test(e.message));
    assert.throws(() => RNN.prototype.save.call(m, { optimiser: false }), (e) => e instanceof RnnError && /disposed/.test(e.message), "disposed comes before a bad option");
  });
});
