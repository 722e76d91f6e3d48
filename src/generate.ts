// Sampling from a next-token model: the prefix runs through the model in one wasm call, then
// each new token is one stepper step (T = 1, B = 1) — the state is carried, nothing is
// recomputed. Sampling uses a seeded generator (data.ts's Random), so
// the same seed gives the same text in every runtime.

import { RnnError } from "./errors.js";
import { describe, checkOptionKeys, positiveInt } from "./check.js";
import { InferenceRNN, forwardOnly } from "./inference.js";
import { Random } from "./data.js";
import { Vocabulary } from "./vocab.js";

/** Options of {@link generate}. */
export interface GenerateOptions {
  /**
   * The start: token ids, or tokens (strings, encoded with the model's `vocabulary`; unknown
   * ones become `<unk>`). May be empty when a `<sos>` is prepended.
   * @default []
   */
  prefix?: ArrayLike<number> | ArrayLike<string>;
  /** At most this many new tokens (the prefix not counted). @default 100 */
  maxLength?: number;
  /** Sampling temperature τ > 0: tokens are drawn with probability ∝ ŷ^(1/τ) (softmax(o/τ)). @default 1 */
  temperature?: number;
  /** Draw only among the K most probable tokens. @default undefined (all) */
  topK?: number;
  /** Seed of the sampling generator. @default 0 */
  seed?: number;
  /**
   * Prepend this start id unless the prefix already begins with it: true means
   * `<sos>` ({@link Vocabulary.SOS}).
   * @default true when the model has a vocabulary, else false
   */
  sos?: boolean | number;
  /** Stop when this id is drawn (it is not included); null: never. @default the vocabulary's `<eos>`, else null */
  eos?: number | null;
}

/** What {@link generate} returns. */
export interface Generated {
  /** The new ids (the prefix and the final `<eos>` not included). */
  ids: number[];
  /** The new tokens, when the model has a vocabulary. */
  tokens?: string[];
  /** Why generation stopped: `<eos>` was drawn, or maxLength tokens were made. */
  stop: "eos" | "maxLength";
}

/**
 * Draw one index from a probability vector, after temperature (q ∝ p^(1/τ), computed in f64
 * from log p so that a small τ stays finite) and top-K filtering (ties: the lower id).
 * @param u a uniform number in [0, 1) (e.g. `rng.next()`).
 */
export function sampleIndex(probs: ArrayLike<number>, temperature: number, topK: number | undefined, u: number): number {
  const k = probs.length;
  let candidates = Array.from({ length: k }, (_, j) => j);
  if (topK !== undefined && topK < k) candidates = candidates.sort((a, b) => probs[b] - probs[a] || a - b).slice(0, topK);
  let maxLog = -Infinity;
  const logs = candidates.map((j) => {
    const l = Math.log(probs[j]) / temperature;
    if (l > maxLog) maxLog = l;
    return l;
  });
  if (maxLog === -Infinity) return candidates[0];               // every candidate has p = 0
  const w = logs.map((l) => Math.exp(l - maxLog));
  const total = w.reduce((s, x) => s + x, 0);
  let acc = 0;
  const target = u * total;
  for (let c = 0; c < candidates.length; c++) {
    acc += w[c];
    if (target < acc) return candidates[c];
  }
  for (let c = candidates.length - 1; c >= 0; c--) if (w[c] > 0) return candidates[c];   // u·total rounded up to total
  return candidates[0];
}

const KEYS = ["prefix", "maxLength", "temperature", "topK", "seed", "sos", "eos"];

/**
 * Sample a continuation from a next-token model (ids in, softmax over the same ids out):
 * run the prefix, then draw a token, feed it back, and repeat until `<eos>` or maxLength.
 * With a vocabulary, `<pad>` and `<sos>` are never drawn (no training target is either).
 * Reproducible: the same seed gives the same tokens. Needs a forward-only model (a
 * bidirectional one is refused); deep ones generate as one-layer ones do.
 * @example
 * const { tokens } = model.generate({ prefix: ["the"], maxLength: 20, temperature: 0.8, seed: 7 });
 */
