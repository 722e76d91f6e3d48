// Data sets read as they go: fitAsync and evaluate take an async (or sync) iterable of examples
// or of batches, or a function that returns one per epoch, so a corpus can come from disk or
// the network without being held whole.
//
//   stream of examples   { input, target, sampleWeight? } …   gathered in windows of `window`
//                        examples; each window is checked whole, then sorted by length
//                        (buckets) and cut into batches, as makeBatches does for an array
//   stream of batches    { inputs, targets, sampleWeight? } … each checked whole, then one
//                        step (or one scoring call) as it is
//
// The loops of fit and evaluate are generators: they yield `undefined` after a batch (a chance
// to give the event loop a turn) and a Wait when they need something awaited (the stream's
// next item). `drive` runs them: it awaits what they ask for and closes every stream still
// open when the loop ends, however it ends (a stream that was stopped early gets return()).

import { RnnError } from "./errors.js";
import { describe, checkOptionKeys } from "./check.js";
import { stageBatch, stageTargets, checkExamples, type Sequence, type Targets } from "./batch.js";
import { checkDataset, makeBatches, type Dataset, type IndexedBatch, type Random } from "./data.js";
import type { ResolvedConfig } from "./options.js";

/** One example of a stream: a sequence, its target entry (per step or per sequence) and its weight. */
export interface Example {
  /** The sequence: token ids, or feature vectors per step (as one entry of a batch's `inputs`). */
  input: Sequence;
  /** Its target, as one entry of a batch's `targets`. */
  target: Targets[number];
  /** Its sample weight (finite, ≥ 0). @default 1 */
  sampleWeight?: number;
}

/** What a stream yields: examples, or whole batches (a stream yields one kind, not both). */
export type StreamItem = Example | Dataset;

/** An async or sync iterable of stream items: an async generator, a Node.js readable stream in object mode, an array. */
export type ItemSource = AsyncIterable<StreamItem> | Iterable<StreamItem>;

/**
 * A data set read as it goes: an iterable of examples or of batches, or a function returning
 * a new one (or a promise of one) for every pass, called with the epoch number (from 1,
 * counting `initialEpoch`; evaluate calls it without one). A generator can be read once:
 * give a function when the data is read more than once (several epochs, or validation data
 * evaluated after every epoch).
 */
export type DataStream = ItemSource | ((epoch?: number) => ItemSource | Promise<ItemSource>);

/** Something a loop asks its driver to await: a promise, or an iterator's next result. */
export interface Wait {
  wait: unknown;
  /** The iterator the result is from: the driver closes it if the loop ends before it does. */
  iterator?: AnyIterator;
}

/** A loop step: a batch done (undefined) or something to await. */
export type Step = Wait | undefined;

type AnyIterator = { next(): unknown; return?(): unknown };

const isObject = (x: unknown): x is Record<PropertyKey, unknown> => x !== null && (typeof x === "object" || typeof x === "function");
const isThenable = (x: unknown): x is PromiseLike<unknown> => isObject(x) && typeof x.then === "function";

/** Whether data is a stream (a function or an iterable) rather than a data set { inputs, targets }. */
export function isStream(data: unknown): data is DataStream {
  if (typeof data === "function") return true;
  return isObject(data) && (typeof data[Symbol.asyncIterator] === "function" || typeof data[Symbol.iterator] === "function");
}

/**
 * Check a stream before anything is trained: an iterator that is its own iterable (a generator)
 * can be read once, so it is refused when the data is to be read `passes` > 1 times.
 */
export function checkStream(source: DataStream, where: string, passes: number, why: string): void {
  if (typeof source === "function" || passes <= 1) return;
  if (typeof (source as { next?: unknown }).next === "function") {
    throw new RnnError(`${where}: a generator (an iterator) can be read once, and ${why}: pass a function that returns a new one each time, e.g. () => read()`);
  }
}

/** Open a stream for one pass: call the function (awaiting a promise), then ask the iterable for its iterator. */
export function* openStream(source: DataStream, where: string, epoch?: number): Generator<Step, AnyIterator> {
  let it: unknown = source;
  if (typeof source === "function") {
    it = epoch === undefined ? source() : source(epoch);
    if (isThenable(it)) it = yield { wait: it };
  }
  if (isObject(it) && typeof it[Symbol.asyncIterator] === "function") it = (it[Symbol.asyncIterator] as () => unknown)();
  else if (isObject(it) && typeof it[Symbol.iterator] === "function") it = (it[Symbol.iterator] as () => unknown)();
  else throw new RnnError(`${where}: the function returned ${describe(it)}; expected an async or sync iterable of examples or batches`);
  if (!isObject(it) || typeof it.next !== "function") throw new RnnError(`${where}: the iterable's iterator has no next() (got ${describe(it)})`);
  return it as AnyIterator;
}

