// Helpers shared by safety.test.js and hunt.test.js: bit-exact snapshots of a model, the
// RnnError assertion, a seeded generator, and edits of model files (metadata and tensors).
import assert from "node:assert/strict";
import { RnnError } from "../../dist/index.js";

export { seededRandom as mulberry32 } from "../reference/rnn_ref.js";

/** Hex of a typed array's bytes (NaN-safe, −0-safe, bit-exact). */
export const hex = (v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("hex");

/** Hex of every tensor of a { name: Float32Array } record. */
export const bytesOf = (tensors) => Object.fromEntries(Object.entries(tensors).map(([k, v]) => [k, hex(v)]));

/** Parameters and gradients, bit-exact. */
export const snapshot = (m) => ({ params: bytesOf(m.parameters()), grads: bytesOf(m.gradients()) });

/** Everything a model file keeps (parameters, optimizer state and step, generator state, config), as hex. */
export const saved = (m) => Buffer.from(m.save()).toString("hex");

/** Whether every parameter is finite. */
export const allFinite = (params) => Object.values(params).every((a) => a.every(Number.isFinite));

/** Run `call`; assert that it throws an RnnError whose message matches every pattern; return the error. */
export function expectRnnError(call, patterns = [], what = "the call") {
  let caught;
  try {
    call();
  } catch (e) {
    caught = e;
  }
  checkRnnError(caught, patterns, what);
  return caught;
}

/** The same for a call that may throw or return a promise that rejects. */
export async function expectRnnErrorAsync(call, patterns = [], what = "the call") {
  let caught;
  try {
    await call();
  } catch (e) {
    caught = e;
  }
  checkRnnError(caught, patterns, what);
  return caught;
}

function checkRnnError(caught, patterns, what) {
  assert.ok(caught !== undefined, `expected ${what} to throw an RnnError; it returned normally`);
  assert.ok(caught instanceof RnnError, `expected ${what} to throw an RnnError, got ${caught?.constructor?.name}: ${caught?.message}`);
  for (const p of patterns) assert.match(caught.message, p, `${what}: message ${JSON.stringify(caught.message)} should match ${p}`);
}

// ── model files (safetensors with rnn-wasm metadata) ──────────────────────────────────────
const enc = new TextEncoder(), dec = new TextDecoder();

/** Split a file into its JSON header and its data bytes. */
export function splitFile(bytes) {
  const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  return { header: JSON.parse(dec.decode(bytes.subarray(8, 8 + n))), data: bytes.slice(8 + n) };
}

/** Join a header and data bytes back into a file (offsets in the header are relative to the data). */
export function joinFile(header, data) {
  const json = enc.encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** A copy of a model file with one metadata entry replaced (a string; objects are JSON-encoded). */
export function withMetadata(bytes, key, value) {
  const { header, data } = splitFile(bytes);
  header.__metadata__[key] = typeof value === "string" ? value : JSON.stringify(value);
  return joinFile(header, data);
}

/** A copy of a model file with element `index` of tensor `name` set to the f32 `value`. */
export function withTensorValue(bytes, name, index, value) {
  const { header, data } = splitFile(bytes);
  const entry = header[name];
  assert.ok(entry, `the file has no tensor ${name}`);
  new DataView(data.buffer, data.byteOffset).setFloat32(entry.data_offsets[0] + 4 * index, value, true);
  return joinFile(header, data);
}
