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

// ── the two peers, for one layer and for deep and bidirectional configs (issue 12: S2, E) ──
//
// The same two ways for a stack of L Elman layers, each bidirectional when asked, with an
// optional embedding table (ids input); one unidirectional layer without an embedding is the
// one-layer model above, built by the same code:
//
//  layers  tf.sequential([embedding (E) | one-hot input, L × bidirectional({ layer:
//          simpleRNN({ returnSequences: true }) }) (merge "concat": forward's d, then the
//          reverse's d, as PyTorch), timeDistributed(dense softmax)]), trainOnBatch. Keras's
//          reverse layer runs go_backwards over the full-length sequence and its outputs are
//          put back in time order: PyTorch's reverse direction. Bidirectional's weights are
//          the forward layer's [kernel, recurrent, bias] then the reverse's.
//  ops     per layer and direction one (T·B×m)·(m×d) matMul for the input projection of all
//          steps, a loop of T steps (t = 0..T−1 forward, T−1..0 reverse), the two directions
//          concatenated as the next layer's input; one matMul for the head over all steps,
//          and the loss as above.
//
// The embedding is a gather (tf.layers.embedding, or tf.gather in the ops loop). Its gradient
// is UnsortedSegmentSum, which the wasm backend does not register (TF.js 4.22): training any
// model with an embedding fails there with "Kernel 'UnsortedSegmentSum' not registered".
// registerWasmSegmentSum() supplies it: a JS loop on the wasm heap (a scatter-add of T·B rows
// of e numbers, a few µs), so the wasm backend can train the model at all; the cpu backend has
// its own. Without an embedding (S2) the input is one-hot, as in the one-layer peers.

/**
 * Why TF.js cannot be timed on this backend at this config, or null. The cpu backend's
 * UnsortedSegmentSum (the embedding's gradient) loops over the n segments, and for each one
 * materialises a masked copy of all T·B rows of e numbers and keeps it to the end of the
 * kernel: at E that is 20,000 × 1024 × 128 floats (10 GB) and about a minute per step, so the
 * cpu backend is not run with an embedding (the wasm backend gets the bench's scatter-add).
 */
export function tfjsUnsupported(backend, cfg) {
  if (backend === "cpu" && cfg.embeddingSize !== undefined) {
    const gb = (cfg.n * cfg.T * cfg.B * cfg.embeddingSize * 4) / 1e9;
    return `the cpu backend's UnsortedSegmentSum (the embedding's gradient) keeps an n×(T·B)×e intermediate (${gb.toFixed(1)} GB here)`;
  }
  return null;
}

let segmentSumRegistered = false;

/** Register UnsortedSegmentSum for the wasm backend, if it has none (see above). */
export function registerWasmSegmentSum(tf) {
  if (segmentSumRegistered || tf.getKernel("UnsortedSegmentSum", "wasm")) return;
  tf.registerKernel({
    kernelName: "UnsortedSegmentSum",
    backendName: "wasm",
    kernelFunc: ({ inputs: { x, segmentIds }, attrs: { numSegments }, backend }) => {
      const rows = segmentIds.shape.reduce((a, s) => a * s, 1);
      const size = x.shape.reduce((a, s) => a * s, 1);
      const inner = rows ? size / rows : 0;
      const out = backend.makeOutput([numSegments, ...x.shape.slice(segmentIds.shape.length)], x.dtype);
      const dst = backend.typedArrayFromHeap(out);
      const src = backend.typedArrayFromHeap(x);
      const ids = backend.typedArrayFromHeap(segmentIds);
      dst.fill(0);
      for (let r = 0; r < rows; r++) {
        const s = ids[r];
        if (s < 0 || s >= numSegments) continue;
        const o = s * inner, i0 = r * inner;
        for (let j = 0; j < inner; j++) dst[o + j] += src[i0 + j];
      }
      return out;
    },
  });
  segmentSumRegistered = true;
}

/** The rnn-wasm tensor name of U, W or b of layer ℓ and direction (the library's table). */
const pname = (base, layer, reverse) => base + (layer > 0 ? `_l${layer}` : "") + (reverse ? "_reverse" : "");

/** Layer 0's input width, and D. */
function deepShape({ n, d, layers = 1, bidirectional = false, embeddingSize }) {
  const D = bidirectional ? 2 : 1;
  return { D, L: layers, m: (l) => (l === 0 ? embeddingSize ?? n : D * d) };
}

/**
 * The Layers-API model or stack (see above) on the current backend, with our parameters loaded.
 * @param cfg { n, d, k, layers?, bidirectional?, embeddingSize? }  @param params the library's tensors by name
 * @param batch { inputs, targets }
 * @returns {{ input: string, step(): Promise<number>, loss(): number, dispose(): void }}  losses on our scale (×T)
 */
