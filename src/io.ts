// Model files: model.save() → bytes and RNN.load(bytes) → a model that resumes exactly.
//
// The container is safetensors (src/safetensors.ts), so any safetensors reader can list and
// read the tensors; what makes it an rnn-wasm model file is its metadata:
//
//   __metadata__  format      "rnn-wasm"
//                 version     "1"
//                 config      JSON: the resolved RNNConfig (input, sizes, task, activation, loss, seed)
//                 optimizer   JSON: { "type": "adam" | "sgd" | null, "step": <steps taken> }
//                 rng         16 hex digits: the model's PCG32 state (a u64)
//                 vocabulary  JSON of Vocabulary.toJSON()     (when the model has one)
//                 labels      JSON of LabelEncoder.toJSON()   (when the model has one)
//   tensors       U [d,n]  W [d,d]  b [d]  V [k,d]  c [k]                        F32
//                 optimizer.m.U … optimizer.m.c, optimizer.v.U … optimizer.v.c    F32, when type ≠ null
//
// The floats are copied byte for byte, so a loaded model continues exactly where the saved
// one stopped (parameters, Adam moments / momentum buffers, step count, generator state).

import { RnnError } from "./errors.js";
import { RNN, modelHandle } from "./model.js";
import { resolveConfig, describe, type RNNConfig, type ResolvedConfig } from "./options.js";
import { readSafetensors, readTensor, writeSafetensors, asBytes, type SafetensorsFile, type TensorToWrite } from "./safetensors.js";
import { Vocabulary, LabelEncoder } from "./vocab.js";
import { defaultEngine, type Engine } from "./wasm.js";

/** The format version this library writes, and the only one it reads. */
export const MODEL_FORMAT_VERSION = 1;
const FORMAT = "rnn-wasm";
const TENSORS = ["U", "W", "b", "V", "c"] as const;
type TensorName = (typeof TENSORS)[number];

/** Options of `model.save()`. */
export interface SaveOptions {
  /** Keep the optimizer's state (moments, step count) so that training resumes exactly. @default true */
  optimizer?: boolean;
}

/** Options of `RNN.load()`. */
export interface LoadOptions {
  /** The engine to create the model on (default: the embedded module). */
  engine?: Engine;
  /** Accept NaN and ±Infinity in parameters and optimizer state. @default false */
  allowNonFinite?: boolean;
}

function shapes(c: ResolvedConfig): Record<TensorName, number[]> {
  const { inputSize: n, hiddenSize: d, outputSize: k } = c;
  return { U: [d, n], W: [d, d], b: [d], V: [k, d], c: [k] };
}

/** A JSON-able vocabulary or label map attached to the model (the `vocabulary` / `labels` properties). */
function attached(model: RNN, key: "vocabulary" | "labels"): string | undefined {
  const value = (model as unknown as Record<string, unknown>)[key];
  if (value === undefined || value === null) return undefined;
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON !== "function") throw new RnnError(`save: model.${key} has no toJSON() method`);
  return JSON.stringify(toJSON.call(value));
}

/**
 * A vocabulary must fit the ids the model takes, and the labels the classes it gives: a model
 * file that says otherwise would fail later, in encode or predict, far from its cause.
 */
function checkAttachments(cfg: ResolvedConfig, vocabulary: { size: number } | undefined, labels: { size: number } | undefined, what: string): void {
  if (vocabulary !== undefined) {
    if (cfg.input !== "ids") throw new RnnError(`${what}: a vocabulary belongs to a model with input "ids"; this one has input ${JSON.stringify(cfg.input)}`);
    if (vocabulary.size > cfg.inputSize) throw new RnnError(`${what}: the vocabulary has ${vocabulary.size} ids but the model takes ${cfg.inputSize} (inputSize)`);
  }
  if (labels !== undefined && labels.size > cfg.outputSize) {
    throw new RnnError(`${what}: there are ${labels.size} labels but the model has ${cfg.outputSize} outputs (outputSize)`);
  }
}