/** Options of a {@link StreamReader}. */
export interface ReadOptions {
  /** Examples per batch. */
  batchSize: number;
  /** Examples gathered, checked and batched together. */
  window: number;
  /** Shuffle inside a window (a shuffle buffer; the stream's order is otherwise the caller's). */
  shuffle: boolean;
  /** Sort by length inside a window before cutting it into batches. */
  buckets: boolean;
  /** The generator for shuffling, asked for when the first window has passed its checks. */
  random: () => Random;
  /** Numbers per step of a flat dense sequence. */
  stepSize: number;
  /** Polled after every item: true stops reading (the window being gathered is dropped). */
  stopped?: () => boolean;
}

const EXAMPLE_KEYS = ["input", "target", "sampleWeight"];

/**
 * Reads one pass of a stream, a window (or a yielded batch) at a time. `item(i)` names item i
 * in messages ("fit data: epoch 2, item 17"). Every window is checked whole before any of its
 * batches is returned, so a bad item refuses its window and nothing of it is used.
 */
export class StreamReader {
  /** Items read so far. */
  items = 0;
  /** Sequences read so far (examples, or the sizes of the batches). */
  sequences = 0;
  /** The stream has ended. */
  done = false;
  /** Reading stopped because `stopped()` said so. */
  aborted = false;
  #kind: "examples" | "batches" | undefined;
  private readonly cfg: ResolvedConfig;
  private readonly iterator: AnyIterator;
  private readonly where: string;
  private readonly item: (i: number) => string;
  private readonly options: ReadOptions;

  constructor(cfg: ResolvedConfig, iterator: AnyIterator, where: string, item: (i: number) => string, options: ReadOptions) {
    this.cfg = cfg;
    this.iterator = iterator;
    this.where = where;
    this.item = item;
    this.options = options;
  }

