// Data-parallel training (fitAsync's `workers: N`): N replicas of the model, each in its own
// worker (worker_threads in Node.js, Web Workers in browsers and Deno) with its own instance of
// the same compiled module; the model on the caller's thread stays the one that is trained.
//
//   a batch of B sequences      split into N contiguous shards: B_w = ⌊B/N⌋, +1 for w < B mod N
//   replica w                   gets the current parameters, its shard (staged here, so
//                               checked here), a generator state; runs model_gradients:
//                               gradients g_w and loss L_w of its shard
//   here                        grads = Σ_w (B_w/B)·g_w in f32, w = 0..N−1 in that order,
//                               L = Σ_w (B_w/B)·L_w in f64, then model_apply_gradients (norm,
//                               clipping, the non-finite rule, one update), as trainStep does
//
// The loss of a batch is the mean over its sequences, so that sum is the batch's gradient (up
// to rounding: each shard's gradients were scaled by 1/B_w inside the module). The order of
// the sum is fixed, so a given N gives the same bits on every run and in every runtime; with
// N = 1 the factor is exactly 1 and a step is bit for bit trainStep's.
//
// Dropout draws its masks from the model's generator inside model_gradients. Replica 0 gets
// the model's generator state and the model takes back the state replica 0 ends in (so with
// N = 1 the generator moves exactly as in fit); replica w ≥ 1 gets that state mixed with w
// (mixRng). A given N is deterministic; different N draw different masks.
//
// Nothing of the model changes until every replica has answered: a replica that throws, is
// terminated or refuses its shard rejects the step, the model stays as it was before it, and
// fitAsync throws an RnnError (and terminates every worker, as it does when it ends anyway).
//
// Where the parameters and gradients live. Where SharedArrayBuffer is usable (Node.js and Deno;
// browsers only when the page is cross-origin isolated), one shared block per fitAsync holds
// the parameters (written here once per step, not copied once per worker) and one gradient
// slot per replica (written by the replica, read here in place). Elsewhere the parameters go
// out and the gradients come back as transferred copies in the messages. Only that differs:
// the requests, the sum, its order and the error handling are the same code, so both give the
// same bits (tests/wrapper/workers.test.js compares them). The staged shards stay transferred
// messages either way: stageBatch allocates them fresh each step, and a transfer moves them
// without a copy, where a shared block would add one.
//
// Only the few lines of `spawn` (here) and the end of worker.ts differ between runtimes.

import { RnnError } from "./errors.js";
import { moduleOf } from "./wasm.js";
import { resolveOptimizer, resolveClipNorm, type ResolvedConfig } from "./options.js";
import { stageBatch, stageTargets, type Batch, type StagedBatch } from "./batch.js";
import { applyUpdate } from "./update.js";
import type { Core } from "./core.js";
import type { Step } from "./stream.js";
import type { TrainStepOptions } from "./options.js";

/**
 * A replica's views of the shared block: `seq[0]` is the step whose parameters `params` holds,
 * `seq[1 + slot]` the step whose gradients `grads` (this replica's slot) holds. Each is written
 * with Atomics.store after the floats it vouches for and read with Atomics.load before them:
 * that orders the plain reads after the plain writes in ECMAScript's memory model itself (not
 * only through whatever postMessage does), and a mismatch shows a slot not written for this step.
 */
export interface SharedViews { seq: Int32Array; params: Float32Array; grads: Float32Array; slot: number }

/** What the caller's thread asks of a replica. `params` only without a shared block. */
export type Request =
  | { type: "init"; id: number; module: WebAssembly.Module; config: ResolvedConfig; shared?: SharedViews }
  | { type: "step"; id: number; step: number; params?: Float32Array; rng: [number, number]; batch: StagedBatch };

/** What a replica answers: one reply per request, with the request's id. `grads` only without a shared block. */
export type Reply =
  | { type: "ready"; id: number }
  | { type: "done"; id: number; loss: number; grads?: Float32Array; rng: [number, number] }
  | { type: "error"; id: number; message: string };

/** Where fitAsync's parameters and gradients travel: a SharedArrayBuffer, or copies in the messages. */
export type WorkerMemory = "shared" | "copies";

type Done = Extract<Reply, { type: "done" }>;

/** A request before it is numbered. */
type Unnumbered = Request extends infer R ? (R extends unknown ? Omit<R, "id"> : never) : never;

/** The part of a worker the pool uses, whatever the runtime. */
interface Channel {
  post(message: Request, transfer: Transferable[]): void;
  terminate(): void;
}

