// fitAsync with workers: 1 and 2 (and none) on a small model with dropout: the SHA-256 of each
// model file after training, and where the workers' parameters and gradients traveled
// (history.workers.memory). "2 copies" is workers: 2 with SharedArrayBuffer hidden, as a page
// that is not cross-origin isolated hides it: the fallback, which must give the same bits.
// tests/runtimes/deno.test.js runs this in Deno (`deno run` with this file as the main module
// prints the JSON), tests/runtimes/chromium.test.js in a page (imported from the test server);
// both compare with Node's, computed in-process.
import * as lib from "../../dist/index.js";

/** Run `f` with globalThis.SharedArrayBuffer removed (if there is one), then put it back
 * (fitAsync then falls back to copies, as on a page without cross-origin isolation). */
export async function withoutSharedMemory(f) {
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, "SharedArrayBuffer");
  delete globalThis.SharedArrayBuffer;
  try {
    return await f();
  } finally {
    if (descriptor) Object.defineProperty(globalThis, "SharedArrayBuffer", descriptor);
  }
}

export async function workersFingerprint({ RNN, Random } = lib) {
  const rng = new Random(3);
  const inputs = Array.from({ length: 37 }, () => Array.from({ length: 2 + rng.int(9) }, () => rng.int(11)));
  const data = { inputs, targets: inputs.map((x) => x.map((v) => (v + 1) % 11)) };
  const hashes = {}, memory = {};
  const runs = [["0", 0], ["1", 1], ["2", 2], ["2 copies", 2, true]];
  for (const [name, workers, copies] of runs) {
    const run = async () => {
      const m = await RNN.create({ inputSize: 11, hiddenSize: 8, outputSize: 11, layers: 2, dropout: 0.25, seed: 4 });
      const h = await m.fitAsync(data, { epochs: 2, batchSize: 8, ...(workers ? { workers } : {}) });
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", m.save()));
      hashes[name] = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
      if (workers) memory[name] = h.workers.memory;
      m.dispose();
    };
    await (copies ? withoutSharedMemory(run) : run());
  }
  return { hashes, memory };
}

if (import.meta.main) console.log(JSON.stringify(await workersFingerprint()));
