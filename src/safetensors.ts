// safetensors (https://github.com/huggingface/safetensors): the reader and writer, and the
// import / export of a model's weights under PyTorch (nn.RNN + nn.Linear) or Keras
// (SimpleRNN + Dense) names.
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
import { RNN, modelHandle, type Parameters } from "./model.js";
import { resolveConfig, describe, type RNNConfig, type ResolvedConfig } from "./options.js";
import { defaultEngine, type Engine } from "./wasm.js";

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

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

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

function shortName(name: string): string {
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

/** Which framework's names and orientation the weights use. */
export type WeightLayout = "pytorch" | "keras";

/** Options of {@link exportSafetensors}. */
export interface ExportOptions {
  /**
   * `pytorch` (default): `{prefix}weight_ih_l0` U (d×n), `weight_hh_l0` W, `bias_ih_l0` b,
   * `bias_hh_l0` zeros, `{headPrefix}weight` V (k×d), `bias` c — load_state_dict-ready.
   * `keras`: `{prefix}kernel` Uᵀ (n×d), `recurrent_kernel` Wᵀ, `bias` b,
   * `{headPrefix}kernel` Vᵀ (d×k), `bias` c.
   */
  layout?: WeightLayout;
  /** Prefix of the recurrent layer's tensors. @default "rnn." (keras: "simple_rnn.") */
  prefix?: string;
  /** Prefix of the output layer's tensors. @default "fc." (keras: "dense.") */
  headPrefix?: string;
}

/** Options of {@link importSafetensors}. */
export interface ImportOptions extends ExportOptions, LoadCheckOptions {
  /**
   * What the file cannot say: input kind, task, activation, loss, seed. Sizes come from the
   * tensors' shapes (given sizes must agree). Defaults: the config an rnn-wasm export
   * recorded in its metadata, then the usual defaults.
   */
  config?: Partial<RNNConfig>;
  /** The engine to create the model on (default: the embedded module). */
  engine?: Engine;
}

const transpose = (a: Float32Array, rows: number, cols: number): Float32Array => {
  const t = new Float32Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
  return t;
};

function prefixes(layout: WeightLayout, options: ExportOptions): [string, string] {
  const prefix = options.prefix ?? (layout === "keras" ? "simple_rnn." : "rnn.");
  const head = options.headPrefix ?? (layout === "keras" ? "dense." : "fc.");
  if (typeof prefix !== "string") throw new RnnError(`prefix: expected a string, got ${describe(prefix)}`);
  if (typeof head !== "string") throw new RnnError(`headPrefix: expected a string, got ${describe(head)}`);
  return [prefix, head];
}

function layoutOf(value: unknown): WeightLayout {
  if (value === undefined) return "pytorch";
  if (value !== "pytorch" && value !== "keras") throw new RnnError(`layout: expected "pytorch" or "keras", got ${describe(value)}`);
  return value;
}

/**
 * The model's weights as a safetensors file under PyTorch (default) or Keras names. PyTorch:
 * `torch.nn.RNN(n, d, nonlinearity=…, batch_first=True)` and `nn.Linear(d, k)` in modules
 * named `rnn` and `fc` take it with `load_state_dict` (b goes to bias_ih, bias_hh is zero).
 * The metadata records the rnn-wasm config, so importing the file back restores it.
 */
export function exportSafetensors(model: RNN, options: ExportOptions = {}): Uint8Array {
  if (options === null || typeof options !== "object") throw new RnnError(`exportSafetensors: options must be an object, got ${describe(options)}`);
  for (const key of Object.keys(options)) if (!["layout", "prefix", "headPrefix"].includes(key)) throw new RnnError(`exportSafetensors: unknown option "${key}" (known: layout, prefix, headPrefix)`);
  const layout = layoutOf(options.layout);
  const [pre, head] = prefixes(layout, options);
  const cfg = model.config;
  const { inputSize: n, hiddenSize: d, outputSize: k } = cfg;
  const p = model.parameters();
  const tensors: [string, TensorToWrite][] = layout === "pytorch"
    ? [
      [`${pre}weight_ih_l0`, { shape: [d, n], data: p.U }],
      [`${pre}weight_hh_l0`, { shape: [d, d], data: p.W }],
      [`${pre}bias_ih_l0`, { shape: [d], data: p.b }],
      [`${pre}bias_hh_l0`, { shape: [d], data: new Float32Array(d) }],
      [`${head}weight`, { shape: [k, d], data: p.V }],
      [`${head}bias`, { shape: [k], data: p.c }],
    ]
    : [
      [`${pre}kernel`, { shape: [n, d], data: transpose(p.U, d, n) }],
      [`${pre}recurrent_kernel`, { shape: [d, d], data: transpose(p.W, d, d) }],
      [`${pre}bias`, { shape: [d], data: p.b }],
      [`${head}kernel`, { shape: [d, k], data: transpose(p.V, k, d) }],
      [`${head}bias`, { shape: [k], data: p.c }],
    ];
  return writeSafetensors(tensors, {
    producer: "rnn-wasm",
    layout,
    nonlinearity: cfg.hiddenActivation,
    "rnn-wasm.config": JSON.stringify(cfg),
  });
}

/** Import weights from safetensors bytes (PyTorch or Keras names) into a new model. */
export async function importSafetensors(bytes: Uint8Array | ArrayBuffer, options: ImportOptions = {}): Promise<RNN> {
  const plan = planImport(bytes, options);
  return finishImport(plan, options.engine ?? (await defaultEngine()));
}

/** {@link importSafetensors} on an engine from `initSync`. */
export function importSafetensorsSync(bytes: Uint8Array | ArrayBuffer, engine: Engine, options: ImportOptions = {}): RNN {
  return finishImport(planImport(bytes, options), engine);
}

interface ImportPlan {
  config: ResolvedConfig;
  params: Parameters;
}

const IMPORT_KEYS = new Set(["layout", "prefix", "headPrefix", "config", "engine", "allowNonFinite"]);

function planImport(input: Uint8Array | ArrayBuffer, options: ImportOptions): ImportPlan {
  if (options === null || typeof options !== "object") throw new RnnError(`importSafetensors: options must be an object, got ${describe(options)}`);
  for (const key of Object.keys(options)) if (!IMPORT_KEYS.has(key)) throw new RnnError(`importSafetensors: unknown option "${key}"`);
  const layout = layoutOf(options.layout);
  const [pre, head] = prefixes(layout, options);
  const what = "importSafetensors";
  const file = readSafetensors(input, what);
  const check = { allowNonFinite: options.allowNonFinite === true, what };

  const shape = (name: string, rank: number): number[] => {
    const t = file.tensors.get(name);
    if (!t) {
      const near = [...file.tensors.keys()].slice(0, 8).map((s) => JSON.stringify(shortName(s))).join(", ");
      throw new RnnError(`${what}: tensor "${shortName(name)}" is missing (the file has ${near || "no tensors"}${file.tensors.size > 8 ? ", …" : ""}; set prefix / headPrefix / layout to match)`);
    }
    if (t.shape.length !== rank) throw new RnnError(`${what}: tensor "${shortName(name)}" must have ${rank} dimension${rank > 1 ? "s" : ""}, got shape [${t.shape.join(", ")}]`);
    return t.shape as number[];
  };
  const expect = (name: string, got: readonly number[], want: number[]) => {
    if (got.length !== want.length || got.some((s, i) => s !== want[i])) {
      throw new RnnError(`${what}: tensor "${shortName(name)}" must have shape [${want.join(", ")}], got [${got.join(", ")}]`);
    }
  };
  const optionalVector = (name: string, size: number): Float32Array => {
    if (!file.tensors.has(name)) return new Float32Array(size);
    expect(name, file.tensors.get(name)!.shape, [size]);
    return readTensor(file, name, check);
  };

  // Sizes from the shapes first (each shape is already backed by the file's bytes), checked
  // as a config before anything is allocated: a zero-sized layer cannot smuggle in a huge one.
  let n: number, d: number, k: number;
  if (layout === "pytorch") {
    for (const name of file.tensors.keys()) {
      if (name.startsWith(pre) && /^(weight|bias)_(ih|hh)_l(\d+)(_reverse)?$/.test(name.slice(pre.length))) {
        const m = /_l(\d+)(_reverse)?$/.exec(name)!;
        if (m[1] !== "0") throw new RnnError(`${what}: tensor "${shortName(name)}": only one recurrent layer is supported (num_layers = 1)`);
        if (m[2]) throw new RnnError(`${what}: tensor "${shortName(name)}": bidirectional RNNs are not supported`);
      }
    }
    [d, n] = shape(`${pre}weight_ih_l0`, 2);
    expect(`${pre}weight_hh_l0`, shape(`${pre}weight_hh_l0`, 2), [d, d]);
    [k] = shape(`${head}weight`, 2);
    expect(`${head}weight`, file.tensors.get(`${head}weight`)!.shape, [k, d]);
  } else {
    [n, d] = shape(`${pre}kernel`, 2);
    expect(`${pre}recurrent_kernel`, shape(`${pre}recurrent_kernel`, 2), [d, d]);
    const dk = shape(`${head}kernel`, 2);
    k = dk[1];
    expect(`${head}kernel`, dk, [d, k]);
  }
  for (const [name, size] of [["input", n], ["hidden", d], ["output", k]] as const) {
    if (size < 1) throw new RnnError(`${what}: the tensors give an ${name} size of 0`);
  }

  // The config: the user's options, then what an rnn-wasm export recorded, then defaults.
  let recorded: Record<string, unknown> = {};
  const note = file.metadata["rnn-wasm.config"];
  if (note !== undefined) {
    try {
      const parsed = JSON.parse(note);
      if (isPlainObject(parsed)) recorded = parsed;
    } catch { /* foreign or damaged metadata: ignore it, the tensors are what count */ }
  }
  const user = options.config ?? {};
  if (user === null || typeof user !== "object") throw new RnnError(`importSafetensors: config must be an object, got ${describe(user)}`);
  const sizes = { inputSize: n, hiddenSize: d, outputSize: k };
  for (const key of ["inputSize", "hiddenSize", "outputSize"] as const) {
    if (user[key] !== undefined && user[key] !== sizes[key]) throw new RnnError(`importSafetensors: config.${key} is ${describe(user[key])} but the tensors have ${sizes[key]}`);
  }
  const kinds = ["input", "task", "hiddenActivation", "loss", "seed"];
  let fromFile: Record<string, unknown> = Object.fromEntries(kinds.filter((key) => recorded[key] !== undefined).map((key) => [key, recorded[key]]));
  try {
    resolveConfig({ ...fromFile, ...sizes } as unknown as RNNConfig);
  } catch {
    fromFile = {};   // a damaged note is ignored as a whole
  }
  const config = resolveConfig({ ...fromFile, ...withoutUndefined(user as Record<string, unknown>), ...sizes } as unknown as RNNConfig);
  let U: Float32Array, W: Float32Array, b: Float32Array, V: Float32Array, c: Float32Array;
  if (layout === "pytorch") {
    U = readTensor(file, `${pre}weight_ih_l0`, check);
    W = readTensor(file, `${pre}weight_hh_l0`, check);
    b = optionalVector(`${pre}bias_ih_l0`, d);
    const bhh = optionalVector(`${pre}bias_hh_l0`, d);
    for (let i = 0; i < d; i++) b[i] += bhh[i];   // f32 sum, as PyTorch adds them
    V = readTensor(file, `${head}weight`, check);
    c = optionalVector(`${head}bias`, k);
  } else {
    U = transpose(readTensor(file, `${pre}kernel`, check), n, d);
    W = transpose(readTensor(file, `${pre}recurrent_kernel`, check), d, d);
    b = optionalVector(`${pre}bias`, d);
    V = transpose(readTensor(file, `${head}kernel`, check), d, k);
    c = optionalVector(`${head}bias`, k);
  }
  if (!options.allowNonFinite) {
    for (let i = 0; i < d; i++) if (!Number.isFinite(b[i])) throw new RnnError(`${what}: bias element ${i} is ${b[i]} after adding bias_ih and bias_hh`);
  }
  return { config, params: { U, W, b, V, c } };
}

function withoutUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

function finishImport(plan: ImportPlan, engine: Engine): RNN {
  const model = RNN.createSync(plan.config, engine);
  try {
    writeParams(model, plan.params);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/** Write already-validated parameters straight into the model's memory (non-finite allowed). */
export function writeParams(model: RNN, params: Parameters): void {
  const { exports: ex, ptr } = modelHandle(model);
  const base = ex.model_params(ptr) >>> 0;
  (["U", "W", "b", "V", "c"] as const).forEach((name, i) => {
    new Float32Array(ex.memory.buffer, base + 4 * ex.model_offset(ptr, i), params[name].length).set(params[name]);
  });
  ex.model_params_written(ptr);   // the module rebuilds its packed copies of the weights
}