export function generate(model: InferenceRNN, options: GenerateOptions = {}): Generated {
  if (!(model instanceof InferenceRNN)) throw new RnnError(`generate: expected a model, got ${describe(model)}`);
  const cfg = model.config;
  if (model.disposed) throw new RnnError("generate: this model has been disposed");
  checkOptionKeys("generate options", options, KEYS);
  forwardOnly(cfg, "generate", "generation");
  if (cfg.input !== "ids" || cfg.loss !== "softmax-cross-entropy") {
    throw new RnnError(`generate: needs a next-token model (input "ids", loss "softmax-cross-entropy"), this one has input ${JSON.stringify(cfg.input)}, loss ${JSON.stringify(cfg.loss)}`);
  }
  if (cfg.outputSize > cfg.inputSize) {
    throw new RnnError(`generate: outputSize ${cfg.outputSize} > inputSize ${cfg.inputSize}, so a drawn id could not be fed back`);
  }
  const vocab = model.vocabulary;
  const n = vocab ? Math.min(vocab.size, cfg.inputSize) : cfg.inputSize;
  const maxLength = positiveInt("generate options.maxLength", options.maxLength, 100);
  const temperature = options.temperature ?? 1;
  if (typeof temperature !== "number" || !Number.isFinite(temperature) || temperature <= 0) {
    throw new RnnError(`generate options.temperature: expected a number > 0, got ${describe(temperature)}`);
  }
  const topK = options.topK === undefined ? undefined : positiveInt("generate options.topK", options.topK);
  const rng = new Random(positiveInt("generate options.seed", options.seed, 0, 0));
  const rawPrefix = options.prefix ?? [];
  if (rawPrefix === null || typeof rawPrefix !== "object" || typeof rawPrefix.length !== "number") {
    throw new RnnError(`generate options.prefix: expected an array of ids or tokens, got ${describe(rawPrefix)}`);
  }
  const prefix: number[] = Array.from(rawPrefix as ArrayLike<number | string>, (x, i) => {
    if (typeof x === "string") {
      if (!vocab) throw new RnnError(`generate options.prefix[${i}]: a token (${describe(x)}) needs model.vocabulary; give ids instead`);
      return vocab.id(x);
    }
    if (typeof x !== "number" || !Number.isInteger(x) || x < 0 || x >= n) {
      throw new RnnError(`generate options.prefix[${i}]: ${describe(x)} is outside the vocabulary (ids 0..${n - 1})`);
    }
    return x;
  });
  const sosOpt = options.sos ?? vocab !== undefined;
  if (sosOpt !== false) {
    const sos = sosOpt === true ? Vocabulary.SOS : sosOpt;
    if (typeof sos !== "number" || !Number.isInteger(sos) || sos < 0 || sos >= n) throw new RnnError(`generate options.sos: expected true, false or an id in 0..${n - 1}, got ${describe(sosOpt)}`);
    if (prefix[0] !== sos) prefix.unshift(sos);
  }
  if (prefix.length === 0) throw new RnnError("generate options.prefix: empty (give at least one id, or sos: true)");
  const eos = options.eos === undefined ? (vocab ? vocab.eosId : null) : options.eos;
  if (eos !== null && (typeof eos !== "number" || !Number.isInteger(eos) || eos < 0 || eos >= cfg.outputSize)) {
    throw new RnnError(`generate options.eos: expected an id in 0..${cfg.outputSize - 1} (outputSize ${cfg.outputSize}) or null, got ${describe(eos)}`);
  }

  // <pad> and <sos> are never a next token (never a scored target): with a vocabulary they
  // are not drawn, however much probability a briefly trained model leaves on them.
  const never = vocab ? [Vocabulary.PAD, Vocabulary.SOS].filter((id) => id < cfg.outputSize) : [];
  const stepper = model.stepper();                    // the streaming fast path: one wasm call a token
  const fed = stepper.feed(prefix);
  let probs = fed[fed.length - 1];
  const ids: number[] = [];
  let stop: Generated["stop"] = "maxLength";
  for (let i = 0; i < maxLength; i++) {
    for (const j of never) probs[j] = 0;
    const id = sampleIndex(probs, temperature, topK, rng.next());
    if (id === eos) {
      stop = "eos";
      break;
    }
    ids.push(id);
    if (i + 1 === maxLength) break;
    probs = stepper.step(id);
  }
  const out: Generated = { ids, stop };
  if (vocab) out.tokens = ids.map((id) => (id < vocab.size ? vocab.token(id) : Vocabulary.SPECIALS[Vocabulary.UNK]));
  return out;
}
