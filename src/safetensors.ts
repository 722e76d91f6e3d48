// safetensors (https://github.com/huggingface/safetensors): the reader and writer of the
// container. Model files (format.ts) and PyTorch/Keras interop (interop.ts) build on it.
//
// The format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
//   { "<name>": { "dtype": "F32", "shape": [d, n], "data_offsets": [begin, end] }, …,
//     "__metadata__": { "<key>": "<string>" } }
// (optionally padded with spaces), then the byte buffer; offsets are relative to the buffer,
// tensors are row-major little-endian and cover the buffer exactly, without gaps or overlap.
//
// The reader trusts nothing: every length and offset is checked against the bytes actually
// present before anything is allocated, so a hostile file costs at most a copy of itself.

import { RnnError } from "./errors.js";
import { describe } from "./check.js";

const DTYPE_BYTES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2,
  // recognised so that the error can say "not a float type" rather than "unknown"
  I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1, F8_E4M3: 1, F8_E5M2: 1,
};
const FLOAT_DTYPES = new Set(["F32", "F64", "F16", "BF16"]);

/** The reference implementation's limit on the JSON header. */
const MAX_HEADER_BYTES = 100_000_000;

/** One tensor of a parsed file: where its bytes are, not a copy of them. */
export interface TensorEntry {
  readonly dtype: string;
  readonly shape: readonly number[];
  /** Absolute byte offset of the tensor in the file, and its length in bytes. */
  readonly byteOffset: number;
  readonly byteLength: number;
}

/** A parsed safetensors file: its tensors (in file order) and string metadata. */
export interface SafetensorsFile {
  readonly tensors: ReadonlyMap<string, TensorEntry>;
  readonly metadata: Readonly<Record<string, string>>;
  readonly bytes: Uint8Array;
}

/** A tensor to write: float32 values, row-major, of the given shape. */
export interface TensorToWrite {
  shape: readonly number[];
  data: Float32Array;
}

