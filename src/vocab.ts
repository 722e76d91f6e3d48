// Tokens ↔ ids for inputs (Vocabulary, with the special symbols) and for classes or tags
// (LabelEncoder). Both are plain data: toJSON()/fromJSON() are what model files store.
//
//   id  0 <pad>   padding (never fed: batches carry true lengths, so it only fills tables)
//       1 <sos>   start of sequence
//       2 <eos>   end of sequence (generation stops on it)
//       3 <unk>   every token the vocabulary does not hold
//       4 …       the corpus' tokens, most frequent first (ties: first seen first)

import { RnnError } from "./errors.js";
import { describe, checkOptionKeys, checkArrayLike, flag, positiveInt } from "./check.js";

/** A sequence of tokens: an array of strings, or a string split on whitespace. */
export type Tokens = string | ArrayLike<string>;

/** How {@link Vocabulary.build} chooses its tokens. */
export interface VocabularyOptions {
  /** Lower-case every token when building and when encoding. @default false */
  lowercase?: boolean;
  /** Keep only tokens seen at least this many times; the rest encode as `<unk>`. @default 1 */
  minCount?: number;
  /** At most this many ids in all, the 4 special symbols included (the most frequent tokens are kept). @default Infinity */
  maxSize?: number;
}

/** What {@link Vocabulary.toJSON} returns and {@link Vocabulary.fromJSON} takes. */
export interface VocabularyJSON {
  kind: "rnn-wasm/vocabulary";
  version: 1;
  lowercase: boolean;
  /** Every token in id order, the special symbols first. */
  tokens: string[];
}

/** What {@link LabelEncoder.toJSON} returns and {@link LabelEncoder.fromJSON} takes. */
export interface LabelEncoderJSON {
  kind: "rnn-wasm/labels";
  version: 1;
  /** Every class in id order. */
  classes: string[];
}

/** Options of encode: wrap the sequence in `<sos>` … `<eos>`. */
export interface EncodeOptions {
  /** Prepend `<sos>`. @default false */
  sos?: boolean;
  /** Append `<eos>`. @default false */
  eos?: boolean;
}

const SPECIALS = ["<pad>", "<sos>", "<eos>", "<unk>"] as const;

function tokensOf(text: unknown, where: string): ArrayLike<string> {
  if (typeof text === "string") return text.split(/\s+/).filter((t) => t.length > 0);
  checkArrayLike(where, text, "an array of tokens (strings) or a string");
  return text as ArrayLike<string>;
}

function tokenAt(tokens: ArrayLike<unknown>, i: number, where: string): string {
  const t = tokens[i];
  if (typeof t !== "string") throw new RnnError(`${where}[${i}]: expected a token (string), got ${describe(t)}`);
  return t;
}

function jsonObject(json: unknown, kind: string, who: string): Record<string, unknown> {
  let o = json;
  if (typeof json === "string") {
    try {
      o = JSON.parse(json) as unknown;
    } catch (e) {
      throw new RnnError(`${who}: not valid JSON (${(e as Error).message})`);
    }
  }
  if (o === null || typeof o !== "object") throw new RnnError(`${who}: expected an object from toJSON(), got ${describe(o)}`);
  const r = o as Record<string, unknown>;
  if (r.kind !== kind) throw new RnnError(`${who}: expected kind ${JSON.stringify(kind)}, got ${describe(r.kind)}`);
  if (r.version !== 1) throw new RnnError(`${who}: unsupported version ${describe(r.version)} (this library reads version 1)`);
  return r;
}

function uniqueStrings(list: unknown, field: string): string[] {
  if (!Array.isArray(list)) throw new RnnError(`${field}: expected an array of strings, got ${describe(list)}`);
  const seen = new Set<string>();
  list.forEach((s, i) => {
    if (typeof s !== "string") throw new RnnError(`${field}[${i}]: expected a string, got ${describe(s)}`);
    if (seen.has(s)) throw new RnnError(`${field}[${i}]: ${JSON.stringify(s)} appears twice`);
    seen.add(s);
  });
  return list.slice() as string[];
}

/**
 * Token ↔ id map for model inputs, with `<pad>` = 0, `<sos>` = 1, `<eos>` = 2, `<unk>` = 3.
 * Encoding never yields an id outside the vocabulary: unknown tokens become `<unk>`.
 * Use `vocabulary.size` as the model's `inputSize` (and `outputSize` for next-token models).
 *
 * @example
 * const vocab = Vocabulary.build([["the", "cat"], ["the", "dog"]], { lowercase: true });
 * vocab.encode(["The", "bird"], { sos: true, eos: true });   // [1, 4, 3, 2]
 * vocab.decode([4, 5]);                                       // ["the", "cat"]
 */