  /** The next batches: a window's worth, or one yielded batch; undefined once the stream has ended (or reading stopped). */
  *next(): Generator<Step, IndexedBatch[] | undefined> {
    if (this.done || this.aborted) return undefined;
    const { window, stopped } = this.options;
    const inputs: Sequence[] = [];
    const targets: Targets[number][] = [];
    const weights: number[] = [];
    let weighted = false;
    const first = this.sequences;
    while (inputs.length < window) {
      if (stopped?.()) { this.aborted = true; return undefined; }
      const r = yield { wait: this.iterator.next(), iterator: this.iterator };
      if (!isObject(r)) throw new RnnError(`${this.where}: the iterator's next() gave ${describe(r)}, not { value, done }`);
      if (r.done) { this.done = true; break; }
      const value = r.value;
      const i = this.items++;
      const at = this.item(i);
      if (isObject(value) && "inputs" in value) {
        if (this.#kind === "examples") throw new RnnError(`${at}: a batch { inputs, targets } in a stream of examples; a stream yields examples or batches, not both`);
        this.#kind = "batches";
        return [this.#batch(value, at)];
      }
      if (this.#kind === "batches") throw new RnnError(`${at}: expected a batch { inputs, targets }, as the items before it, got ${isObject(value) && "input" in value ? "an example { input, target }" : describe(value)}`);
      this.#kind = "examples";
      if (!isObject(value) || Array.isArray(value) || typeof value === "function") {
        throw new RnnError(`${at}: expected an example { input, target } or a batch { inputs, targets }, got ${describe(value)}`);
      }
      checkOptionKeys(at, value, EXAMPLE_KEYS);
      if (value.input === undefined) throw new RnnError(`${at}.input: missing (the example's sequence)`);
      if (value.target === undefined) throw new RnnError(`${at}.target: missing (the example's target)`);
      inputs.push(value.input as Sequence);
      targets.push(value.target as Targets[number]);
      if (value.sampleWeight !== undefined) weighted = true;
      weights.push(value.sampleWeight as number);
    }
    if (inputs.length === 0) return undefined;
    this.sequences += inputs.length;
    const data: Dataset = { inputs, targets: targets as Targets };
    if (weighted) data.sampleWeight = weights.map((w) => (w === undefined ? 1 : w));
    this.#checkWindow(data, first);
    const { batchSize, shuffle, buckets, random, stepSize } = this.options;
    const batches = makeBatches(data, { batchSize, shuffle, seed: random(), buckets, stepSize });
    for (const b of batches) b.indices = b.indices.map((j) => first + j);
    return batches;
  }

  /** A yielded batch, checked whole (its shape, then every value), with the indices of its sequences in the pass. */
  #batch(value: Record<PropertyKey, unknown>, at: string): IndexedBatch {
    const n = checkDataset(value, at);
    const data = value as unknown as Dataset;
    checkExamples(this.cfg, data, at);
    this.options.random();                        // drawn as for a window (an array draws once per epoch too)
    const batch: IndexedBatch = {
      inputs: Array.from(data.inputs), targets: Array.from(data.targets),
      indices: Array.from({ length: n }, (_, j) => this.sequences + j),
    };
    if (data.sampleWeight !== undefined) batch.sampleWeight = Array.from(data.sampleWeight);
    this.sequences += n;
    return batch;
  }

  /**
   * Check a window's values as checkExamples checks a data set (a few examples at a time), with
   * messages that name the stream's item: "fit data: epoch 1, item 17.target[3]: …".
   */
  #checkWindow(data: Dataset, first: number): void {
    const N = data.inputs.length;
    for (let a = 0; a < N; a += 64) {
      const b = Math.min(N, a + 64);
      const part = {
        inputs: (data.inputs as Sequence[]).slice(a, b), targets: (data.targets as Targets[number][]).slice(a, b) as Targets,
        ...(data.sampleWeight !== undefined ? { sampleWeight: (data.sampleWeight as number[]).slice(a, b) } : {}),
      };
      try {
        stageBatch(this.cfg, part, stageTargets, "\u0001inputs", { targets: "\u0001targets", first: first + a });
      } catch (e) {
        if (!(e instanceof RnnError)) throw e;
        const field = { inputs: "input", targets: "target", sampleWeight: "sampleWeight" } as Record<string, string>;
        throw new RnnError(e.message
          .replace(/\u0001(inputs|targets|sampleWeight)\[(\d+)\]/g, (_, f: string, i: string) => `${this.item(Number(i))}.${field[f]}`)
          .replace(/one per step of inputs\[\d+\]/g, "one per step of its input")
          .replace(/\u0001(\w+)/g, (_, f: string) => `${this.where}: a window's ${f}`));
      }
    }
  }
}

/**
 * Run a loop to its end, awaiting what it asks for and giving the event loop a turn when
 * `every` ms have passed since the last (after a batch). Streams still open when the loop
 * ends (stopped, aborted, early stopping, an error) are closed with return(); a stream whose
 * own next() failed is not (as for await … of does).
 */
export async function drive<T>(loop: Generator<Step, T>, every: number): Promise<T> {
  const open = new Set<AnyIterator>();
  const now = (): number => (globalThis.performance?.now?.() ?? Date.now());
  let last = now();
  let sent: unknown;
  try {
    for (;;) {
      const r = loop.next(sent);
      sent = undefined;
      if (r.done) return r.value;
      const step = r.value;
      if (step === undefined) {
        if (now() - last >= every) {
          await new Promise((resolve) => setTimeout(resolve, 0));
          last = now();
        }
        continue;
      }
      if (step.iterator) open.add(step.iterator);
      try {
        sent = await step.wait;
      } catch (e) {
        if (step.iterator) open.delete(step.iterator);
        throw e;                                   // the stream's own error, as it came
      }
      if (step.iterator && isObject(sent) && sent.done) open.delete(step.iterator);
    }
  } finally {
    for (const it of open) {
      try { await it.return?.(); } catch { /* closing is best effort: the loop's own outcome is what the caller gets */ }
    }
  }
}

/** Run a loop that never waits (arrays only) synchronously. */
export function runSync<T>(loop: Generator<Step, T>): T {
  for (;;) {
    const r = loop.next();
    if (r.done) return r.value;
    if (r.value !== undefined) throw new RnnError("internal: a synchronous loop asked to wait");
  }
}
