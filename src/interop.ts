// Import and export of a model's weights as safetensors under PyTorch (nn.Embedding + nn.RNN +
// nn.Linear: any number of layers, bidirectional or not) or Keras (Embedding + SimpleRNN +
// Dense: one layer) names. Only the package entry imports this file.

import { RnnError } from "./errors.js";
import { RNN } from "./model.js";
import type { InferenceRNN, Parameters } from "./inference.js";
import { resolveConfig, directions, MAX_LAYERS, type RNNConfig, type ResolvedConfig } from "./options.js";
import { describe, checkOptionKeys, flag } from "./check.js";
import { Core, tensorName, tensorTable, type Tensors } from "./core.js";
import { fileConfig } from "./format.js";
import { checkEngine, type Engine } from "./wasm.js";
import { embeddedEngine } from "./embedded.js";
import { readSafetensors, readTensor, writeSafetensors, shortName, isPlainObject, type TensorToWrite, type LoadCheckOptions } from "./safetensors.js";

/** Which framework's names and orientation the weights use. */
export type WeightLayout = "pytorch" | "keras";

/** Options of {@link exportSafetensors}. */
export interface ExportOptions {
  /**
   * `pytorch` (default): `{prefix}weight_ih_l0` U (d×n), `weight_hh_l0` W, `bias_ih_l0` b,
   * `bias_hh_l0` zeros, `{headPrefix}weight` V (k×d), `bias` c — load_state_dict-ready; each
   * further layer ℓ and the reverse direction with PyTorch's suffixes (`weight_ih_l1_reverse` …),
   * and `{embeddingPrefix}weight` E (n×e) when the model has an embedding.
   * `keras`: `{prefix}kernel` Uᵀ (n×d), `recurrent_kernel` Wᵀ, `bias` b,
   * `{headPrefix}kernel` Vᵀ (d×k), `bias` c, and `{embeddingPrefix}embeddings` E (n×e); one
   * layer, one direction only (Keras does not document the weight names of stacked or
   * Bidirectional SimpleRNN layers).
   */
  layout?: WeightLayout;
  /** Prefix of the recurrent layers' tensors. @default "rnn." (keras: "simple_rnn.") */
  prefix?: string;
  /** Prefix of the output layer's tensors. @default "fc." (keras: "dense.") */
  headPrefix?: string;
  /** Prefix of the embedding's tensor (models with `embeddingSize`). @default "embedding." */
  embeddingPrefix?: string;
}

/** Options of {@link importSafetensors}. */
export interface ImportOptions extends ExportOptions, LoadCheckOptions {
  /**
   * What the file cannot say: input kind, task, activation, loss, seed, dropout. Sizes, layers,
   * directions and the embedding come from the tensors (given values must agree). Defaults:
   * the config an rnn-wasm export recorded in its metadata, then the usual defaults.
   */
  config?: Partial<RNNConfig>;
  /** The engine to create the model on (default: the embedded module). */
  engine?: Engine;
}

const OPTION_KEYS = ["layout", "prefix", "headPrefix", "embeddingPrefix"];

const transpose = (a: Float32Array, rows: number, cols: number): Float32Array => {
  const t = new Float32Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
  return t;
};

interface Prefixes { pre: string; head: string; emb: string }

function prefixes(layout: WeightLayout, options: ExportOptions): Prefixes {
  const pre = options.prefix ?? (layout === "keras" ? "simple_rnn." : "rnn.");
  const head = options.headPrefix ?? (layout === "keras" ? "dense." : "fc.");
  const emb = options.embeddingPrefix ?? "embedding.";
  if (typeof pre !== "string") throw new RnnError(`prefix: expected a string, got ${describe(pre)}`);
  if (typeof head !== "string") throw new RnnError(`headPrefix: expected a string, got ${describe(head)}`);
  if (typeof emb !== "string") throw new RnnError(`embeddingPrefix: expected a string, got ${describe(emb)}`);
  return { pre, head, emb };
}