export class Vocabulary {
  /** Id of `<pad>`. */
  static readonly PAD = 0;
  /** Id of `<sos>`. */
  static readonly SOS = 1;
  /** Id of `<eos>`. */
  static readonly EOS = 2;
  /** Id of `<unk>`. */
  static readonly UNK = 3;
  /** The special symbols, in id order. */
  static readonly SPECIALS: readonly string[] = SPECIALS;

  readonly padId = 0;
  readonly sosId = 1;
  readonly eosId = 2;
  readonly unkId = 3;
  /** Whether tokens are lower-cased before lookup. */
  readonly lowercase: boolean;
  readonly #tokens: string[];
  readonly #ids: Map<string, number>;

  /**
   * A vocabulary with exactly these tokens after the special symbols (ids 4, 5, …).
   * Special symbols in `tokens` are skipped (they already have their ids); duplicates throw.
   */
  constructor(tokens: ArrayLike<string> = [], options: { lowercase?: boolean } = {}) {
    this.lowercase = options.lowercase ?? false;
    if (typeof this.lowercase !== "boolean") throw new RnnError(`vocabulary.lowercase: expected true or false, got ${describe(options.lowercase)}`);
    this.#tokens = [...SPECIALS];
    this.#ids = new Map(SPECIALS.map((s, i) => [s, i]));
    const list = tokensOf(tokens, "Vocabulary tokens");
    for (let i = 0; i < list.length; i++) {
      let t = tokenAt(list, i, "Vocabulary tokens");
      if (this.lowercase) t = t.toLowerCase();
      if ((SPECIALS as readonly string[]).includes(t)) continue;
      if (this.#ids.has(t)) throw new RnnError(`Vocabulary tokens[${i}]: ${JSON.stringify(t)} appears twice`);
      this.#ids.set(t, this.#tokens.length);
      this.#tokens.push(t);
    }
  }

  /**
   * Build from tokenised text: count every token, keep those seen at least `minCount` times,
   * the most frequent first (ties: the one seen first), at most `maxSize` ids in all.
   * @param texts sequences of tokens (arrays of strings, or strings split on whitespace).
   */
  static build(texts: Iterable<Tokens>, options: VocabularyOptions = {}): Vocabulary {
    checkOptionKeys("Vocabulary.build options", options, ["lowercase", "minCount", "maxSize"]);
    const lowercase = flag("Vocabulary.build options.lowercase", options.lowercase, false);
    const minCount = positiveInt("Vocabulary.build options.minCount", options.minCount, 1);
    const maxSize = options.maxSize === Infinity ? Infinity : positiveInt("Vocabulary.build options.maxSize", options.maxSize, Infinity, SPECIALS.length);
    if (texts === null || typeof texts !== "object" || typeof (texts as Iterable<Tokens>)[Symbol.iterator] !== "function") {
      throw new RnnError(`Vocabulary.build: expected an iterable of token sequences, got ${describe(texts)}`);
    }
    // Map iteration order is insertion order: first seen first, which breaks count ties.
    const counts = new Map<string, number>();
    let s = 0;
    for (const text of texts) {
      const list = tokensOf(text, `Vocabulary.build texts[${s}]`);
      for (let i = 0; i < list.length; i++) {
        let t = tokenAt(list, i, `Vocabulary.build texts[${s}]`);
        if (lowercase) t = t.toLowerCase();
        counts.set(t, (counts.get(t) ?? 0) + 1);
      }
      s++;
    }
    const kept = [...counts]
      .filter(([t, c]) => c >= minCount && !(SPECIALS as readonly string[]).includes(t))
      .sort((a, b) => b[1] - a[1])                       // Array.prototype.sort is stable
      .slice(0, maxSize - SPECIALS.length)
      .map(([t]) => t);
    return new Vocabulary(kept, { lowercase });
  }

  /** Number of ids, the special symbols included: the model's `inputSize`. */
  get size(): number {
    return this.#tokens.length;
  }

  /** Every token in id order (a copy), the special symbols first. */
  get tokens(): string[] {
    return this.#tokens.slice();
  }

  /** Whether the token has its own id (after lower-casing if the vocabulary does). */
  has(token: string): boolean {
    return this.#ids.has(this.lowercase ? token.toLowerCase() : token);
  }

  /** The id of a token; `<unk>` (3) for a token the vocabulary does not hold. */
  id(token: string): number {
    if (typeof token !== "string") throw new RnnError(`vocabulary.id: expected a token (string), got ${describe(token)}`);
    return this.#ids.get(this.lowercase ? token.toLowerCase() : token) ?? Vocabulary.UNK;
  }

  /** The token of an id; throws for an id outside 0..size−1. */
  token(id: number): string {
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id >= this.#tokens.length) {
      throw new RnnError(`vocabulary.token: expected an id in 0..${this.#tokens.length - 1}, got ${describe(id)}`);
    }
    return this.#tokens[id];
  }