/** The model as bytes (see the format above). */
export function saveModel(model: RNN, options: SaveOptions = {}): Uint8Array {
  const h = modelHandle(model);   // throws once disposed, before any other complaint
  if (options === null || typeof options !== "object") throw new RnnError(`save: options must be an object, got ${describe(options)}`);
  for (const key of Object.keys(options)) if (key !== "optimizer") throw new RnnError(`save: unknown option "${key}" (known: optimizer)`);
  if (options.optimizer !== undefined && typeof options.optimizer !== "boolean") throw new RnnError(`save: options.optimizer must be true or false, got ${describe(options.optimizer)}`);
  const { exports: ex, ptr } = h;
  const cfg = model.config;
  checkAttachments(cfg, model.vocabulary ?? undefined, model.labels ?? undefined, "save");
  const sh = shapes(cfg);
  const mem = ex.memory.buffer;
  const copy = (base: number, i: number, name: TensorName): Float32Array => {
    const count = sh[name].reduce((a, s) => a * s, 1);
    return new Float32Array(mem, base + 4 * ex.model_offset(ptr, i), count).slice();
  };
  const tensors: [string, TensorToWrite][] = [];
  const params = ex.model_params(ptr) >>> 0;
  TENSORS.forEach((name, i) => tensors.push([name, { shape: sh[name], data: copy(params, i, name) }]));
  const type = options.optimizer === false ? null : h.optimizer ?? null;
  if (type !== null) {
    const m = ex.model_moments(ptr) >>> 0;
    const v = m + 4 * ex.model_nparams(ptr);
    TENSORS.forEach((name, i) => tensors.push([`optimizer.m.${name}`, { shape: sh[name], data: copy(m, i, name) }]));
    TENSORS.forEach((name, i) => tensors.push([`optimizer.v.${name}`, { shape: sh[name], data: copy(v, i, name) }]));
  }
  const rng = new DataView(mem, ex.model_rng(ptr) >>> 0, 8);
  const hex = (x: number) => x.toString(16).padStart(8, "0");
  const metadata: Record<string, string> = {
    format: FORMAT,
    version: String(MODEL_FORMAT_VERSION),
    config: JSON.stringify(cfg),
    optimizer: JSON.stringify({ type, step: type === null ? 0 : ex.model_step(ptr) }),
    rng: hex(rng.getUint32(4, true)) + hex(rng.getUint32(0, true)),
  };
  const vocabulary = attached(model, "vocabulary");
  if (vocabulary !== undefined) metadata.vocabulary = vocabulary;
  const labels = attached(model, "labels");
  if (labels !== undefined) metadata.labels = labels;
  return writeSafetensors(tensors, metadata);
}

/** What a file holds once checked: everything needed to build the model, nothing allocated in wasm yet. */
interface LoadPlan {
  config: ResolvedConfig;
  params: Record<TensorName, Float32Array>;
  optimizer: { type: "adam" | "sgd" | null; step: number; m?: Record<TensorName, Float32Array>; v?: Record<TensorName, Float32Array> };
  rng: [lo: number, hi: number];
  vocabulary?: Vocabulary;
  labels?: LabelEncoder;
}

const WHAT = "RNN.load";

function fail(message: string): never {
  throw new RnnError(`${WHAT}: ${message}`);
}

function parseJson(text: string | undefined, key: string): unknown {
  if (text === undefined) fail(`metadata "${key}" is missing`);
  try {
    return JSON.parse(text);
  } catch {
    return fail(`metadata "${key}" is not valid JSON`);
  }
}

