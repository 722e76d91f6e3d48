// The cross-runtime fingerprint: train three small seeded models for a few steps and hash
// (SHA-256, WebCrypto) the loss of every step and the final parameters and outputs. Plain ES
// module with no imports, so Node, Deno, Chromium and an edge sandbox all load this same file:
//   const { hash } = await fingerprint(await import("rnn-wasm"), engine);
// The same seed and data must give the same hash in every runtime, bit for bit.

export const STEPS = 12;

/** mulberry32: integer arithmetic only, so the data are the same everywhere. */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (rand, m) => Math.floor(rand() * m);
const vec = (rand, n) => Array.from({ length: n }, () => rand() * 2 - 1);

// Sizes off multiples of 4 so that the SIMD bodies and their scalar tails both run.
const CASES = [
  {
    config: { input: "ids", inputSize: 11, hiddenSize: 13, outputSize: 7, task: "many-to-many", hiddenActivation: "tanh", loss: "softmax-cross-entropy", seed: 42 },
    options: { optimizer: { type: "adam", lr: 0.02 }, clipNorm: 1 },
    batch(rand) {
      const inputs = Array.from({ length: 5 }, () => Array.from({ length: 1 + int(rand, 9) }, () => int(rand, 11)));
      return { inputs, targets: inputs.map((s) => s.map((x) => x % 7)) };
    },
  },
  {
    config: { input: "dense", inputSize: 3, hiddenSize: 10, outputSize: 2, task: "many-to-one", hiddenActivation: "relu", loss: "mse", seed: 7 },
    options: { optimizer: { type: "sgd", lr: 0.05, momentum: 0.9 } },
    batch(rand) {
      const inputs = Array.from({ length: 4 }, () => Array.from({ length: 1 + int(rand, 6) }, () => vec(rand, 3)));
      return { inputs, targets: inputs.map((s) => [s.reduce((a, x) => a + x[0], 0), s[s.length - 1][1]]), h0: inputs.map(() => vec(rand, 10)) };
    },
  },
  {
    config: { input: "dense", inputSize: 5, hiddenSize: 21, outputSize: 3, task: "many-to-many", hiddenActivation: "sigmoid", loss: "sigmoid-binary-cross-entropy", seed: 2 ** 40 + 3 },
    options: { optimizer: { type: "adam", lr: 0.01 }, clipNorm: 0.5 },
    batch(rand) {
      const inputs = Array.from({ length: 3 }, () => Array.from({ length: 2 + int(rand, 7) }, () => vec(rand, 5)));
      return { inputs, targets: inputs.map((s) => s.map((x) => [x[0] > 0 ? 1 : 0, x[1] > x[2] ? 1 : 0, 0])) };
    },
  },
];

const bytes = (a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * @param lib    the rnn-wasm module namespace ({ RNN })
 * @param engine optional engine from init/initSync (default: the library's embedded module)
 * @returns { hash, losses } — hash: hex SHA-256; losses: the last loss of each case
 */
export async function fingerprint(lib, engine) {
  const parts = [];
  const last = [];
  for (const c of CASES) {
    const model = engine ? lib.RNN.createSync(c.config, engine) : await lib.RNN.create(c.config);
    const rand = mulberry32(c.config.seed % 1000);
    const losses = new Float64Array(STEPS);
    let batch;
    for (let s = 0; s < STEPS; s++) losses[s] = model.trainStep((batch = c.batch(rand)), c.options).loss;
    const p = model.parameters();
    parts.push(bytes(losses), ...["U", "W", "b", "V", "c"].map((k) => bytes(p[k])));
    for (const seq of model.predict(batch.inputs)) for (const out of seq) parts.push(bytes(out));
    last.push(losses[STEPS - 1]);
    model.dispose();
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (all.set(p, at), at + p.length), 0);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return { hash: Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join(""), losses: last };
}
