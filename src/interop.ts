// Import and export of a model's weights as safetensors under PyTorch (nn.RNN + nn.Linear) or
// Keras (SimpleRNN + Dense) names. Only the package entry imports this file.

import { RnnError } from "./errors.js";
import { RNN } from "./model.js";
import type { InferenceRNN, Parameters } from "./inference.js";
import { resolveConfig, type RNNConfig, type ResolvedConfig } from "./options.js";
import { describe, checkOptionKeys, flag } from "./check.js";
import { Core } from "./core.js";
import { checkEngine, type Engine } from "./wasm.js";
import { embeddedEngine } from "./embedded.js";
import { readSafetensors, readTensor, writeSafetensors, shortName, isPlainObject, type TensorToWrite, type LoadCheckOptions } from "./safetensors.js";

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
export function exportSafetensors(model: InferenceRNN, options: ExportOptions = {}): Uint8Array {
  checkOptionKeys("exportSafetensors options", options, ["layout", "prefix", "headPrefix"]);
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

function planImport(input: Uint8Array | ArrayBuffer, options: ImportOptions): ImportPlan {
  checkOptionKeys("importSafetensors options", options, ["layout", "prefix", "headPrefix", "config", "engine", "allowNonFinite"]);
  if (options.engine !== undefined) checkEngine("importSafetensors options.engine", options.engine);
  const allowNonFinite = flag("importSafetensors options.allowNonFinite", options.allowNonFinite, false);
  const layout = layoutOf(options.layout);
  const [pre, head] = prefixes(layout, options);
  const what = "importSafetensors";
  const file = readSafetensors(input, what);
  const check = { allowNonFinite, what };

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
  if (!allowNonFinite) {
    for (let i = 0; i < d; i++) if (!Number.isFinite(b[i])) throw new RnnError(`${what}: bias element ${i} is ${b[i]} after adding bias_ih and bias_hh`);
  }
  return { config, params: { U, W, b, V, c } };
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
