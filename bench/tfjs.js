// The TensorFlow.js peers: the same Elman training step (forward + full BPTT + SGD; tanh;
// softmax cross-entropy at every step; token-id input; full-length sequences), written two
// ways, each run on the wasm backend (XNNPACK, SIMD build) and on the cpu backend (plain JS):
//
//  layers  what users write: tf.sequential([simpleRNN({ returnSequences: true }),
//          timeDistributed(dense softmax)]), compile(sgd, categoricalCrossentropy),
//          trainOnBatch. The input is one-hot (B, T, n), which makes simpleRNN's kernel
//          (n×d) exactly our U: the same model and parameters. (An embedding layer instead
//          would add a d×d projection of its own; one-hot costs an extra (T·B×n)·(n×d)
//          product per pass, which the FLOP count below does not credit.) Keras averages the
//          loss over B·T where we average over B, so its learning rate is lr·T: the same update.
//  ops     the best hand-written loop: the input projection of all T·B tokens as one one-hot
//          (T·B×n)·(n×d) matMul (tf.gather would be the natural choice, but its gradient needs
//          UnsortedSegmentSum, which the wasm backend lacks and which takes ~2 s per S step on
//          the cpu backend, against ~0.1 s for the matMul), an explicit
//          loop of T steps h = tanh(E_t + h·Wᵀ) (the bias is folded into E), one matMul for the
//          output layer over all steps, tf.losses.softmaxCrossEntropy (SUM)/B, all inside
//          optimizer.minimize (SGD) so TF.js's tape does the BPTT.
//
// Data tensors are built once, outside the timed steps (as a data pipeline would); each
// timed step is one trainOnBatch / minimize call, ended by reading the loss back.

import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);

let tf;
let wasmInfo;

/**
 * Load TF.js and initialise its wasm backend from the package's own dist/ folder.
 * Records which .wasm binary the backend actually read (by watching fs reads during init).
 * @returns {Promise<{ tf: any, wasm: { binary: string, simd: boolean, threads: boolean, version: string } }>}
 */
export async function loadTfjs() {
  if (tf) return { tf, wasm: wasmInfo };
  const fs = require("node:fs");
  const read = [];
  const spies = ["readFileSync", "readFile"].map((name) => {
    const orig = fs[name];
    fs[name] = function (path, ...rest) {
      if (String(path).endsWith(".wasm")) read.push(String(path));
      return orig.call(this, path, ...rest);
    };
    return () => { fs[name] = orig; };
  });
  // Silence TF.js's "install tfjs-node" banner: this benchmark is about the pure-JS backends.
  const warn = console.warn, log = console.log;
  console.warn = console.log = () => {};
  try {
    tf = require("@tensorflow/tfjs");
    const wasmBackend = require("@tensorflow/tfjs-backend-wasm");
    const dist = join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist");
    // In Node, Emscripten reads the binary with fs; a plain path prefix (with a trailing
    // separator) works; a file:// URL does too, but a path keeps fs.readFileSync simple.
    wasmBackend.setWasmPaths(dist + (dist.endsWith("/") ? "" : "/"));
    await tf.setBackend("wasm");
    await tf.ready();
    await tf.setBackend("cpu");
    await tf.ready();
    tf.tensor([1]).square().dataSync();   // the banner is printed on first cpu use
  } finally {
    console.warn = warn;
    console.log = log;
    for (const undo of spies) undo();
  }
  const binaryPath = read.find((p) => p.includes("tfjs-backend-wasm")) ?? "(not observed)";
  wasmInfo = {
    binary: binaryPath.split(/[\\/]/).pop(),
    url: binaryPath === "(not observed)" ? null : pathToFileURL(binaryPath).href.replace(/^.*node_modules/, "node_modules"),
    simd: await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"),
    threads: await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT"),
    version: tf.version.tfjs,
  };
  return { tf, wasm: wasmInfo };
}

/** One-hot (T·B, k) float32 targets in time-major order, and ids (T·B) int32. */
function timeMajor(tf, inputs, targets, k) {
  const B = inputs.length, T = inputs[0].length;
  const ids = new Int32Array(T * B), ys = new Int32Array(T * B);
  for (let t = 0; t < T; t++) for (let i = 0; i < B; i++) { ids[t * B + i] = inputs[i][t]; ys[t * B + i] = targets[i][t]; }
  return { ids: tf.tensor1d(ids, "int32"), labels: tf.oneHot(tf.tensor1d(ys, "int32"), k).toFloat() };
}

/** Transpose a row-major (rows×cols) Float32Array. */
function transpose(a, rows, cols) {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}