/** Parse and check a model file completely, before any wasm memory is touched. */
function planLoad(input: unknown, options: LoadOptions): LoadPlan {
  if (options === null || typeof options !== "object") fail(`options must be an object, got ${describe(options)}`);
  for (const key of Object.keys(options)) if (key !== "engine" && key !== "allowNonFinite") fail(`unknown option "${key}" (known: engine, allowNonFinite)`);
  const file: SafetensorsFile = readSafetensors(asBytes(input, WHAT), WHAT);
  const meta = file.metadata;
  if (meta.format !== FORMAT) {
    fail(meta.format === undefined
      ? `not an rnn-wasm model file (no "format" in its metadata); for PyTorch or Keras weights use importSafetensors`
      : `not an rnn-wasm model file (format ${describe(meta.format)})`);
  }
  if (meta.version !== String(MODEL_FORMAT_VERSION)) {
    fail(`unsupported format version ${describe(meta.version)} (this library reads version ${MODEL_FORMAT_VERSION}; a newer rnn-wasm may read it)`);
  }
  let config: ResolvedConfig;
  try {
    config = resolveConfig(parseJson(meta.config, "config") as RNNConfig);
  } catch (e) {
    if (e instanceof RnnError && !e.message.startsWith(WHAT)) fail(`metadata "config": ${e.message}`);
    throw e;
  }
  const opt = parseJson(meta.optimizer, "optimizer") as Record<string, unknown> | null;
  if (opt === null || typeof opt !== "object" || Array.isArray(opt)) fail(`metadata "optimizer" must be an object { type, step }`);
  const type = opt.type;
  if (type !== null && type !== "adam" && type !== "sgd") fail(`metadata "optimizer": type must be "adam", "sgd" or null, got ${describe(type)}`);
  const step = opt.step;
  if (typeof step !== "number" || !Number.isInteger(step) || step < 0 || step > 0x7fffffff) fail(`metadata "optimizer": step must be an integer in 0..2^31−1, got ${describe(step)}`);
  if (type === null && step !== 0) fail(`metadata "optimizer": step is ${step} but there is no optimizer state`);
  const rng = meta.rng;
  if (typeof rng !== "string" || !/^[0-9a-f]{16}$/.test(rng)) fail(`metadata "rng" must be 16 lower-case hex digits, got ${describe(rng)}`);

  const expected = new Set<string>(TENSORS);
  if (type !== null) for (const name of TENSORS) { expected.add(`optimizer.m.${name}`); expected.add(`optimizer.v.${name}`); }
  for (const name of file.tensors.keys()) if (!expected.has(name)) fail(`unexpected tensor ${describe(name)} (version ${MODEL_FORMAT_VERSION} holds U, W, b, V, c${type !== null ? " and optimizer.m.*, optimizer.v.*" : ""})`);
  const sh = shapes(config);
  const check = { allowNonFinite: options.allowNonFinite === true, what: WHAT };
  const group = (prefix: string): Record<TensorName, Float32Array> => {
    const out = {} as Record<TensorName, Float32Array>;
    for (const name of TENSORS) {
      const full = prefix + name;
      const t = file.tensors.get(full);
      if (!t) fail(`tensor "${full}" is missing`);
      if (t.dtype !== "F32") fail(`tensor "${full}" must be F32, got ${t.dtype}`);
      const want = sh[name];
      if (t.shape.length !== want.length || t.shape.some((s, i) => s !== want[i])) fail(`tensor "${full}" must have shape [${want.join(", ")}] (from the config), got [${t.shape.join(", ")}]`);
      out[name] = readTensor(file, full, check);
    }
    return out;
  };
  const plan: LoadPlan = {
    config,
    params: group(""),
    optimizer: type === null ? { type, step } : { type, step, m: group("optimizer.m."), v: group("optimizer.v.") },
    rng: [parseInt(rng.slice(8), 16), parseInt(rng.slice(0, 8), 16)],
  };
  if (meta.vocabulary !== undefined) plan.vocabulary = revive(() => Vocabulary.fromJSON(meta.vocabulary), "vocabulary");
  if (meta.labels !== undefined) plan.labels = revive(() => LabelEncoder.fromJSON(meta.labels), "labels");
  checkAttachments(config, plan.vocabulary, plan.labels, WHAT);
  return plan;
}

function revive<T>(make: () => T, key: string): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof RnnError) fail(`metadata "${key}": ${e.message}`);
    fail(`metadata "${key}" could not be read (${e instanceof Error ? e.message : String(e)})`);
  }
}

