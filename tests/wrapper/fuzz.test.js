/**
 * Fuzzing every loader of model files with many thousands of mutated files (seeded, bounded
 * in time). The contract: a loader returns a model (a valid-looking result is fine) or throws
 * an RnnError — never another exception, a hang or a huge allocation. Mutations: byte flips
 * (anywhere, in the header, in the header length), truncation, appended and spliced bytes,
 * structure-aware edits of the JSON header (dtypes, shapes, offsets, metadata values, nested
 * config / optimizer / vocabulary JSON, deleted and duplicated entries) and NaN/Inf in the data.
 * A failure prints the loader, seed and iteration to replay it.
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  RNN, RnnError, initSync, readSafetensors, exportSafetensors, importSafetensorsSync, Vocabulary, LabelEncoder,
} from "../../dist/index.js";
import { mulberry32 } from "./fixtures/io_cases.js";

const SEED = Number(process.env.FUZZ_SEED ?? 20240607);
const BUDGET_MS = Number(process.env.FUZZ_MS ?? 1500);        // per loader
const MAX_ITER = Number(process.env.FUZZ_ITER ?? 20000);      // per loader
const MIN_ITER = 2000;                                        // "many thousands" even on a slow machine

const engine = initSync();

function baseModel() {
  const m = RNN.createSync({ inputSize: 9, hiddenSize: 5, outputSize: 3, seed: 4 }, engine);
  m.vocabulary = Vocabulary.build([["a", "b", "c"], ["b", "d", "e"]]);
  m.labels = new LabelEncoder(["x", "y", "z"]);
  for (let i = 0; i < 3; i++) m.trainStep({ inputs: [[1, 4, 5], [6, 7]], targets: [[0, 1, 2], [2, 1]] }, { optimizer: { type: "adam", lr: 0.05 } });
  return m;
}
const model = baseModel();
const BASES = {
  native: [model.save(), model.save({ optimizer: false })],
  pytorch: [exportSafetensors(model), new Uint8Array(readFileSync(new URL("../fixtures/torch_rnn.safetensors", import.meta.url)))],
  keras: [exportSafetensors(model, { layout: "keras" })],
};
model.dispose();

const LOADERS = {
  "RNN.loadSync": { bases: BASES.native, load: (b, allow) => RNN.loadSync(b, engine, { allowNonFinite: allow }) },
  "importSafetensors (PyTorch)": { bases: BASES.pytorch, load: (b, allow) => importSafetensorsSync(b, engine, { allowNonFinite: allow }) },
  "importSafetensors (Keras)": { bases: BASES.keras, load: (b, allow) => importSafetensorsSync(b, engine, { layout: "keras", allowNonFinite: allow }) },
  readSafetensors: { bases: [...BASES.native, ...BASES.pytorch], load: (b) => readSafetensors(b) },
};

// ── mutations ─────────────────────────────────────────────────────────────────────────
const enc = new TextEncoder(), dec = new TextDecoder();
const INTERESTING = [0, 1, -1, 2, 3, 4, 7, 8, 255, 256, 65535, 2 ** 24, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 53, 2 ** 53 + 2, 1e308, -1e308, 0.5, -0,
  NaN, "F32", "F16", "BF16", "F64", "I64", "U8", "BOOL", "", "1", "2", "0", "rnn-wasm", "adam", "sgd", "ids", "dense", null, true, false, [], {}, [0, 0], [0],
  [1, 2, 3], [2 ** 40, 2 ** 40], [16777216, 16777216], "{}", "[]", "null", '{"type":"adam","step":3}', "x".repeat(300)];

function pickFrom(rand, list) { return list[Math.floor(rand() * list.length)]; }
function randomValue(rand) {
  const r = rand();
  if (r < 0.6) return pickFrom(rand, INTERESTING);
  if (r < 0.8) return Math.floor(rand() * 2 ** (rand() * 40)) * (rand() < 0.1 ? -1 : 1);
  if (r < 0.9) return Array.from({ length: Math.floor(rand() * 4) }, () => Math.floor(rand() * 64));
  return String.fromCharCode(...Array.from({ length: Math.floor(rand() * 12) }, () => Math.floor(rand() * 0x3000)));
}

function splitFile(bytes) {
  const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  return { header: JSON.parse(dec.decode(bytes.subarray(8, 8 + n))), data: bytes.subarray(8 + n) };
}
function joinFile(header, data, lengthDelta = 0) {
  const json = enc.encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, Math.max(0, json.length + lengthDelta), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** Change one value somewhere in a JSON document (objects, arrays, and JSON inside strings). */