/**
 * The hand-written ops loop on the current backend.
 * @param {{ n, d, k }} sizes  @param params the library's { U, W, b, V, c }  @param batch { inputs, targets }
 * @returns {{ step(): Promise<number>, loss(): number, dispose(): void }}
 */
export function makeOpsLoop(tf, { n, d, k }, params, { inputs, targets }, lr) {
  const B = inputs.length, T = inputs[0].length;
  const Ut = tf.variable(tf.tensor2d(transpose(params.U, d, n), [n, d]));   // embedding table: row x = U[:, x]
  const Wt = tf.variable(tf.tensor2d(transpose(params.W, d, d), [d, d]));
  const b = tf.variable(tf.tensor1d(params.b));
  const Vt = tf.variable(tf.tensor2d(transpose(params.V, k, d), [d, k]));
  const c = tf.variable(tf.tensor1d(params.c));
  const vars = [Ut, Wt, b, Vt, c];
  const { ids, labels } = timeMajor(tf, inputs, targets, k);
  const h0 = tf.zeros([B, d]);
  const opt = tf.train.sgd(lr);
  const X = tf.tidy(() => tf.oneHot(ids, n).toFloat());   // (T·B, n)

  const lossFn = () => {
    // (T·B, d): U x_t + b for every step at once.
    const E = tf.matMul(X, Ut).add(b);
    const Es = tf.split(E, T, 0);                 // T × (B, d)
    let h = h0;
    const hs = [];
    for (let t = 0; t < T; t++) {
      h = tf.tanh(tf.add(Es[t], tf.matMul(h, Wt)));
      hs.push(h);
    }
    const logits = tf.matMul(tf.concat(hs, 0), Vt).add(c);   // (T·B, k)
    return tf.losses.softmaxCrossEntropy(labels, logits, undefined, 0, tf.Reduction.SUM).div(B);
  };

  return {
    input: "one-hot matMul",
    /** One training step; resolves to the loss before the update. */
    async step() {
      const cost = opt.minimize(lossFn, true, vars);
      const v = cost.dataSync()[0];
      cost.dispose();
      return v;
    },
    /** The loss at the current parameters, no update. */
    loss() {
      return tf.tidy(() => lossFn().dataSync()[0]);
    },
    dispose() {
      for (const v of vars) v.dispose();
      ids.dispose(); labels.dispose(); h0.dispose(); opt.dispose(); X.dispose();
    },
  };
}

/**
 * The Layers-API model on the current backend, with our parameters loaded.
 * @returns {{ step(): Promise<number>, loss(): number, dispose(): void }}  losses on our scale (×T)
 */
export function makeLayers(tf, { n, d, k }, params, { inputs, targets }, lr) {
  const B = inputs.length, T = inputs[0].length;
  const model = tf.sequential();
  // Zero initialisers: the weights are overwritten below (and the default orthogonal one is slow).
  model.add(tf.layers.simpleRNN({
    units: d, activation: "tanh", returnSequences: true, inputShape: [T, n],
    kernelInitializer: "zeros", recurrentInitializer: "zeros",
  }));
  model.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: k, activation: "softmax" }) }));
  model.compile({ optimizer: tf.train.sgd(lr * T), loss: "categoricalCrossentropy" });
  const [rnn, dense] = model.layers;
  tf.tidy(() => {
    rnn.setWeights([tf.tensor2d(transpose(params.U, d, n), [n, d]), tf.tensor2d(transpose(params.W, d, d), [d, d]), tf.tensor1d(params.b)]);
    dense.setWeights([tf.tensor2d(transpose(params.V, k, d), [d, k]), tf.tensor1d(params.c)]);
  });
  const flatIds = new Int32Array(B * T), flatYs = new Int32Array(B * T);
  for (let i = 0; i < B; i++) for (let t = 0; t < T; t++) { flatIds[i * T + t] = inputs[i][t]; flatYs[i * T + t] = targets[i][t]; }
  const x = tf.tidy(() => tf.oneHot(tf.tensor1d(flatIds, "int32"), n).toFloat().reshape([B, T, n]));
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(flatYs, "int32"), k).toFloat().reshape([B, T, k]));
  return {
    input: "one-hot (B, T, n)",
    async step() {
      const v = await model.trainOnBatch(x, y);
      return (Array.isArray(v) ? v[0] : v) * T;
    },
    loss() {
      return tf.tidy(() => tf.metrics.categoricalCrossentropy(y, model.predict(x)).mean().dataSync()[0] * T);
    },
    dispose() {
      model.optimizer?.dispose();
      model.dispose();
      x.dispose(); y.dispose();
    },
  };
}