  /**
   * Tokens → ids (unknown tokens → `<unk>`), optionally wrapped in `<sos>` … `<eos>`.
   * @param tokens an array of strings, or a string split on whitespace.
   */
  encode(tokens: Tokens, options: EncodeOptions = {}): number[] {
    const list = tokensOf(tokens, "vocabulary.encode");
    checkOptionKeys("vocabulary.encode options", options, ["sos", "eos"]);
    const sos = flag("vocabulary.encode options.sos", options.sos, false);
    const eos = flag("vocabulary.encode options.eos", options.eos, false);
    const out: number[] = [];
    if (sos) out.push(Vocabulary.SOS);
    for (let i = 0; i < list.length; i++) out.push(this.id(tokenAt(list, i, "vocabulary.encode")));
    if (eos) out.push(Vocabulary.EOS);
    return out;
  }

  /**
   * Ids → tokens; throws for an id outside the vocabulary.
   * @param options.skipSpecial drop `<pad>`, `<sos>` and `<eos>` (keeps `<unk>`). @default false
   */
  decode(ids: ArrayLike<number>, options: { skipSpecial?: boolean } = {}): string[] {
    checkArrayLike("vocabulary.decode ids", ids, "an array of ids");
    checkOptionKeys("vocabulary.decode options", options, ["skipSpecial"]);
    const skipSpecial = flag("vocabulary.decode options.skipSpecial", options.skipSpecial, false);
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id >= this.#tokens.length) {
        throw new RnnError(`vocabulary.decode: ids[${i}] must be an id in 0..${this.#tokens.length - 1}, got ${describe(id)}`);
      }
      if (skipSpecial && id < Vocabulary.UNK) continue;
      out.push(this.#tokens[id]);
    }
    return out;
  }

  /** Plain data for JSON.stringify and model files. */
  toJSON(): VocabularyJSON {
    return { kind: "rnn-wasm/vocabulary", version: 1, lowercase: this.lowercase, tokens: this.#tokens.slice() };
  }

  /** The vocabulary {@link toJSON} described (an object, or its JSON text); ids are kept exactly. */
  static fromJSON(json: VocabularyJSON | string): Vocabulary {
    const o = jsonObject(json, "rnn-wasm/vocabulary", "Vocabulary.fromJSON");
    const tokens = uniqueStrings(o.tokens, "Vocabulary.fromJSON tokens");
    SPECIALS.forEach((s, i) => {
      if (tokens[i] !== s) throw new RnnError(`Vocabulary.fromJSON tokens[${i}]: expected ${JSON.stringify(s)}, got ${describe(tokens[i])}`);
    });
    if (typeof o.lowercase !== "boolean") throw new RnnError(`Vocabulary.fromJSON lowercase: expected true or false, got ${describe(o.lowercase)}`);
    if (o.lowercase) {
      tokens.forEach((t, i) => {
        if (t !== t.toLowerCase()) throw new RnnError(`Vocabulary.fromJSON tokens[${i}]: ${JSON.stringify(t)} is not lower-case in a lower-casing vocabulary`);
      });
    }
    return new Vocabulary(tokens.slice(SPECIALS.length), { lowercase: o.lowercase });
  }
}

/**
 * Class or tag ↔ id map for targets (0..size−1, the model's `outputSize`). Labels are strings
 * (numbers are looked up as their decimal text). An unknown label throws: a target must be a
 * class the model has.
 *
 * @example
 * const tags = LabelEncoder.fit([["DT", "NN"], ["DT", "JJ", "NN"]]);
 * tags.classes;              // ["DT", "JJ", "NN"]
 * tags.encode(["NN", "DT"]); // [2, 0]
 */
export class LabelEncoder {
  readonly #classes: string[];
  readonly #ids: Map<string, number>;