function layoutOf(value: unknown): WeightLayout {
  if (value === undefined) return "pytorch";
  if (value !== "pytorch" && value !== "keras") throw new RnnError(`layout: expected "pytorch" or "keras", got ${describe(value)}`);
  return value;
}

/** PyTorch's suffix of layer ℓ, direction reverse: "_l0", "_l1_reverse"… */
const torchSuffix = (layer: number, reverse: boolean): string => `_l${layer}${reverse ? "_reverse" : ""}`;

/** The embedding's tensor name in a layout. */
const embeddingKey = (layout: WeightLayout, emb: string): string => `${emb}${layout === "pytorch" ? "weight" : "embeddings"}`;

/** Why the keras layout stops at one layer in one direction (export and import say the same). */
const KERAS_ONE_LAYER = `layout "keras" holds one SimpleRNN layer (with an Embedding in front when there is one): Keras does not document the weight names of stacked or Bidirectional SimpleRNN layers, so use layout "pytorch" (nn.RNN's names) for those`;

/**
 * The model's weights as a safetensors file under PyTorch (default) or Keras names. PyTorch:
 * `nn.Embedding(n, e)` (when the model has an embedding), `nn.RNN(m, d, num_layers=L,
 * bidirectional=…, nonlinearity=…, batch_first=True)` and `nn.Linear(D·d, k)` in modules named
 * `embedding`, `rnn` and `fc` take it with `load_state_dict` (b goes to bias_ih, bias_hh is
 * zero). The metadata records the rnn-wasm config, so importing the file back restores it.
 */
export function exportSafetensors(model: InferenceRNN, options: ExportOptions = {}): Uint8Array {
  checkOptionKeys("exportSafetensors options", options, OPTION_KEYS);
  const layout = layoutOf(options.layout);
  const { pre, head, emb } = prefixes(layout, options);
  const cfg = model.config;
  const { inputSize: n, hiddenSize: d, outputSize: k, embeddingSize: e, layers: L } = cfg;
  const D = directions(cfg);
  if (layout === "keras" && (L > 1 || D > 1)) {
    throw new RnnError(`exportSafetensors: this model has ${L} layer${L > 1 ? "s" : ""}${D > 1 ? ", bidirectional" : ""}; ${KERAS_ONE_LAYER}`);
  }
  const p = model.parameters();
  const spec = new Map(tensorTable(cfg).map((t) => [t.name, t]));
  const tensors: [string, TensorToWrite][] = [];
  if (e !== undefined) tensors.push([embeddingKey(layout, emb), { shape: [n, e], data: p.E }]);   // n×e in both layouts
  if (layout === "pytorch") {
    for (let layer = 0; layer < L; layer++) {
      for (let r = 0; r < D; r++) {
        const reverse = r === 1, sfx = torchSuffix(layer, reverse), U = tensorName("U", layer, reverse);
        tensors.push(
          [`${pre}weight_ih${sfx}`, { shape: [...spec.get(U)!.shape], data: p[U] }],
          [`${pre}weight_hh${sfx}`, { shape: [d, d], data: p[tensorName("W", layer, reverse)] }],
          [`${pre}bias_ih${sfx}`, { shape: [d], data: p[tensorName("b", layer, reverse)] }],
          [`${pre}bias_hh${sfx}`, { shape: [d], data: new Float32Array(d) }],
        );
      }
    }
    tensors.push([`${head}weight`, { shape: [k, D * d], data: p.V }], [`${head}bias`, { shape: [k], data: p.c }]);
  } else {
    const m = e ?? n;
    tensors.push(
      [`${pre}kernel`, { shape: [m, d], data: transpose(p.U, d, m) }],
      [`${pre}recurrent_kernel`, { shape: [d, d], data: transpose(p.W, d, d) }],
      [`${pre}bias`, { shape: [d], data: p.b }],
      [`${head}kernel`, { shape: [d, k], data: transpose(p.V, k, d) }],
      [`${head}bias`, { shape: [k], data: p.c }],
    );
  }
  return writeSafetensors(tensors, {
    producer: "rnn-wasm",
    layout,
    nonlinearity: cfg.hiddenActivation,
    "rnn-wasm.config": JSON.stringify(fileConfig(cfg)),
  });
}

