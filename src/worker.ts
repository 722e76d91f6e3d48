// dist/worker.js: one replica of a model for data-parallel training (src/parallel.ts has the
// protocol and the arithmetic). It holds its own instance of the module the caller's engine
// was compiled from (posted to it, never embedded here) and one model; for each step it takes
// the parameters, a generator state and a staged shard, runs model_gradients and answers with
// the gradient copy and the shard's loss. It never updates anything itself.

import { loadSync } from "./wasm.js";
import { Core } from "./core.js";
import type { Request, Reply } from "./parallel.js";

let core: Core | undefined;

function handle(request: Request): [Reply, Transferable[]] {
  const id = request?.id;
  try {
    if (request.type === "init") {
      core?.dispose();
      core = Core.create(loadSync(request.module), request.config);
      return [{ type: "ready", id }, []];
    }
    if (request.type !== "step") throw new Error(`unknown request ${String((request as { type?: unknown }).type)}`);
    if (core === undefined) throw new Error("a step before init");
    const c = core, ex = c.ex, p = c.ptr, n = ex.model_nparams(p);
    if (request.params.length !== n) throw new Error(`${request.params.length} parameters for a model of ${n}`);
    const { batch } = request;
    c.load(batch);                                     // may grow memory: views are taken after it
    c.f32(ex.model_params(p), n).set(request.params);
    ex.model_params_written(p);
    c.rng = request.rng;
    const loss = ex.model_gradients(p, batch.T, batch.B, batch.h0 ? 1 : 0);
    const grads = c.f32(ex.model_grads(p), n).slice();
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