/** Options shared by every loader. */
export interface LoadCheckOptions {
  /** Accept NaN and ±Infinity in weights (and optimizer state). @default false */
  allowNonFinite?: boolean;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Accept Uint8Array / Buffer / any ArrayBufferView / ArrayBuffer; anything else is an error. */
export function asBytes(value: unknown, what: string): Uint8Array {
  // (a Node Buffer is a Uint8Array whose slice() is a view: re-wrap it as a plain Uint8Array)
  if (value instanceof Uint8Array && value.constructor === Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new RnnError(`${what}: expected a Uint8Array or ArrayBuffer, got ${describe(value)}`);
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Parse and validate a safetensors file (header, dtypes, shapes, offsets). Tensor data is
 * not copied; read it with {@link readTensor}. Throws RnnError on anything malformed.
 */
export function readSafetensors(input: Uint8Array | ArrayBuffer, what = "safetensors"): SafetensorsFile {
  const bytes = asBytes(input, what);
  if (bytes.length < 8) throw new RnnError(`${what}: truncated file (${bytes.length} bytes; the 8-byte header length is missing)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = dv.getUint32(0, true), hi = dv.getUint32(4, true);
  const n = hi * 2 ** 32 + lo;
  if (hi !== 0 || n > MAX_HEADER_BYTES) throw new RnnError(`${what}: header length ${hi ? "≥ 2^32" : n} is beyond the limit of ${MAX_HEADER_BYTES} bytes`);
  if (n > bytes.length - 8) throw new RnnError(`${what}: header length ${n} is beyond the end of the file (${bytes.length - 8} bytes follow it); the file is truncated or not safetensors`);
  if (n < 2 || bytes[8] !== 0x7b /* { */) throw new RnnError(`${what}: the header must be a JSON object starting with "{" (not a safetensors file?)`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw new RnnError(`${what}: the header is not valid UTF-8`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new RnnError(`${what}: the header is not valid JSON (${e instanceof Error ? e.message : "parse error"})`);
  }
  if (!isPlainObject(header)) throw new RnnError(`${what}: the header must be a JSON object`);

  const base = 8 + n;
  const bufferLength = bytes.length - base;
  const metadata: Record<string, string> = Object.create(null);
  const entries: [string, TensorEntry, number, number][] = [];
  for (const name of Object.keys(header)) {
    const info = header[name];
    if (name === "__metadata__") {
      if (!isPlainObject(info)) throw new RnnError(`${what}: __metadata__ must be an object of strings`);
      for (const key of Object.keys(info)) {
        if (typeof info[key] !== "string") throw new RnnError(`${what}: __metadata__.${shortName(key)} must be a string, got ${describe(info[key])}`);
        metadata[key] = info[key] as string;
      }
      continue;
    }
    const where = `${what}: tensor ${JSON.stringify(shortName(name))}`;
    if (!isPlainObject(info)) throw new RnnError(`${where}: expected { dtype, shape, data_offsets }, got ${describe(info)}`);
    const { dtype, shape, data_offsets: offsets } = info;
    if (typeof dtype !== "string" || !(dtype in DTYPE_BYTES)) throw new RnnError(`${where}: unknown dtype ${describe(dtype)}`);
    if (!Array.isArray(shape)) throw new RnnError(`${where}: shape must be an array of sizes, got ${describe(shape)}`);
    let count = 1;
    for (const s of shape) {
      if (typeof s !== "number" || !Number.isSafeInteger(s) || s < 0) throw new RnnError(`${where}: shape entries must be integers ≥ 0, got ${describe(s)}`);
      count *= s;
      if (count > Number.MAX_SAFE_INTEGER) throw new RnnError(`${where}: shape [${shape.slice(0, 8).join(", ")}${shape.length > 8 ? ", …" : ""}] is too large`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2) throw new RnnError(`${where}: data_offsets must be [begin, end], got ${describe(offsets)}`);
    const [b, e] = offsets as unknown[];
    if (typeof b !== "number" || typeof e !== "number" || !Number.isSafeInteger(b) || !Number.isSafeInteger(e) || b < 0 || e < b) {
      throw new RnnError(`${where}: data_offsets must be integers with 0 ≤ begin ≤ end, got [${describe(b)}, ${describe(e)}]`);
    }
    if (e > bufferLength) throw new RnnError(`${where}: data_offsets [${b}, ${e}] run past the end of the data (${bufferLength} bytes); the file is truncated or corrupt`);
    const size = count * DTYPE_BYTES[dtype];
    if (size !== e - b) throw new RnnError(`${where}: ${dtype} shape [${shape.join(", ")}] needs ${size} bytes but data_offsets [${b}, ${e}] hold ${e - b}`);
    entries.push([name, { dtype, shape: shape.slice() as number[], byteOffset: base + b, byteLength: e - b }, b, e]);
  }
  // Tensors tile the buffer: sorted by offset, each starts where the previous ended.
  const sorted = entries.slice().sort((x, y) => x[2] - y[2] || x[3] - y[3]);
  let end = 0;
  for (const [name, , b, e] of sorted) {
    if (b < end) throw new RnnError(`${what}: tensor ${JSON.stringify(shortName(name))} overlaps the previous tensor (data_offsets begin ${b} < ${end})`);
    if (b > end) throw new RnnError(`${what}: a gap of ${b - end} bytes before tensor ${JSON.stringify(shortName(name))} (data_offsets must tile the data)`);
    end = e;
  }
  if (end !== bufferLength) throw new RnnError(`${what}: ${bufferLength - end} bytes after the last tensor are not described by the header`);
  return { tensors: new Map(entries.map(([name, entry]) => [name, entry])), metadata, bytes };
}

export function shortName(name: string): string {
  return name.length > 60 ? name.slice(0, 60) + "…" : name;
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/**
 * A tensor's values as a new Float32Array (F64 rounded to nearest, F16 and BF16 exact).
 * Throws RnnError for other dtypes and, unless allowed, for NaN or ±Infinity.
 */
export function readTensor(file: SafetensorsFile, name: string, options: LoadCheckOptions & { what?: string } = {}): Float32Array {
  const entry = file.tensors.get(name);
  const where = `${options.what ?? "safetensors"}: tensor ${JSON.stringify(shortName(name))}`;
  if (!entry) throw new RnnError(`${where} is missing`);
  if (!FLOAT_DTYPES.has(entry.dtype)) throw new RnnError(`${where}: dtype ${entry.dtype} is not supported (expected F32, F64, F16 or BF16)`);
  const { bytes } = file;
  const count = entry.byteLength / DTYPE_BYTES[entry.dtype];
  let out: Float32Array;
  if (entry.dtype === "F32" && LITTLE_ENDIAN) {
    const copy = new Uint8Array(entry.byteLength);   // a fresh, aligned buffer
    copy.set(bytes.subarray(entry.byteOffset, entry.byteOffset + entry.byteLength));
    out = new Float32Array(copy.buffer);
  } else {
    out = new Float32Array(count);
    const dv = new DataView(bytes.buffer, bytes.byteOffset + entry.byteOffset, entry.byteLength);
    if (entry.dtype === "F32") for (let i = 0; i < count; i++) out[i] = dv.getFloat32(4 * i, true);
    else if (entry.dtype === "F64") for (let i = 0; i < count; i++) out[i] = dv.getFloat64(8 * i, true);
    else if (entry.dtype === "F16") for (let i = 0; i < count; i++) out[i] = f16ToF32(dv.getUint16(2 * i, true));
    else for (let i = 0; i < count; i++) out[i] = new Float32Array(new Uint32Array([dv.getUint16(2 * i, true) << 16]).buffer)[0];
  }
  if (!options.allowNonFinite) {
    for (let i = 0; i < out.length; i++) {
      if (!Number.isFinite(out[i])) {
        throw new RnnError(`${where}: element ${i} is ${out[i]} (pass { allowNonFinite: true } to load non-finite weights)`);
      }
    }
  }
  return out;
}

/** Serialise float32 tensors (in the given order) and string metadata as a safetensors file. */
export function writeSafetensors(tensors: Iterable<[string, TensorToWrite]>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== "string") throw new RnnError(`metadata.${key}: expected a string, got ${describe(value)}`);
    }
    header.__metadata__ = metadata;
  }
  const list = [...tensors];
  let offset = 0;
  for (const [name, t] of list) {
    if (name === "__metadata__" || Object.prototype.hasOwnProperty.call(header, name)) throw new RnnError(`writeSafetensors: duplicate or reserved tensor name ${JSON.stringify(name)}`);
    const count = t.shape.reduce((a, s) => a * s, 1);
    if (!(t.data instanceof Float32Array) || t.data.length !== count) throw new RnnError(`writeSafetensors: tensor ${JSON.stringify(name)} must be a Float32Array of ${count} values (shape [${t.shape.join(", ")}])`);
    header[name] = { dtype: "F32", shape: [...t.shape], data_offsets: [offset, offset + 4 * count] };
    offset += 4 * count;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;   // keep the data 8-byte aligned, as the reference writer does
  const out = new Uint8Array(8 + padded + offset);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, padded, true);
  dv.setUint32(4, 0, true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let p = 8 + padded;
  for (const [, t] of list) {
    if (LITTLE_ENDIAN) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), p);
    else for (let i = 0; i < t.data.length; i++) dv.setFloat32(p + 4 * i, t.data[i], true);
    p += t.data.byteLength;
  }
  return out;
}

// ── models ────────────────────────────────────────────────────────────────────────────