/** The most workers fitAsync starts (a bound against typos such as 1e6, not a tuning hint). */
export const MAX_WORKERS = 256;

/** dist/worker.js, beside the bundle that holds this code. */
export const defaultWorkerUrl = (): URL => new URL("./worker.js", import.meta.url);

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Start a worker running `url`, as a module: `worker_threads` in Node.js, `Worker` elsewhere
 * (browsers, Deno). `failed` is called once if it dies (an uncaught error, an exit).
 */
async function spawn(url: URL | string, receive: (reply: Reply) => void, failed: (why: string) => void): Promise<Channel> {
  const g = globalThis as { process?: { versions?: { node?: string; deno?: string } }; Worker?: new (url: URL | string, options: { type: "module" }) => Worker };
  const node = typeof g.process?.versions?.node === "string" && g.process.versions.deno === undefined;
  if (node) {
    const spec = ["node:worker_threads"][0];                 // computed: bundlers for the web leave it alone
    const { Worker } = (await import(/* @vite-ignore */ spec)) as typeof import("node:worker_threads");
    // A worker would inherit node's options, and some of them are refused in a worker
    // (--input-type, or the process-wide options some builds of node report, such as
    // --secure-heap): it gets only the WebAssembly flags, which the module may need (relaxed
    // SIMD on Node 20).
    const argv = (globalThis as unknown as { process: { execArgv: string[] } }).process.execArgv;
    const execArgv = argv.filter((a) => /^--(no-)?(experimental-)?wasm/.test(a));
    const w = new Worker(url, { execArgv });
    w.on("message", receive);
    w.on("error", (e) => failed(`it threw ${message(e)}`));
    w.on("messageerror", (e) => failed(`a message could not be read: ${message(e)}`));
    w.on("exit", (code) => failed(`it exited (code ${code})`));
    return { post: (m, t) => w.postMessage(m, t as never[]), terminate: () => void w.terminate() };
  }
  if (typeof g.Worker !== "function") throw new RnnError("fit options.workers: this runtime has no workers (no Worker, no worker_threads)");
  const w = new g.Worker(url, { type: "module" });
  w.onmessage = (e) => receive(e.data as Reply);
  w.onerror = (e) => { e.preventDefault(); failed(`it threw ${e.message || "an error (the worker script could not be loaded?)"}`); };
  w.onmessageerror = () => failed("a message could not be read");
  return { post: (m, t) => w.postMessage(m, t), terminate: () => w.terminate() };
}

/** One worker and its requests in flight. */
class Replica {
  #channel: Channel | undefined;
  #pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  #next = 0;
  #dead: string | undefined;
  readonly index: number;

  constructor(index: number) {
    this.index = index;
  }

  async start(url: URL | string): Promise<void> {
    this.#channel = await spawn(url, (r) => this.#receive(r), (why) => this.#fail(why));
    if (this.#dead !== undefined) this.#channel.terminate();
  }

  /** Send a request; the promise settles with its reply, or rejects if the worker dies first. */
  ask(request: Unnumbered, transfer: Transferable[] = []): Promise<Reply> {
    if (this.#dead !== undefined) return Promise.reject(new RnnError(`worker ${this.index}: ${this.#dead}`));
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      try {
        this.#channel!.post({ ...request, id } as Request, transfer);
      } catch (e) {
        this.#pending.delete(id);
        reject(new RnnError(`worker ${this.index}: the request could not be posted: ${message(e)}`));
      }
    });
  }

  #receive(reply: Reply): void {
    const p = this.#pending.get(reply?.id);
    if (!p) return;
    this.#pending.delete(reply.id);
    if (reply.type === "error") p.reject(new RnnError(`worker ${this.index}: ${reply.message}`));
    else p.resolve(reply);
  }

  #fail(why: string): void {
    if (this.#dead !== undefined) return;
    this.#dead = why;
    for (const p of this.#pending.values()) p.reject(new RnnError(`worker ${this.index}: ${why}`));
    this.#pending.clear();
  }

  terminate(): void {
    this.#fail("terminated");
    this.#channel?.terminate();
  }
}

/** A promise that always resolves: to its value, or to the error it rejected with. */
const settle = <T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> =>
  p.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));

/** Await a promise from inside a training loop (drive() awaits it); its error is thrown here. */
function* wait<T>(p: Promise<T>): Generator<Step, T> {
  const r = (yield { wait: settle(p) }) as { ok: true; value: T } | { ok: false; error: unknown };
  if (!r.ok) throw r.error instanceof RnnError ? r.error : new RnnError(`workers: ${message(r.error)}`);
  return r.value;
}

