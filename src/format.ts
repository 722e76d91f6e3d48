// Model files: model.save() → bytes and RNN.load(bytes) → a model that resumes exactly.
//
// The container is safetensors (src/safetensors.ts), so any safetensors reader can list and
// read the tensors; what makes it an rnn-wasm model file is its metadata:
//
//   __metadata__  format      "rnn-wasm"
//                 version     "1"
//                 config      JSON: the resolved RNNConfig (input, sizes, task, activation, loss, seed;
//                             layers, bidirectional, dropout only when not 1, false, 0; embeddingSize when given)
//                 optimizer   JSON: { "type": "adam" | "adamw" | "sgd" | null, "step": <steps taken> }
//                 rng         16 hex digits: the model's PCG32 state (a u64)
//                 vocabulary  JSON of Vocabulary.toJSON()     (when the model has one)
//                 labels      JSON of LabelEncoder.toJSON()   (when the model has one)
//   tensors       U [d,n]  W [d,d]  b [d]  V [k,d]  c [k]                        F32
//                 (the config's tensor table, in its order: E [n,e] first with an embedding, then
//                 U, W, b of every layer and direction, U_l1 [d,D·d] … W_l1_reverse …, V [k,D·d], c)
//                 optimizer.m.U … optimizer.m.c, optimizer.v.U … optimizer.v.c    F32, when type ≠ null
//
// The floats are copied byte for byte, so a loaded model continues exactly where the saved
// one stopped (parameters, Adam moments / momentum buffers, step count, generator state).

import { RnnError } from "./errors.js";
import { resolveConfig, type RNNConfig, type ResolvedConfig, type OptimizerType } from "./options.js";
import { describe, checkOptionKeys, flag } from "./check.js";
import { readSafetensors, readTensor, writeSafetensors, asBytes, type SafetensorsFile, type TensorToWrite } from "./safetensors.js";
import { Vocabulary, LabelEncoder } from "./vocab.js";
import { Core, tensorTable, tensorNames, type Tensors } from "./core.js";
import type { Engine } from "./wasm.js";

/** The format version this library writes, and the only one it reads. */
export const MODEL_FORMAT_VERSION = 1;
const FORMAT = "rnn-wasm";

/** The largest optimizer step count a file may hold (the module's counter saturates there). */
const MAX_STEP = 2 ** 31 - 1;

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

/** What a model carries besides its tensors: its vocabulary and labels (the RNN's properties). */
export interface Attachments {
  vocabulary?: Vocabulary;
  labels?: LabelEncoder;
}

/** A JSON-able vocabulary or label map attached to the model (the `vocabulary` / `labels` properties). */
function attached(model: Attachments, key: "vocabulary" | "labels"): string | undefined {
  const value = (model as Record<string, unknown>)[key];
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
  if (labels !== undefined && labels.size !== cfg.outputSize) {
    throw new RnnError(`${what}: there are ${labels.size} labels but the model has ${cfg.outputSize} outputs (outputSize); labels name every output`);
  }
}

/**
 * The config as a file keeps it: the layer, pooling and dropout fields only when they differ
 * from a one-layer, forward-only model's, so such a model's file is as it was before they existed.
 */
export function fileConfig(cfg: ResolvedConfig): Partial<ResolvedConfig> {
  const { layers, bidirectional, dropout, pooling, inputDropout, outputDropout, ...rest } = cfg;
  return {
    ...rest, ...(layers !== 1 ? { layers } : {}), ...(bidirectional ? { bidirectional } : {}), ...(dropout !== 0 ? { dropout } : {}),
    ...(pooling !== "last" ? { pooling } : {}), ...(inputDropout !== 0 ? { inputDropout } : {}), ...(outputDropout !== 0 ? { outputDropout } : {}),
  };
}