function build(plan: LoadPlan, engine: Engine): RNN {
  const model = RNN.createSync(plan.config, engine);
  try {
    const h = modelHandle(model);
    const { exports: ex, ptr } = h;
    const mem = ex.memory.buffer;
    const put = (base: number, group: Record<TensorName, Float32Array>) =>
      TENSORS.forEach((name, i) => new Float32Array(mem, base + 4 * ex.model_offset(ptr, i), group[name].length).set(group[name]));
    put(ex.model_params(ptr) >>> 0, plan.params);
    const { optimizer } = plan;
    if (optimizer.m && optimizer.v) {
      const m = ex.model_moments(ptr) >>> 0;
      put(m, optimizer.m);
      put(m + 4 * ex.model_nparams(ptr), optimizer.v);
    }
    ex.model_set_step(ptr, optimizer.step);
    h.optimizer = optimizer.type ?? undefined;
    const rng = new DataView(mem, ex.model_rng(ptr) >>> 0, 8);
    rng.setUint32(0, plan.rng[0], true);
    rng.setUint32(4, plan.rng[1], true);
    ex.model_params_written(ptr);
    const target = model as unknown as Record<string, unknown>;
    if (plan.vocabulary) target.vocabulary = plan.vocabulary;
    if (plan.labels) target.labels = plan.labels;
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/** Load a model saved by `model.save()`. Everything is checked before any memory is allocated. */
export async function loadModel(bytes: Uint8Array | ArrayBuffer, options: LoadOptions = {}): Promise<RNN> {
  const plan = planLoad(bytes, options);
  return build(plan, options.engine ?? (await defaultEngine()));
}

/** {@link loadModel} on an engine from `initSync`. */
export function loadModelSync(bytes: Uint8Array | ArrayBuffer, engine: Engine, options: Omit<LoadOptions, "engine"> = {}): RNN {
  const plan = planLoad(bytes, options);
  return build(plan, engine);
}

// ── browsers: download and IndexedDB ──────────────────────────────────────────────────

/** Offer the model file as a download (browsers). @default filename "model.rnn" */
export function downloadModel(model: RNN, filename = "model.rnn", options: SaveOptions = {}): void {
  const doc = (globalThis as { document?: Document }).document;
  if (!doc || typeof URL.createObjectURL !== "function") throw new RnnError("downloadModel: needs a browser (document and URL.createObjectURL); use saveModelFile in Node or Deno");
  const url = URL.createObjectURL(new Blob([saveModel(model, options) as BlobPart], { type: "application/octet-stream" }));
  const a = doc.createElement("a");
  a.href = url;
  a.download = filename;
  a.style.display = "none";
  doc.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** Where models are kept in IndexedDB. */
export interface IndexedDBOptions {
  /** @default "rnn-wasm" */
  database?: string;
  /** @default "models" */
  store?: string;
}

function openStore(options: IndexedDBOptions, mode: IDBTransactionMode): Promise<IDBObjectStore> {
  const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!idb) return Promise.reject(new RnnError("IndexedDB is not available in this runtime; use saveModelFile in Node or Deno"));
  const database = options.database ?? "rnn-wasm", store = options.store ?? "models";
  const storeOf = (db: IDBDatabase): IDBObjectStore => {
    const tx = db.transaction(store, mode);
    tx.oncomplete = tx.onabort = tx.onerror = () => db.close();
    return tx.objectStore(store);
  };
  return new Promise((resolve, reject) => {
    const req = idb.open(database);
    req.onupgradeneeded = () => req.result.createObjectStore(store);
    req.onerror = () => reject(new RnnError(`IndexedDB: cannot open "${database}" (${req.error?.message ?? "unknown error"})`));
    req.onsuccess = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(store)) {
        // The database exists without our store: reopen one version up to add it.
        const version = db.version + 1;
        db.close();
        const up = idb.open(database, version);
        up.onupgradeneeded = () => up.result.createObjectStore(store);
        up.onerror = () => reject(new RnnError(`IndexedDB: cannot add store "${store}" (${up.error?.message ?? "unknown error"})`));
        up.onsuccess = () => resolve(storeOf(up.result));
        return;
      }
      resolve(storeOf(db));
    };
  });
}

function done<T>(req: IDBRequest<T>, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(new RnnError(`IndexedDB: ${what} failed (${req.error?.message ?? "unknown error"})`));
  });
}

/** Keep the model in IndexedDB under `key` (browsers, workers). */
export async function saveModelToIndexedDB(model: RNN, key: string, options: IndexedDBOptions & SaveOptions = {}): Promise<void> {
  const { database, store, ...save } = options;
  const bytes = saveModel(model, save);
  const os = await openStore({ database, store }, "readwrite");
  await done(os.put(bytes, key), `saving "${key}"`);
}

/** Load a model kept by {@link saveModelToIndexedDB}. */
export async function loadModelFromIndexedDB(key: string, options: IndexedDBOptions & LoadOptions = {}): Promise<RNN> {
  const { database, store, ...load } = options;
  const os = await openStore({ database, store }, "readonly");
  const bytes = await done(os.get(key), `reading "${key}"`);
  if (bytes === undefined) throw new RnnError(`IndexedDB: no model under "${key}"`);
  return loadModel(bytes as Uint8Array, load);
}