/** murmur3's 32-bit finaliser. */
function fmix32(h: number): number {
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The generator state of replica w ≥ 1: the model's state mixed with w (replica 0 gets the state itself). */
export function mixRng([lo, hi]: [number, number], w: number): [number, number] {
  const a = fmix32((lo ^ Math.imul(w, 0x9e3779b9)) >>> 0);
  const b = fmix32((hi + Math.imul(w, 0x7f4a7c15) + a) >>> 0);
  return [a, b];
}

/** Sizes of the N contiguous shards of B sequences: ⌊B/N⌋ each, one more for the first B mod N. */
export function shardSizes(B: number, N: number): number[] {
  const base = Math.floor(B / N), extra = B % N;
  return Array.from({ length: N }, (_, w) => base + (w < extra ? 1 : 0));
}

const part = <T>(x: ArrayLike<T>, a: number, b: number): T[] => Array.prototype.slice.call(x, a, b) as T[];

/**
 * SharedArrayBuffer's constructor where a worker can be given one: Node.js and Deno always;
 * browsers only in a cross-origin isolated page (elsewhere they hide the constructor, or
 * refuse to post it). Looked up at each fitAsync call, not once at load.
 */
function sharedArrayBuffer(): SharedArrayBufferConstructor | undefined {
  const g = globalThis as { SharedArrayBuffer?: SharedArrayBufferConstructor; crossOriginIsolated?: boolean };
  return typeof g.SharedArrayBuffer === "function" && typeof Atomics === "object" && g.crossOriginIsolated !== false ? g.SharedArrayBuffer : undefined;
}

/**
 * One fitAsync call's shared block: a header of 1 + N step numbers (Int32), then the
 * parameters, then N gradient slots, each of n floats padded to 64 bytes so that two replicas
 * writing their slots at once do not share a cache line.
 */
class SharedBlock {
  readonly seq: Int32Array;
  readonly params: Float32Array;
  readonly #slots: Float32Array[];

  constructor(SAB: SharedArrayBufferConstructor, n: number, count: number) {
    const stride = Math.ceil(n / 16) * 64;
    const head = Math.ceil((4 * (1 + count)) / 64) * 64;
    const buffer = new SAB(head + stride * (1 + count));
    this.seq = new Int32Array(buffer, 0, 1 + count);
    this.params = new Float32Array(buffer, head, n);
    this.#slots = Array.from({ length: count }, (_, w) => new Float32Array(buffer, head + stride * (1 + w), n));
  }

  /** What replica w is given once, at init. */
  views(w: number): SharedViews {
    return { seq: this.seq, params: this.params, grads: this.#slots[w], slot: w };
  }

  /** Publish the parameters of `step` (the replicas read them after the messages that follow). */
  write(params: Float32Array, step: number): void {
    this.params.set(params);
    Atomics.store(this.seq, 0, step);
  }

  /** Replica w's gradients of `step`, in place. */
  grads(w: number, step: number): Float32Array {
    const at = Atomics.load(this.seq, 1 + w);
    if (at !== step) throw new RnnError(`worker ${w}: its shared gradient slot holds step ${at}, expected ${step}`);
    return this.#slots[w];
  }
}

/** The replicas of one fitAsync call: started on its first step, terminated by close(). */
export class DataParallel {
  readonly count: number;
  #core: Core;
  #url: URL | string;
  #replicas: Replica[] | undefined;
  #shared: SharedBlock | undefined;
  #steps = 0;
  #closed = false;
  /** Where the parameters and gradients travel, decided when the workers start. */
  memory: WorkerMemory | undefined;

  constructor(core: Core, count: number, url: URL | string = defaultWorkerUrl()) {
    this.#core = core;
    this.count = count;
    this.#url = url;
  }

  /** Start the workers and give each a replica (a promise: every one ready, or the first failure). */
  async #start(): Promise<Replica[]> {
    const module = moduleOf(this.#core.engine);
    if (module === undefined) throw new RnnError("fit options.workers: this model's engine has no compiled module to give the workers");
    const SAB = sharedArrayBuffer();
    const core = this.#core;
    const n = core.ex.model_nparams(core.ptr);
    let shared: SharedBlock | undefined;
    try {
      shared = SAB ? new SharedBlock(SAB, n, this.count) : undefined;
    } catch {
      shared = undefined;                                 // no room for (1 + N) × the parameters at once: copies, one step's worth at a time
    }
    this.#shared = shared;
    this.memory = shared ? "shared" : "copies";
    const replicas = Array.from({ length: this.count }, (_, w) => new Replica(w));
    this.#replicas = replicas;
    await Promise.all(replicas.map(async (r) => {
      await r.start(this.#url);
      if (this.#closed) return;
      await r.ask({ type: "init", module, config: core.config as ResolvedConfig, ...(shared ? { shared: shared.views(r.index) } : {}) });
    }));
    if (this.#closed) throw new RnnError("workers: closed");
    return replicas;
  }

  /** Start the workers (a loop step): before the first draw from the model, so that a failure leaves the model untouched. */
  *ready(): Generator<Step, void> {
    if (this.#replicas === undefined) yield* wait(this.#start());
  }

  /**
   * One training step of `batch` (already checked) across the replicas, as a loop step:
   * trainStep's result and errors, and trainStep's bits when N = 1.
   */
  *step(batch: Batch, options: TrainStepOptions): Generator<Step, { loss: number; finalState: Float32Array; gradNorm: number }> {
    const core = this.#core;
    const opt = resolveOptimizer(options.optimizer);
    const clip = resolveClipNorm(options.clipNorm);
    const allow = options.allowNonFinite === true;
    const replicas = this.#replicas ?? (yield* wait(this.#start()));
    const B = batch.inputs.length;
    const sizes = shardSizes(B, this.count);
    const cfg = core.config as ResolvedConfig;
    const ex = core.ex, p = core.ptr, n = ex.model_nparams(p);
    const rng = core.rng;
    const shared = this.#shared;
    const step = ++this.#steps;
    const asks: Promise<Reply>[] = [];
    const scales: number[] = [];
    shared?.write(core.f32(ex.model_params(p), n), step);
    for (let w = 0, a = 0; w < this.count && sizes[w] > 0; a += sizes[w], w++) {
      const b = a + sizes[w];
      const sw = batch.sampleWeight;
      const shard = { inputs: part(batch.inputs, a, b), targets: part(batch.targets, a, b), ...(sw !== undefined ? { sampleWeight: part(sw, a, b) } : {}) };
      const staged = stageBatch(cfg, shard, stageTargets, undefined, undefined, core.checkRoom);
      const params = shared ? undefined : core.f32(ex.model_params(p), n).slice();
      const transfer: Transferable[] = [staged.X.buffer, staged.rowLengths.buffer];
      for (const t of [params, staged.targets, staged.weights, staged.h0]) if (t) transfer.push(t.buffer);
      asks.push(replicas[w].ask({ type: "step", step, ...(params ? { params } : {}), rng: w === 0 ? rng : mixRng(rng, w), batch: staged }, transfer));
      scales.push(sizes[w] / B);
    }
    const replies = (yield* wait(Promise.all(asks))) as Done[];
    // Every replica answered: now, and only now, the model changes.
    const ex2 = core.ex;                                  // throws if the model was disposed meanwhile
    const grads = replies.map((r, w) => r.grads ?? shared?.grads(w, step) ?? new Float32Array(0));
    for (const g of grads) if (g.length !== n) throw new RnnError(`workers: a replica returned ${g.length} gradients, expected ${n}`);
    const G = core.f32(ex2.model_grads(p), n);
    const s0 = Math.fround(scales[0]), g0 = grads[0];
    for (let j = 0; j < n; j++) G[j] = s0 * g0[j];        // f32 product (exact in f64, rounded once on store)
    for (let w = 1; w < grads.length; w++) {
      const s = Math.fround(scales[w]), g = grads[w];
      for (let j = 0; j < n; j++) G[j] += Math.fround(s * g[j]);
    }
    let loss = 0;
    replies.forEach((r, w) => { loss += scales[w] * r.loss; });
    core.rng = replies[0].rng;                            // as model_train_step: the masks were drawn, whatever the update does
    const { gradNorm } = applyUpdate(core, opt, "workers", () =>
      ex2.model_apply_gradients(p, loss, clip, opt.code, opt.lr, opt.a1, opt.a2, opt.a3, opt.wd, opt.decayBiases ? 1 : 0, allow ? 1 : 0));
    return { loss, finalState: new Float32Array(0), gradNorm };
  }

  /** Terminate every worker (harmless twice; a step in flight rejects). */
  close(): void {
    this.#closed = true;
    for (const r of this.#replicas ?? []) r.terminate();
  }
}