  /** An encoder with exactly these classes, in this order (ids 0, 1, …). */
  constructor(classes: ArrayLike<string | number>) {
    checkArrayLike("LabelEncoder", classes, "an array of classes");
    this.#classes = uniqueStrings(Array.from(classes, (c, i) => {
      if (typeof c !== "string" && typeof c !== "number") throw new RnnError(`LabelEncoder classes[${i}]: expected a string or a number, got ${describe(c)}`);
      return String(c);
    }), "LabelEncoder classes");
    if (this.#classes.length === 0) throw new RnnError("LabelEncoder: no classes (need at least one)");
    this.#ids = new Map(this.#classes.map((c, i) => [c, i]));
  }

  /**
   * The classes found in `labels` (flat, or one array per sequence for tags), sorted by their
   * text (as scikit-learn's LabelEncoder does), after `options.first` if given.
   * @param options.first classes to place first, in this order (e.g. a tag for `<sos>`).
   */
  static fit(labels: Iterable<string | number | ArrayLike<string | number>>, options: { first?: ArrayLike<string> } = {}): LabelEncoder {
    checkOptionKeys("LabelEncoder.fit options", options, ["first"]);
    if (labels === null || typeof labels !== "object" || typeof (labels as Iterable<unknown>)[Symbol.iterator] !== "function") {
      throw new RnnError(`LabelEncoder.fit: expected an iterable of labels, got ${describe(labels)}`);
    }
    const first = Array.from(options.first ?? [], String);
    const seen = new Set<string>(first);
    const add = (x: unknown, where: string) => {
      if (typeof x !== "string" && typeof x !== "number") throw new RnnError(`${where}: expected a label (string or number), got ${describe(x)}`);
      seen.add(String(x));
    };
    let i = 0;
    for (const item of labels) {
      if (typeof item === "object" && item !== null) {
        checkArrayLike(`LabelEncoder.fit labels[${i}]`, item, "a label (string or number) or an array of labels");
        for (let j = 0; j < item.length; j++) add(item[j], `LabelEncoder.fit labels[${i}][${j}]`);
      } else {
        add(item, `LabelEncoder.fit labels[${i}]`);
      }
      i++;
    }
    const rest = [...seen].filter((c) => !first.includes(c)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return new LabelEncoder([...first, ...rest]);
  }

  /** Number of classes: the model's `outputSize`. */
  get size(): number {
    return this.#classes.length;
  }

  /** Every class in id order (a copy). */
  get classes(): string[] {
    return this.#classes.slice();
  }

  /** Whether the label is one of the classes. */
  has(label: string | number): boolean {
    return this.#ids.has(String(label));
  }

  /** The id of a class; throws for a label that is not one. */
  id(label: string | number): number {
    const id = typeof label === "string" || typeof label === "number" ? this.#ids.get(String(label)) : undefined;
    if (id === undefined) {
      const known = this.#classes.length <= 12 ? this.#classes.join(", ") : `${this.#classes.slice(0, 12).join(", ")}, … (${this.#classes.length} classes)`;
      throw new RnnError(`labels: unknown class ${describe(label)} (known: ${known})`);
    }
    return id;
  }

  /** The class of an id; throws for an id outside 0..size−1. */
  label(id: number): string {
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id >= this.#classes.length) {
      throw new RnnError(`labels.label: expected an id in 0..${this.#classes.length - 1}, got ${describe(id)}`);
    }
    return this.#classes[id];
  }

  /** Labels → ids (one sequence of tags, or one class per sequence). */
  encode(labels: ArrayLike<string | number>): number[] {
    checkArrayLike("labels.encode", labels, "an array of labels");
    return Array.from(labels, (l) => this.id(l));
  }

  /** Ids → labels. */
  decode(ids: ArrayLike<number>): string[] {
    checkArrayLike("labels.decode", ids, "an array of ids");
    return Array.from(ids, (id) => this.label(id));
  }

  /** Plain data for JSON.stringify and model files. */
  toJSON(): LabelEncoderJSON {
    return { kind: "rnn-wasm/labels", version: 1, classes: this.#classes.slice() };
  }

  /** The encoder {@link toJSON} described (an object, or its JSON text). */
  static fromJSON(json: LabelEncoderJSON | string): LabelEncoder {
    const o = jsonObject(json, "rnn-wasm/labels", "LabelEncoder.fromJSON");
    return new LabelEncoder(uniqueStrings(o.classes, "LabelEncoder.fromJSON classes"));
  }
}
