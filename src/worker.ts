// dist/worker.js: one replica of a model for data-parallel training (src/parallel.ts has the
// protocol and the arithmetic). It holds its own instance of the module the caller's engine
// was compiled from (posted to it, never embedded here) and one model; for each step it takes
// the parameters, a generator state and a staged shard, runs model_gradients and answers with
// the shard's loss and its gradients. It never updates anything itself. The parameters and
// gradients are in the messages (copies), or, when init gave it views of a shared block, there:
// the parameters of the step in the block's parameters, its gradients into its own slot.

import { loadSync } from "./wasm.js";
import { Core } from "./core.js";
import type { Request, Reply, SharedViews } from "./parallel.js";

let core: Core | undefined;
let shared: SharedViews | undefined;

/** The parameters of `step` in the shared block (after the store that publishes them). */
function sharedParams(step: number): Float32Array {
  if (shared === undefined) throw new Error("a step without parameters");
  const at = Atomics.load(shared.seq, 0);
  if (at !== step) throw new Error(`the shared parameters are of step ${at}, expected ${step}`);
  return shared.params;
}

function handle(request: Request): [Reply, Transferable[]] {
  const id = request?.id;
  try {
    if (request.type === "init") {
      core?.dispose();
      core = Core.create(loadSync(request.module), request.config);
      shared = request.shared;
      const n = core.ex.model_nparams(core.ptr);
      if (shared && (shared.params.length !== n || shared.grads.length !== n)) throw new Error(`a shared block for ${shared.params.length} parameters, the model has ${n}`);
      return [{ type: "ready", id }, []];
    }
    if (request.type !== "step") throw new Error(`unknown request ${String((request as { type?: unknown }).type)}`);
    if (core === undefined) throw new Error("a step before init");
    const c = core, ex = c.ex, p = c.ptr, n = ex.model_nparams(p);
    const params = request.params ?? sharedParams(request.step);
    if (params.length !== n) throw new Error(`${params.length} parameters for a model of ${n}`);
    const { batch } = request;
    c.load(batch);                                     // may grow memory: views are taken after it
    c.f32(ex.model_params(p), n).set(params);
    ex.model_params_written(p);
    c.rng = request.rng;
    const loss = ex.model_gradients(p, batch.T, batch.B, batch.h0 ? 1 : 0);
    const G = c.f32(ex.model_grads(p), n);
    if (shared) {
      shared.grads.set(G);
      Atomics.store(shared.seq, 1 + shared.slot, request.step);   // after the floats: publishes them
      return [{ type: "done", id, loss, rng: c.rng }, []];
    }
    const grads = G.slice();
    return [{ type: "done", id, loss, grads, rng: c.rng }, [grads.buffer]];
  } catch (e) {
    return [{ type: "error", id, message: e instanceof Error ? e.message : String(e) }, []];
  }
}

// The runtime-specific part: a Web Worker (browsers, Deno) has postMessage on its global;
// a Node.js worker_threads worker has parentPort.
const scope = globalThis as unknown as { postMessage?: (m: unknown, t: Transferable[]) => void; onmessage?: (e: MessageEvent) => void };
if (typeof scope.postMessage === "function") {
  scope.onmessage = (e) => { const [reply, transfer] = handle(e.data as Request); scope.postMessage!(reply, transfer); };
} else {
  const spec = ["node:worker_threads"][0];
  void import(/* @vite-ignore */ spec).then(({ parentPort }: typeof import("node:worker_threads")) => {
    parentPort!.on("message", (m: Request) => { const [reply, transfer] = handle(m); parentPort!.postMessage(reply, transfer as never[]); });
  });
}