function mutateJson(value, rand, depth = 0) {
  if (depth > 6 || value === null || typeof value !== "object") return randomValue(rand);
  const keys = Object.keys(value);
  if (keys.length === 0 || rand() < 0.05) return randomValue(rand);
  const key = pickFrom(rand, keys);
  const copy = Array.isArray(value) ? value.slice() : { ...value };
  const r = rand();
  if (r < 0.08) { if (Array.isArray(copy)) copy.splice(Number(key), 1); else delete copy[key]; return copy; }
  if (r < 0.12 && !Array.isArray(copy)) { copy[key + (rand() < 0.5 ? "_" : "")] = copy[key]; copy["dup" + Math.floor(rand() * 3)] = copy[key]; return copy; }
  const inner = copy[key];
  if (typeof inner === "string" && /^[{[]/.test(inner) && rand() < 0.8) {
    try { copy[key] = JSON.stringify(mutateJson(JSON.parse(inner), rand, depth + 1)); return copy; } catch { /* not JSON */ }
  }
  copy[key] = mutateJson(inner, rand, depth + 1);
  return copy;
}

function mutate(base, rand) {
  const b = base.slice();
  const kind = Math.floor(rand() * 10);
  switch (kind) {
    case 0: {                                  // flip a few bytes anywhere
      for (let i = 1 + Math.floor(rand() * 6); i > 0; i--) b[Math.floor(rand() * b.length)] ^= 1 << Math.floor(rand() * 8);
      return b;
    }
    case 1: {                                  // bytes of the JSON header
      const n = new DataView(b.buffer).getUint32(0, true);
      for (let i = 1 + Math.floor(rand() * 3); i > 0; i--) b[8 + Math.floor(rand() * n)] = Math.floor(rand() * 256);
      return b;
    }
    case 2: {                                  // the header length
      const dv = new DataView(b.buffer);
      const r = rand();
      if (r < 0.3) dv.setUint32(0, dv.getUint32(0, true) + Math.floor(rand() * 64) - 32, true);
      else if (r < 0.6) dv.setUint32(0, Math.floor(rand() * 2 ** 32), true);
      else if (r < 0.8) dv.setUint32(4, Math.floor(rand() * 2 ** 32), true);
      else b[Math.floor(rand() * 8)] = Math.floor(rand() * 256);
      return b;
    }
    case 3: return b.subarray(0, Math.floor(rand() * b.length));           // truncate
    case 4: {                                  // append or splice bytes
      const extra = Uint8Array.from({ length: 1 + Math.floor(rand() * 40) }, () => Math.floor(rand() * 256));
      const at = rand() < 0.5 ? b.length : Math.floor(rand() * b.length);
      return Uint8Array.from([...b.subarray(0, at), ...extra, ...b.subarray(at)]);
    }
    case 5: {                                  // delete a slice
      const at = Math.floor(rand() * b.length), len = 1 + Math.floor(rand() * 32);
      return Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + len)]);
    }
    case 6: {                                  // NaN / Inf / huge values in the data
      const { header, data } = splitFile(b);
      const d = data.slice();
      const dv = new DataView(d.buffer);
      for (let i = 1 + Math.floor(rand() * 3); i > 0 && d.length >= 4; i--) {
        dv.setFloat32(4 * Math.floor(rand() * (d.length / 4)), pickFrom(rand, [NaN, Infinity, -Infinity, 3.4e38, -0, 1e-45]), true);
      }
      return joinFile(header, d);
    }
    default: {                                 // structure-aware: edit the JSON header, keep or resize the data
      const { header, data } = splitFile(b);
      let h = header;
      for (let i = 1 + Math.floor(rand() * 2); i > 0; i--) h = mutateJson(h, rand);
      const r = rand();
      const d = r < 0.8 ? data : r < 0.9 ? data.subarray(0, Math.floor(rand() * data.length)) : Uint8Array.from([...data, ...new Uint8Array(Math.floor(rand() * 64))]);
      return joinFile(h, d, rand() < 0.05 ? Math.floor(rand() * 16) - 8 : 0);
    }
  }
}