/** A model's bytes (see the format above). */
export function encodeModel(core: Core, model: Attachments, options: SaveOptions = {}): Uint8Array {
  void core.ex;   // throws once disposed, before any other complaint
  checkOptionKeys("save options", options, ["optimizer"]);
  const withOptimizer = flag("save options.optimizer", options.optimizer, true);
  const cfg = core.config;
  checkAttachments(cfg, model.vocabulary ?? undefined, model.labels ?? undefined, "save");
  const tensors: [string, TensorToWrite][] = [];
  const group = (prefix: string, values: Tensors) => tensorTable(cfg).forEach((t) => tensors.push([prefix + t.name, { shape: [...t.shape], data: values[t.name] }]));
  group("", core.read("params"));
  const type = withOptimizer ? core.optimizer ?? null : null;
  if (type !== null) {
    group("optimizer.m.", core.read("m"));
    group("optimizer.v.", core.read("v"));
  }
  const [lo, hi] = core.rng;
  const hex = (x: number) => x.toString(16).padStart(8, "0");
  const metadata: Record<string, string> = {
    format: FORMAT,
    version: String(MODEL_FORMAT_VERSION),
    config: JSON.stringify(fileConfig(cfg)),
    optimizer: JSON.stringify({ type, step: type === null ? 0 : core.step }),
    rng: hex(hi) + hex(lo),
  };
  const vocabulary = attached(model, "vocabulary");
  if (vocabulary !== undefined) metadata.vocabulary = vocabulary;
  const labels = attached(model, "labels");
  if (labels !== undefined) metadata.labels = labels;
  return writeSafetensors(tensors, metadata);
}

/** What a file holds once checked: everything needed to build the model, nothing allocated in wasm yet. */
export interface LoadPlan {
  config: ResolvedConfig;
  params: Tensors;
  optimizer: { type: OptimizerType | null; step: number; m?: Tensors; v?: Tensors };
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
export function decodeModel(input: unknown, options: LoadOptions): LoadPlan {
  checkOptionKeys(`${WHAT} options`, options, ["engine", "allowNonFinite"]);
  const allowNonFinite = flag(`${WHAT} options.allowNonFinite`, options.allowNonFinite, false);
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
  const type = opt.type as OptimizerType | null;
  // "adamw" came after version 1 was fixed: the tensors are Adam's, so the version stays 1
  // (an older reader refuses such a file here, by this message).
  if (type !== null && type !== "adam" && type !== "adamw" && type !== "sgd") fail(`metadata "optimizer": type must be "adam", "adamw", "sgd" or null, got ${describe(type)}`);
  const step = opt.step;
  if (typeof step !== "number" || !Number.isInteger(step) || step < 0 || step > MAX_STEP) fail(`metadata "optimizer": step must be an integer in 0..2^31−1, got ${describe(step)}`);
  if (type === null && step !== 0) fail(`metadata "optimizer": step is ${step} but there is no optimizer state`);
  const rng = meta.rng;
  if (typeof rng !== "string" || !/^[0-9a-f]{16}$/.test(rng)) fail(`metadata "rng" must be 16 lower-case hex digits, got ${describe(rng)}`);

  const names = tensorNames(config);
  const expected = new Set<string>(names);
  if (type !== null) for (const name of names) { expected.add(`optimizer.m.${name}`); expected.add(`optimizer.v.${name}`); }
  for (const name of file.tensors.keys()) if (!expected.has(name)) fail(`unexpected tensor ${describe(name)} (this config's model holds ${names.join(", ")}${type !== null ? " and optimizer.m.*, optimizer.v.*" : ""})`);
  const check = { allowNonFinite, what: WHAT };
  const group = (prefix: string): Tensors => {
    const out = {} as Tensors;
    for (const spec of tensorTable(config)) {
      const name = spec.name;
      const full = prefix + name;
      const t = file.tensors.get(full);
      if (!t) fail(`tensor "${full}" is missing`);
      if (t.dtype !== "F32") fail(`tensor "${full}" must be F32, got ${t.dtype}`);
      const want = spec.shape;
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
  // Adam's second moment is a running mean of squares: a negative entry would turn the next
  // step's √v into NaN. (The module never writes one; a file that has one was edited.)
  if (type === "adam" || type === "adamw") {
    for (const name of names) {
      const i = plan.optimizer.v![name].findIndex((x) => x < 0);
      if (i >= 0) fail(`tensor "optimizer.v.${name}" element ${i} is ${plan.optimizer.v![name][i]}; Adam's second moments are never negative`);
    }
  }
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

/** A model in `engine` from a checked plan: parameters, optimizer state, step, generator. */
export function restoreModel(plan: LoadPlan, engine: Engine): Core {
  const core = Core.create(engine, plan.config);
  try {
    core.write("params", plan.params);
    const { optimizer } = plan;
    if (optimizer.m && optimizer.v) {
      core.write("m", optimizer.m);
      core.write("v", optimizer.v);
    }
    core.step = optimizer.step;
    core.optimizer = optimizer.type ?? undefined;
    core.rng = plan.rng;
  } catch (e) {
    core.dispose();
    throw e;
  }
  return core;
}