/** Import weights from safetensors bytes (PyTorch or Keras names) into a new model. */
export async function importSafetensors(bytes: Uint8Array | ArrayBuffer, options: ImportOptions = {}): Promise<RNN> {
  const plan = planImport(bytes, options);
  return finishImport(plan, options.engine ?? (await embeddedEngine()));
}

/** {@link importSafetensors} on an engine from `initSync`. */
export function importSafetensorsSync(bytes: Uint8Array | ArrayBuffer, engine: Engine, options: ImportOptions = {}): RNN {
  checkEngine("importSafetensorsSync engine", engine);
  return finishImport(planImport(bytes, options), engine);
}

interface ImportPlan {
  config: ResolvedConfig;
  params: Parameters;
}

/** The config keys the tensors decide. */
type Structure = { inputSize: number; hiddenSize: number; outputSize: number; layers: number; bidirectional: boolean; embeddingSize?: number };

function planImport(input: Uint8Array | ArrayBuffer, options: ImportOptions): ImportPlan {
  checkOptionKeys("importSafetensors options", options, [...OPTION_KEYS, "config", "engine", "allowNonFinite"]);
  if (options.engine !== undefined) checkEngine("importSafetensors options.engine", options.engine);
  const allowNonFinite = flag("importSafetensors options.allowNonFinite", options.allowNonFinite, false);
  const layout = layoutOf(options.layout);
  const { pre, head, emb } = prefixes(layout, options);
  const what = "importSafetensors";
  const user = options.config ?? {};
  if (user === null || typeof user !== "object") throw new RnnError(`importSafetensors: config must be an object, got ${describe(user)}`);
  if (layout === "keras" && ((user.layers !== undefined && user.layers !== 1) || user.bidirectional === true)) {
    throw new RnnError(`importSafetensors: config.${user.bidirectional === true ? "bidirectional" : "layers"} is ${describe(user.bidirectional === true ? true : user.layers)}, but ${KERAS_ONE_LAYER}`);
  }
  const file = readSafetensors(input, what);
  const check = { allowNonFinite, what };

  const shape = (name: string, rank: number, why?: string): number[] => {
    const t = file.tensors.get(name);
    if (!t) {
      if (why) throw new RnnError(`${what}: tensor "${shortName(name)}" is missing: ${why}`);
      const near = [...file.tensors.keys()].slice(0, 8).map((s) => JSON.stringify(shortName(s))).join(", ");
      throw new RnnError(`${what}: tensor "${shortName(name)}" is missing (the file has ${near || "no tensors"}${file.tensors.size > 8 ? ", …" : ""}; set prefix / headPrefix / layout to match)`);
    }
    if (t.shape.length !== rank) throw new RnnError(`${what}: tensor "${shortName(name)}" must have ${rank} dimension${rank > 1 ? "s" : ""}, got shape [${t.shape.join(", ")}]`);
    return t.shape as number[];
  };
  const expect = (name: string, got: readonly number[], want: number[], note = "") => {
    if (got.length !== want.length || got.some((s, i) => s !== want[i])) {
      throw new RnnError(`${what}: tensor "${shortName(name)}" must have shape [${want.join(", ")}]${note}, got [${got.join(", ")}]`);
    }
  };
  const optionalVector = (name: string, size: number): Float32Array => {
    if (!file.tensors.has(name)) return new Float32Array(size);
    expect(name, file.tensors.get(name)!.shape, [size]);
    return readTensor(file, name, check);
  };

  // The structure from the names and shapes first (each shape is already backed by the file's
  // bytes), checked as a config before anything is allocated: a zero-sized layer cannot
  // smuggle in a huge one.
  let n: number, d: number, k: number, m: number, e: number | undefined;
  let L = 1, D = 1;
  const embName = embeddingKey(layout, emb);
  if (file.tensors.has(embName)) [n, e] = shape(embName, 2);        // n×e, a row per id
  const embNote = (x: number) => (e === undefined ? "" : ` (its ${x === 0 ? "columns" : "rows"} are the embedding's e = ${e}, from "${shortName(embName)}")`);
  if (layout === "pytorch") {
    // Layers and directions from the names present: rnn.{weight,bias}_{ih,hh}_l{ℓ}[_reverse].
    let top = 0, reverse = false;
    for (const name of file.tensors.keys()) {
      const match = name.startsWith(pre) ? /^(?:weight|bias)_(?:ih|hh)_l(0|[1-9]\d*)(_reverse)?$/.exec(name.slice(pre.length)) : null;
      if (!match) continue;
      const layer = Number(match[1]);
      if (!(layer < MAX_LAYERS)) throw new RnnError(`${what}: tensor "${shortName(name)}" is of layer ${match[1]}; a model has at most ${MAX_LAYERS} layers`);
      top = Math.max(top, layer);
      if (match[2]) reverse = true;
    }
    L = top + 1;
    D = reverse ? 2 : 1;
    const why = L === 1 && D === 1 ? undefined
      : `the file's tensors make ${L === 1 ? "a one-layer" : `a ${L}-layer`}${D === 2 ? " bidirectional" : ""} RNN (the highest layer suffix is _l${L - 1}${D === 2 ? "; some tensors are _reverse" : ""}), and every layer needs weight_ih and weight_hh${D === 2 ? " in both directions" : ""}`;
    [d, m] = shape(`${pre}weight_ih_l0`, 2, why);
    for (let layer = 0; layer < L; layer++) {
      for (let r = 0; r < D; r++) {
        const sfx = torchSuffix(layer, r === 1);
        const ih = `${pre}weight_ih${sfx}`, hh = `${pre}weight_hh${sfx}`;
        if (layer === 0) expect(ih, shape(ih, 2, why), [d, e ?? m], embNote(0));
        else expect(ih, shape(ih, 2, why), [d, D * d], ` (layer ${layer} reads layer ${layer - 1}'s ${D === 2 ? "two directions, 2d" : "d"} features)`);
        expect(hh, shape(hh, 2, why), [d, d]);
      }
    }
    [k] = shape(`${head}weight`, 2);
    expect(`${head}weight`, file.tensors.get(`${head}weight`)!.shape, [k, D * d], D === 2 ? " (the head reads both directions' states, 2d)" : "");
  } else {
    [m, d] = shape(`${pre}kernel`, 2);
    if (e !== undefined) expect(`${pre}kernel`, [m, d], [e, d], embNote(1));
    expect(`${pre}recurrent_kernel`, shape(`${pre}recurrent_kernel`, 2), [d, d]);
    const dk = shape(`${head}kernel`, 2);
    k = dk[1];
    expect(`${head}kernel`, dk, [d, k]);
  }
  if (e === undefined) n = m;
  for (const [name, size] of [["input", n!], ["hidden", d], ["output", k], ...(e !== undefined ? [["embedding", e]] as const : [])] as const) {
    if (size < 1) throw new RnnError(`${what}: the tensors give an ${name} size of 0`);
  }
  const structure: Structure = { inputSize: n!, hiddenSize: d, outputSize: k, layers: L, bidirectional: D === 2, ...(e !== undefined ? { embeddingSize: e } : {}) };

  // The config: the user's options, then what an rnn-wasm export recorded, then defaults; what
  // the tensors say is not an option.
  for (const key of ["inputSize", "hiddenSize", "outputSize"] as const) {
    if (user[key] !== undefined && user[key] !== structure[key]) throw new RnnError(`importSafetensors: config.${key} is ${describe(user[key])} but the tensors have ${structure[key]}`);
  }
  if (user.layers !== undefined && user.layers !== L) throw new RnnError(`importSafetensors: config.layers is ${describe(user.layers)} but the tensors have ${L} layer${L > 1 ? "s" : ""} (${pre}weight_ih_l0 … _l${L - 1})`);
  if (user.bidirectional !== undefined && user.bidirectional !== (D === 2)) {
    throw new RnnError(`importSafetensors: config.bidirectional is ${describe(user.bidirectional)} but the tensors are ${D === 2 ? "bidirectional (some are _reverse)" : "forward-only (none is _reverse)"}`);
  }
  if (user.embeddingSize !== undefined && user.embeddingSize !== e) {
    throw new RnnError(`importSafetensors: config.embeddingSize is ${describe(user.embeddingSize)} but ${e === undefined ? `the file has no embedding ("${shortName(embName)}"; set embeddingPrefix to match)` : `"${shortName(embName)}" has e = ${e}`}`);
  }
  if (e !== undefined && user.input !== undefined && user.input !== "ids") {
    throw new RnnError(`importSafetensors: config.input is ${describe(user.input)} but the file has an embedding ("${shortName(embName)}"), which reads token ids: input "ids"`);
  }
  let recorded: Record<string, unknown> = {};
  const note = file.metadata["rnn-wasm.config"];
  if (note !== undefined) {
    try {
      const parsed = JSON.parse(note);
      if (isPlainObject(parsed)) recorded = parsed;
    } catch { /* foreign or damaged metadata: ignore it, the tensors are what count */ }
  }
  const kinds = ["input", "task", "hiddenActivation", "loss", "seed", "dropout"];
  const fixed = { ...structure, ...(e !== undefined ? { input: "ids" } : {}) };
  let fromFile: Record<string, unknown> = Object.fromEntries(kinds.filter((key) => recorded[key] !== undefined).map((key) => [key, recorded[key]]));
  try {
    resolveConfig({ ...fromFile, ...fixed } as unknown as RNNConfig);
  } catch {
    fromFile = {};   // a damaged note is ignored as a whole
  }
  const config = resolveConfig({ ...fromFile, ...withoutUndefined(user as Record<string, unknown>), ...fixed } as unknown as RNNConfig);

  const params = {} as Tensors;
  if (e !== undefined) params.E = readTensor(file, embName, check);
  if (layout === "pytorch") {
    for (let layer = 0; layer < L; layer++) {
      for (let r = 0; r < D; r++) {
        const reverse = r === 1, sfx = torchSuffix(layer, reverse);
        params[tensorName("U", layer, reverse)] = readTensor(file, `${pre}weight_ih${sfx}`, check);
        params[tensorName("W", layer, reverse)] = readTensor(file, `${pre}weight_hh${sfx}`, check);
        const b = optionalVector(`${pre}bias_ih${sfx}`, d);
        const bhh = optionalVector(`${pre}bias_hh${sfx}`, d);
        for (let i = 0; i < d; i++) b[i] += bhh[i];   // f32 sum, as PyTorch adds them
        if (!allowNonFinite) {
          for (let i = 0; i < d; i++) if (!Number.isFinite(b[i])) throw new RnnError(`${what}: bias element ${i} is ${b[i]} after adding bias_ih${sfx} and bias_hh${sfx}`);
        }
        params[tensorName("b", layer, reverse)] = b;
      }
    }
    params.V = readTensor(file, `${head}weight`, check);
    params.c = optionalVector(`${head}bias`, k);
  } else {
    params.U = transpose(readTensor(file, `${pre}kernel`, check), m, d);
    params.W = transpose(readTensor(file, `${pre}recurrent_kernel`, check), d, d);
    params.b = optionalVector(`${pre}bias`, d);
    params.V = transpose(readTensor(file, `${head}kernel`, check), d, k);
    params.c = optionalVector(`${head}bias`, k);
  }
  return { config, params };
}

function withoutUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

function finishImport(plan: ImportPlan, engine: Engine): RNN {
  const core = Core.create(engine, plan.config);
  try {
    core.write("params", plan.params);   // checked by planImport (non-finite values only when allowed)
  } catch (e) {
    core.dispose();
    throw e;
  }
  return new RNN(core);
}