// ── the runs ──────────────────────────────────────────────────────────────────────────
describe("fuzz: only RnnError escapes a loader", () => {
  const memoryBefore = engine.exports.memory.buffer.byteLength;
  for (const [name, { bases, load }] of Object.entries(LOADERS)) {
    test(`${name}: mutated files for ${BUDGET_MS} ms (at least ${MIN_ITER})`, { timeout: 60_000 }, () => {
      const rand = mulberry32(SEED ^ name.length * 0x9e3779b1);
      const counts = { accepted: 0, rejected: 0 };
      const messages = new Map();
      let slowest = 0, i = 0;
      const start = performance.now();
      for (; i < MAX_ITER && (i < MIN_ITER || performance.now() - start < BUDGET_MS); i++) {
        const bytes = mutate(pickFrom(rand, bases), rand);
        const allow = rand() < 0.2;
        const t0 = performance.now();
        let result;
        try {
          result = load(bytes, allow);
          counts.accepted++;
        } catch (e) {
          if (!(e instanceof RnnError)) {
            assert.fail(`${name}, seed ${SEED}, iteration ${i}: ${e?.constructor?.name}: ${e?.message}\n${e?.stack}`);
          }
          assert.ok(e.message.length > 10 && e.message.length < 2000, `unhelpful message: ${e.message}`);
          counts.rejected++;
          const key = e.message.replace(/\d+/g, "#").replace(/"[^"]*"/g, '"…"').slice(0, 70);
          messages.set(key, (messages.get(key) ?? 0) + 1);
        }
        if (result instanceof RNN) {
          // a valid-looking model must be usable
          result.predict([[0]].map(() => (result.config.input === "ids" ? [0] : [new Array(result.config.inputSize).fill(0)])));
          result.dispose();
        }
        slowest = Math.max(slowest, performance.now() - t0);
      }
      const ms = performance.now() - start;
      console.log(`${name}: ${i} files in ${ms.toFixed(0)} ms — ${counts.rejected} rejected (${messages.size} distinct messages), ${counts.accepted} accepted; slowest ${slowest.toFixed(1)} ms`);
      assert.ok(i >= MIN_ITER);
      assert.ok(counts.rejected > i / 4, "most mutations should be caught");
      assert.ok(messages.size >= 15, `only ${messages.size} kinds of rejection: the mutations are too tame`);
      assert.ok(slowest < 1000, `one load took ${slowest} ms`);
    });
  }

  test("no huge allocation: the engine's memory stayed small, and the engine still works", () => {
    const grown = engine.exports.memory.buffer.byteLength - memoryBefore;
    console.log(`engine memory grew by ${(grown / 2 ** 20).toFixed(1)} MiB`);
    assert.ok(grown < 64 * 2 ** 20, `memory grew by ${grown} bytes`);
    const m = RNN.createSync({ inputSize: 3, hiddenSize: 4, outputSize: 2 }, engine);
    assert.equal(m.predict([[0, 1, 2]])[0].length, 3);
    m.dispose();
  });
});
