// fitAsync with workers: 1 and 2 (and none) on a small model with dropout: the SHA-256 of each
// model file after training. tests/runtimes/deno.test.js runs this in Deno (`deno run` with
// this file as the main module prints the JSON), tests/runtimes/chromium.test.js in a page
// (imported from the test server); both compare with Node's, computed in-process.
import * as lib from "../../dist/index.js";

export async function workersFingerprint({ RNN, Random } = lib) {
  const rng = new Random(3);
  const inputs = Array.from({ length: 37 }, () => Array.from({ length: 2 + rng.int(9) }, () => rng.int(11)));
  const data = { inputs, targets: inputs.map((x) => x.map((v) => (v + 1) % 11)) };
  const out = {};
  for (const workers of [0, 1, 2]) {
    const m = await RNN.create({ inputSize: 11, hiddenSize: 8, outputSize: 11, layers: 2, dropout: 0.25, seed: 4 });
    await m.fitAsync(data, { epochs: 2, batchSize: 8, ...(workers ? { workers } : {}) });
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", m.save()));
    out[workers] = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
    m.dispose();
  }
  return out;
}

if (import.meta.main) console.log(JSON.stringify(await workersFingerprint()));