export function makeLayers(tf, cfg, params, { inputs, targets }, lr) {
  const { n, d, k, embeddingSize: e } = cfg;
  const { D, L, m } = deepShape(cfg);
  const B = inputs.length, T = inputs[0].length;
  if (e !== undefined) registerWasmSegmentSum(tf);
  const model = tf.sequential();
  if (e !== undefined) model.add(tf.layers.embedding({ inputDim: n, outputDim: e, inputLength: T, embeddingsInitializer: "zeros" }));
  const rnns = [];
  for (let l = 0; l < L; l++) {
    const cell = { units: d, activation: "tanh", returnSequences: true, kernelInitializer: "zeros", recurrentInitializer: "zeros" };
    const first = l === 0 && e === undefined ? { inputShape: [T, n] } : {};
    const layer = D === 2
      ? tf.layers.bidirectional({ layer: tf.layers.simpleRNN(cell), mergeMode: "concat", ...first })
      : tf.layers.simpleRNN({ ...cell, ...first });
    model.add(layer);
    rnns.push(layer);
  }
  model.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: k, activation: "softmax" }) }));
  model.compile({ optimizer: tf.train.sgd(lr * T), loss: "categoricalCrossentropy" });
  tf.tidy(() => {
    if (e !== undefined) model.layers[0].setWeights([tf.tensor2d(params.E, [n, e])]);
    rnns.forEach((layer, l) => {
      const w = [];
      for (let r = 0; r < D; r++) {
        w.push(tf.tensor2d(transpose(params[pname("U", l, r === 1)], d, m(l)), [m(l), d]),
          tf.tensor2d(transpose(params[pname("W", l, r === 1)], d, d), [d, d]),
          tf.tensor1d(params[pname("b", l, r === 1)]));
      }
      layer.setWeights(w);
    });
    model.layers[model.layers.length - 1].setWeights([tf.tensor2d(transpose(params.V, k, D * d), [D * d, k]), tf.tensor1d(params.c)]);
  });
  const flatIds = new Int32Array(B * T), flatYs = new Int32Array(B * T);
  for (let i = 0; i < B; i++) for (let t = 0; t < T; t++) { flatIds[i * T + t] = inputs[i][t]; flatYs[i * T + t] = targets[i][t]; }
  const x = tf.tidy(() => (e !== undefined
    ? tf.tensor2d(flatIds, [B, T], "int32")
    : tf.oneHot(tf.tensor1d(flatIds, "int32"), n).toFloat().reshape([B, T, n])));
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(flatYs, "int32"), k).toFloat().reshape([B, T, k]));
  return {
    input: e !== undefined ? `ids (B, T) → tf.layers.embedding${tf.getBackend() === "wasm" ? " (wasm: UnsortedSegmentSum supplied by the bench)" : ""}` : "one-hot (B, T, n)",
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

/**
 * The hand-written ops loop, one layer or a stack (see above), on the current backend.
 * @returns {{ input: string, step(): Promise<number>, loss(): number, dispose(): void }}
 */
export function makeOpsLoop(tf, cfg, params, { inputs, targets }, lr) {
  const { n, d, k, embeddingSize: e } = cfg;
  const { D, L, m } = deepShape(cfg);
  const B = inputs.length, T = inputs[0].length;
  if (e !== undefined) registerWasmSegmentSum(tf);
  const vars = [];
  const variable = (t) => { const v = tf.variable(t); vars.push(v); return v; };
  const Et = e !== undefined ? variable(tf.tensor2d(params.E, [n, e])) : null;
  const cells = [];
  for (let l = 0; l < L; l++) {
    const dirs = [];
    for (let r = 0; r < D; r++) {
      dirs.push({
        Ut: variable(tf.tensor2d(transpose(params[pname("U", l, r === 1)], d, m(l)), [m(l), d])),
        Wt: variable(tf.tensor2d(transpose(params[pname("W", l, r === 1)], d, d), [d, d])),
        b: variable(tf.tensor1d(params[pname("b", l, r === 1)])),
      });
    }
    cells.push(dirs);
  }
  const Vt = variable(tf.tensor2d(transpose(params.V, k, D * d), [D * d, k]));
  const c = variable(tf.tensor1d(params.c));
  const { ids, labels } = timeMajor(tf, inputs, targets, k);
  const h0 = tf.zeros([B, d]);
  const opt = tf.train.sgd(lr);
  const X = e !== undefined ? null : tf.tidy(() => tf.oneHot(ids, n).toFloat());   // (T·B, n)

  const lossFn = () => {
    let x = e !== undefined ? tf.gather(Et, ids) : X;    // (T·B, m_0), time-major
    for (let l = 0; l < L; l++) {
      const outs = cells[l].map(({ Ut, Wt, b }, r) => {
        const Es = tf.split(tf.matMul(x, Ut).add(b), T, 0);   // T × (B, d)
        const hs = new Array(T);
        let h = h0;
        for (let s = 0; s < T; s++) {
          const t = r === 1 ? T - 1 - s : s;
          h = tf.tanh(tf.add(Es[t], tf.matMul(h, Wt)));
          hs[t] = h;
        }
        return tf.concat(hs, 0);                          // (T·B, d)
      });
      x = D === 2 ? tf.concat(outs, 1) : outs[0];          // (T·B, D·d)
    }
    const logits = tf.matMul(x, Vt).add(c);                // (T·B, k)
    return tf.losses.softmaxCrossEntropy(labels, logits, undefined, 0, tf.Reduction.SUM).div(B);
  };

  return {
    input: e !== undefined ? `ids → tf.gather${tf.getBackend() === "wasm" ? " (wasm: UnsortedSegmentSum supplied by the bench)" : ""}` : "one-hot matMul",
    async step() {
      const cost = opt.minimize(lossFn, true, vars);
      const v = cost.dataSync()[0];
      cost.dispose();
      return v;
    },
    loss() {
      return tf.tidy(() => lossFn().dataSync()[0]);
    },
    dispose() {
      for (const v of vars) v.dispose();
      ids.dispose(); labels.dispose(); h0.dispose(); opt.dispose(); X?.dispose();
    },
  };
}
