/**
 * Validation of the training core. Every bad input — to create, trainStep, computeGradients,
 * predict, forward, setParameters — throws an `RnnError` whose message names the field, what
 * was expected and what came, and the failed call leaves the model untouched: parameters()
 * and gradients() are byte-identical before and after, and a twin model that never saw the
 * failures takes the very same next training step (so the optimizer state is untouched too).
 * Sizes that cannot fit in memory are refused before anything is allocated, and a neighbour
 * model on the same engine is unaffected. A disposed model refuses every method.
 */
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { RNN, RnnError, init } from "../../dist/index.js";

// ── models under test and one valid batch for each ───────────────────────────────────────

const CONFIGS = {
  ids: { input: "ids", inputSize: 5, hiddenSize: 4, outputSize: 3, task: "many-to-many", seed: 11 },
  idsM2o: { input: "ids", inputSize: 5, hiddenSize: 4, outputSize: 3, task: "many-to-one", seed: 12 },
  bce: { input: "ids", inputSize: 5, hiddenSize: 4, outputSize: 2, loss: "sigmoid-binary-cross-entropy", seed: 13 },
  dense: { input: "dense", inputSize: 3, hiddenSize: 4, outputSize: 2, loss: "mse", seed: 14 },
};

/** A valid batch for each model: two sequences of lengths 3 and 2, with h0 (d = 4). */
const VALID = {
  ids: () => ({ inputs: [[0, 1, 2], [3, 4]], targets: [[0, 1, 2], [2, 1]] }),
  idsM2o: () => ({ inputs: [[0, 1, 2], [3, 4]], targets: [2, 0] }),
  bce: () => ({ inputs: [[0, 1, 2], [3, 4]], targets: [[[0, 1], [1, 0], [1, 1]], [[0, 0], [1, 1]]] }),
  dense: () => ({
    inputs: [[[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [-1, 0, 1]], [[1, -1, 0.5], [0, 0, 0]]],
    targets: [[[1, 2], [3, 4], [0, 1]], [[0.5, -0.5], [1, 1]]],
  }),
};
const H0 = () => [[0.1, -0.2, 0.3, -0.4], [0.5, 0.25, -0.125, 0]];

/** A batch for `kind` with one part replaced. */
const batch = (kind, patch) => ({ ...VALID[kind](), ...patch });

/** Hex of the bytes of every tensor (NaN-safe, −0-safe, bit-exact). */
function bytesOf(tensors) {
  return Object.fromEntries(Object.entries(tensors).map(([k, v]) => [k, Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("hex")]));
}
const snapshot = (m) => ({ params: bytesOf(m.parameters()), grads: bytesOf(m.gradients()), gnorm: bytesOf({ gnorm: m.stateGradientNorms() }) });

/** Run `call`, assert that it throws an RnnError whose message matches every pattern, return the message. */
function expectRnnError(call, patterns) {
  let caught;
  try {
    call();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught !== undefined, "expected the call to throw");
  assert.ok(caught instanceof RnnError, `expected an RnnError, got ${caught?.constructor?.name}: ${caught?.message}`);
  assert.equal(caught.name, "RnnError");
  for (const p of patterns) assert.match(caught.message, p, `message ${JSON.stringify(caught.message)} should match ${p}`);
  return caught.message;
}

let engine;
const models = {};
const twins = {};

before(async () => {
  engine = await init();
  for (const [kind, cfg] of Object.entries(CONFIGS)) {
    for (const set of [models, twins]) {
      const m = await RNN.create(cfg, { engine });
      // Give it an optimizer state and non-zero gradients, including ∂L/∂h0.
      m.trainStep(VALID[kind](), { optimizer: { type: "adam", lr: 0.01 }, clipNorm: 1 });
      m.computeGradients({ ...VALID[kind](), h0: H0() });
      set[kind] = m;
    }
  }
});

// ── the table: [name, model, call, patterns (field, expected, what came)] ────────────────

const opt = (kind, options) => (m) => m.trainStep(VALID[kind](), options);
const bigParams = (kind, change) => (m) => {
  const p = m.parameters();
  for (const k of Object.keys(p)) p[k] = new Float32Array(p[k].length).fill(0.25); // every tensor changed...
  change(p);                                                                     // ...and one bad value
  m.setParameters(p);
};

const CASES = [
  // token ids
  ["token id negative", "ids", (m) => m.trainStep(batch("ids", { inputs: [[0, 1, 2], [3, -1]] })), [/batch\.inputs\[1\]\[1\]/, /0\.\.4/, /-1/]],
  ["token id non-integer", "ids", (m) => m.trainStep(batch("ids", { inputs: [[0, 1.5, 2], [3, 4]] })), [/batch\.inputs\[0\]\[1\]/, /integer/, /1\.5/]],
  ["token id = n", "ids", (m) => m.computeGradients(batch("ids", { inputs: [[0, 1, 5], [3, 4]] })), [/batch\.inputs\[0\]\[2\]/, /0\.\.4/, /got 5|: 5$/]],
  ["token id > n", "idsM2o", (m) => m.trainStep(batch("idsM2o", { inputs: [[0, 1, 2], [3, 9]] })), [/batch\.inputs\[1\]\[1\]/, /0\.\.4/, /9/]],
  ["token id NaN", "ids", (m) => m.trainStep(batch("ids", { inputs: [[NaN, 1, 2], [3, 4]] })), [/batch\.inputs\[0\]\[0\]/, /0\.\.4/, /NaN/]],
  ["token id Infinity", "ids", (m) => m.trainStep(batch("ids", { inputs: [[0, 1, 2], [Infinity, 4]] })), [/batch\.inputs\[1\]\[0\]/, /0\.\.4/, /Infinity/]],
  ["token id a string", "ids", (m) => m.trainStep(batch("ids", { inputs: [[0, "1", 2], [3, 4]] })), [/batch\.inputs\[0\]\[1\]/, /integer/, /"1"/]],
  ["token id out of range in predict", "ids", (m) => m.predict([[0, 1], [2, 7]]), [/inputs\[1\]\[1\]/, /0\.\.4/, /7/]],
  ["token id out of range in forward", "idsM2o", (m) => m.forward([[-3]]), [/inputs\[0\]\[0\]/, /0\.\.4/, /-3/]],

  // dense inputs
  ["dense feature NaN", "dense", (m) => m.trainStep(batch("dense", { inputs: [[[0.1, 0.2, 0.3], [0.4, 0.5, NaN], [-1, 0, 1]], [[1, -1, 0.5], [0, 0, 0]]] })), [/batch\.inputs\[0\]\[1\]\[2\]/, /finite/, /NaN/]],
  ["dense feature +Infinity (flat form)", "dense", (m) => m.trainStep(batch("dense", { inputs: [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, -1, 0, 1], [1, -1, Infinity, 0, 0, 0]] })), [/batch\.inputs\[1\]\[2\]/, /finite/, /Infinity/]],
  ["dense feature −Infinity", "dense", (m) => m.computeGradients(batch("dense", { inputs: [[[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [-1, 0, 1]], [[-Infinity, -1, 0.5], [0, 0, 0]]] })), [/batch\.inputs\[1\]\[0\]\[0\]/, /finite/, /-Infinity/]],
  ["dense feature width too small", "dense", (m) => m.trainStep(batch("dense", { inputs: [[[0.1, 0.2, 0.3], [0.4, 0.5], [-1, 0, 1]], [[1, -1, 0.5], [0, 0, 0]]] })), [/batch\.inputs\[0\]\[1\]/, /3 features|inputSize/, /got 2|\b2\b/]],
  ["dense feature width too large", "dense", (m) => m.trainStep(batch("dense", { inputs: [[[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [-1, 0, 1]], [[1, -1, 0.5, 9], [0, 0, 0]]] })), [/batch\.inputs\[1\]\[0\]/, /3 features|inputSize/, /\b4\b/]],
  ["dense flat sequence not a multiple of n", "dense", (m) => m.trainStep(batch("dense", { inputs: [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, -1, 0], [1, -1, 0.5, 0, 0, 0]] })), [/batch\.inputs\[0\]/, /multiple of inputSize 3|inputSize/, /\b8\b/]],
  ["dense feature finite in f64, Infinity in f32", "dense", (m) => m.trainStep(batch("dense", { inputs: [[[0.1, 0.2, 0.3], [0.4, 1e39, 0.6], [-1, 0, 1]], [[1, -1, 0.5], [0, 0, 0]]] })), [/batch\.inputs\[0\]\[1\]\[1\]/, /32-bit/, /1e\+39/]],
  ["a sequence whose length is negative", "ids", (m) => m.trainStep(batch("ids", { inputs: [[0, 1, 2], { length: -1 }] })), [/batch\.inputs\[1\]/, /array/]],
  ["a bad batch bigger than any before (a new work block)", "ids", (m) => m.trainStep({ inputs: Array.from({ length: 30 }, () => [0, 1, 2, 3, 4, 0, 1, 2, 3, 9]), targets: Array.from({ length: 30 }, () => new Array(10).fill(0)) }), [/batch\.inputs\[0\]\[9\]/, /0\.\.4/, /\b9\b/]],
  ["dense NaN in predict", "dense", (m) => m.predict([[[0, NaN, 0]]]), [/inputs\[0\]\[0\]\[1\]/, /finite/, /NaN/]],

  // targets
  ["mse target NaN", "dense", (m) => m.trainStep(batch("dense", { targets: [[[1, 2], [3, NaN], [0, 1]], [[0.5, -0.5], [1, 1]]] })), [/batch\.targets\[0\]\[1\]\[1\]/, /finite/, /NaN/]],
  ["mse target +Infinity", "dense", (m) => m.trainStep(batch("dense", { targets: [[[1, 2], [3, 4], [0, 1]], [[Infinity, -0.5], [1, 1]]] })), [/batch\.targets\[1\]\[0\]\[0\]/, /finite/, /Infinity/]],
  ["mse target −Infinity", "dense", (m) => m.computeGradients(batch("dense", { targets: [[[1, 2], [3, 4], [0, 1]], [[0, -0.5], [1, -Infinity]]] })), [/batch\.targets\[1\]\[1\]\[1\]/, /finite/, /-Infinity/]],
  ["mse target beyond f32", "dense", (m) => m.trainStep(batch("dense", { targets: [[[1, 2], [3, 4], [0, 1]], [[-1e39, -0.5], [1, 1]]] })), [/batch\.targets\[1\]\[0\]\[0\]/, /32-bit/, /-1e\+39/]],
  ["mse target vector too long", "dense", (m) => m.trainStep(batch("dense", { targets: [[[1, 2], [3, 4, 5], [0, 1]], [[0.5, -0.5], [1, 1]]] })), [/batch\.targets\[0\]\[1\]/, /\b2\b.*outputSize|outputSize.*\b2\b/, /\b3\b/]],
  ["class id = k (many-to-many)", "ids", (m) => m.trainStep(batch("ids", { targets: [[0, 1, 2], [3, 1]] })), [/batch\.targets\[1\]\[0\]/, /0\.\.2/, /got 3|: 3$/]],
  ["class id negative (many-to-one)", "idsM2o", (m) => m.trainStep(batch("idsM2o", { targets: [2, -1] })), [/batch\.targets\[1\]/, /0\.\.2/, /-1/]],
  ["class id > k (many-to-one)", "idsM2o", (m) => m.computeGradients(batch("idsM2o", { targets: [8, 0] })), [/batch\.targets\[0\]/, /0\.\.2/, /8/]],
  ["class id non-integer", "idsM2o", (m) => m.trainStep(batch("idsM2o", { targets: [0.5, 0] })), [/batch\.targets\[0\]/, /integer/, /0\.5/]],
  ["class id NaN", "ids", (m) => m.trainStep(batch("ids", { targets: [[0, 1, NaN], [2, 1]] })), [/batch\.targets\[0\]\[2\]/, /0\.\.2/, /NaN/]],
  ["BCE target 0.5", "bce", (m) => m.trainStep(batch("bce", { targets: [[[0, 1], [1, 0.5], [1, 1]], [[0, 0], [1, 1]]] })), [/batch\.targets\[0\]\[1\]\[1\]/, /0 or 1/, /0\.5/]],
  ["BCE target 2", "bce", (m) => m.trainStep(batch("bce", { targets: [[[0, 1], [1, 0], [1, 1]], [[2, 0], [1, 1]]] })), [/batch\.targets\[1\]\[0\]\[0\]/, /0 or 1/, /\b2\b/]],
  ["BCE target −1", "bce", (m) => m.computeGradients(batch("bce", { targets: [[[0, 1], [1, 0], [1, -1]], [[0, 0], [1, 1]]] })), [/batch\.targets\[0\]\[2\]\[1\]/, /0 or 1/, /-1/]],
  ["more targets than inputs", "ids", (m) => m.trainStep(batch("ids", { targets: [[0, 1, 2], [2, 1], [0]] })), [/batch\.targets/, /\b2\b/, /\b3\b/]],
  ["fewer targets than inputs", "idsM2o", (m) => m.trainStep(batch("idsM2o", { targets: [1] })), [/batch\.targets/, /\b2\b/, /\b1\b/]],
  ["targets missing", "ids", (m) => m.trainStep({ inputs: [[0, 1]] }), [/batch\.targets/, /missing|expected/]],
  ["per-step targets shorter than the sequence", "ids", (m) => m.trainStep(batch("ids", { targets: [[0, 1], [2, 1]] })), [/batch\.targets\[0\]/, /\b3\b/, /\b2\b/]],
  ["per-step targets longer than the sequence", "bce", (m) => m.trainStep(batch("bce", { targets: [[[0, 1], [1, 0], [1, 1]], [[0, 0], [1, 1], [0, 1]]] })), [/batch\.targets\[1\]/, /\b2\b/, /\b3\b/]],

  // empty
  ["empty sequence", "ids", (m) => m.trainStep(batch("ids", { inputs: [[0, 1, 2], []], targets: [[0, 1, 2], []] })), [/batch\.inputs\[1\]/, /empty|at least one/]],
  ["empty dense sequence", "dense", (m) => m.trainStep(batch("dense", { inputs: [[], [[1, 2, 3]]], targets: [[], [[1, 2]]] })), [/batch\.inputs\[0\]/, /empty|at least one/]],
  ["empty batch", "ids", (m) => m.trainStep({ inputs: [], targets: [] }), [/batch\.inputs/, /empty|at least one/]],
  ["empty batch in predict", "idsM2o", (m) => m.predict([]), [/inputs/, /empty|at least one/]],
  ["inputs not an array", "ids", (m) => m.computeGradients({ inputs: 3, targets: [] }), [/batch\.inputs/, /array/, /\b3\b|number/]],

  // h0
  ["h0 NaN", "ids", (m) => m.trainStep(batch("ids", { h0: [[0, 0, 0, 0], [0, 0, NaN, 0]] })), [/batch\.h0\[1\]\[2\]/, /finite/, /NaN/]],
  ["h0 +Infinity (flat form)", "dense", (m) => m.computeGradients(batch("dense", { h0: [0, 0, 0, 0, 0, Infinity, 0, 0] })), [/batch\.h0\[5\]/, /finite/, /Infinity/]],
  ["h0 −Infinity", "bce", (m) => m.trainStep(batch("bce", { h0: [[-Infinity, 0, 0, 0], [0, 0, 0, 0]] })), [/batch\.h0\[0\]\[0\]/, /finite/, /-Infinity/]],
  ["h0 beyond f32", "ids", (m) => m.trainStep(batch("ids", { h0: [[0, 0, 0, 0], [0, 3.5e38, 0, 0]] })), [/batch\.h0\[1\]\[1\]/, /32-bit/, /3\.5e\+38/]],
  ["h0 wrong width", "ids", (m) => m.trainStep(batch("ids", { h0: [[0, 0, 0], [0, 0, 0, 0]] })), [/batch\.h0\[0\]/, /\b4\b/, /\b3\b/]],
  ["h0 wrong count", "idsM2o", (m) => m.trainStep(batch("idsM2o", { h0: [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]] })), [/batch\.h0/, /\b2\b/, /\b3\b/]],
  ["h0 wrong flat length", "dense", (m) => m.trainStep(batch("dense", { h0: [0, 0, 0, 0, 0, 0, 0] })), [/batch\.h0/, /\b8\b/, /\b7\b/]],
  ["h0 wrong width in predict", "ids", (m) => m.predict([[0, 1]], { h0: [[0, 0, 0, 0, 0]] }), [/h0\[0\]/, /\b4\b/, /\b5\b/]],

  // setParameters (every other tensor is changed too: nothing may be written)
  ["setParameters NaN in c (last tensor)", "ids", bigParams("ids", (p) => { p.c[2] = NaN; }), [/c\[2\]/, /finite/, /NaN/]],
  ["setParameters +Infinity in W", "dense", bigParams("dense", (p) => { p.W[5] = Infinity; }), [/W\[5\]/, /finite/, /Infinity/]],
  ["setParameters −Infinity in U", "idsM2o", bigParams("idsM2o", (p) => { p.U[0] = -Infinity; }), [/U\[0\]/, /finite/, /-Infinity/]],
  ["setParameters 1e39 in W (Infinity in f32)", "ids", bigParams("ids", (p) => { p.W = Array.from(p.W); p.W[3] = 1e39; }), [/W\[3\]/, /32-bit/, /1e\+39/]],
  ["setParameters V too short", "ids", bigParams("ids", (p) => { p.V = p.V.subarray(1); }), [/\bV\b/, /\b12\b/, /\b11\b/]],
  ["setParameters c too long", "bce", bigParams("bce", (p) => { p.c = [0, 0, 0]; }), [/\bc\b/, /\b2\b/, /\b3\b/]],
  ["setParameters U one value too long", "dense", bigParams("dense", (p) => { p.U = new Float32Array(4 * 3 + 1); }), [/\bU\b/, /\b12\b/, /\b13\b/]],
  ["setParameters unknown tensor", "ids", bigParams("ids", (p) => { p.weight_ih_l0 = p.U; }), [/weight_ih_l0/, /U, W, b, V, c/]],
  ["setParameters missing tensor", "ids", bigParams("ids", (p) => { delete p.b; }), [/\bb\b/, /missing|expected/, /\b4\b/]],
  ["setParameters not an object", "ids", (m) => m.setParameters(null), [/setParameters/, /U, W, b, V, c/, /null/]],

  // optimizer and clipping
  ["optimizer unknown type", "ids", opt("ids", { optimizer: { type: "rmsprop", lr: 0.01 } }), [/optimizer\.type/, /sgd.*adam|adam.*sgd/, /rmsprop/]],
  ["optimizer without type", "ids", opt("ids", { optimizer: { lr: 0.01 } }), [/optimizer\.type/, /sgd.*adam|adam.*sgd/, /undefined/]],
  ["optimizer negative lr (sgd)", "ids", opt("ids", { optimizer: { type: "sgd", lr: -0.1 } }), [/optimizer\.lr/, /≥ 0|>= 0/, /-0\.1/]],
  ["optimizer negative lr (adam)", "dense", opt("dense", { optimizer: { type: "adam", lr: -1 } }), [/optimizer\.lr/, /≥ 0|>= 0/, /-1/]],
  ["optimizer lr NaN", "idsM2o", opt("idsM2o", { optimizer: { type: "adam", lr: NaN } }), [/optimizer\.lr/, /number/, /NaN/]],
  ["optimizer momentum = 1", "ids", opt("ids", { optimizer: { type: "sgd", momentum: 1 } }), [/optimizer\.momentum/, /\[0, 1\)/, /got 1|: 1$/]],
  ["optimizer momentum > 1", "bce", opt("bce", { optimizer: { type: "sgd", lr: 0.1, momentum: 1.5 } }), [/optimizer\.momentum/, /\[0, 1\)/, /1\.5/]],
  ["optimizer momentum negative", "ids", opt("ids", { optimizer: { type: "sgd", momentum: -0.5 } }), [/optimizer\.momentum/, /\[0, 1\)/, /-0\.5/]],
  ["optimizer beta1 = 1", "ids", opt("ids", { optimizer: { type: "adam", beta1: 1 } }), [/optimizer\.beta1/, /\[0, 1\)/]],
  ["optimizer beta1 below 1 but 1 in f32", "ids", opt("ids", { optimizer: { type: "adam", beta1: 1 - 1e-9 } }), [/optimizer\.beta1/, /\[0, 1\)/, /32-bit/]],
  ["optimizer beta2 below 1 but 1 in f32", "dense", opt("dense", { optimizer: { type: "adam", beta2: 1 - 1e-10 } }), [/optimizer\.beta2/, /\[0, 1\)/, /32-bit/]],
  ["optimizer eps > 0 but 0 in f32", "ids", opt("ids", { optimizer: { type: "adam", eps: 1e-50 } }), [/optimizer\.eps/, /> 0/, /32-bit/]],
  ["optimizer lr Infinity in f32", "bce", opt("bce", { optimizer: { type: "sgd", lr: 1e39 } }), [/optimizer\.lr/, /number/, /32-bit/]],
  ["optimizer momentum below 1 but 1 in f32", "ids", opt("ids", { optimizer: { type: "sgd", momentum: 1 - 1e-9 } }), [/optimizer\.momentum/, /\[0, 1\)/, /32-bit/]],
  ["optimizer eps = 0", "ids", opt("ids", { optimizer: { type: "adam", eps: 0 } }), [/optimizer\.eps/, /> 0/]],
  ["optimizer unknown key (sgd)", "ids", opt("ids", { optimizer: { type: "sgd", lr: 0.1, nesterov: true } }), [/optimizer\.nesterov/, /unknown/]],
  ["optimizer unknown key (adam: momentum)", "dense", opt("dense", { optimizer: { type: "adam", momentum: 0.9 } }), [/optimizer\.momentum/, /unknown/]],
  ["optimizer not an object", "ids", opt("ids", { optimizer: "adam" }), [/optimizer/, /object|type/, /adam/]],
  // weight decay
  ["weightDecay negative (sgd)", "ids", opt("ids", { optimizer: { type: "sgd", weightDecay: -0.1 } }), [/optimizer\.weightDecay/, /≥ 0/, /-0\.1/]],
  ["weightDecay NaN (adamw)", "dense", opt("dense", { optimizer: { type: "adamw", weightDecay: NaN } }), [/optimizer\.weightDecay/, /number/, /NaN/]],
  ["weightDecay a string (adam)", "ids", opt("ids", { optimizer: { type: "adam", weightDecay: "0.01" } }), [/optimizer\.weightDecay/, /number/, /"0\.01"/]],
  ["weightDecay > 0 but 0 in f32", "bce", opt("bce", { optimizer: { type: "adamw", weightDecay: 1e-50 } }), [/optimizer\.weightDecay/, /32-bit/, /switch decay off/]],
  ["weightDecay Infinity in f32", "ids", opt("ids", { optimizer: { type: "sgd", weightDecay: 1e39 } }), [/optimizer\.weightDecay/, /number/, /32-bit/]],
  ["decayBiases not a boolean", "idsM2o", opt("idsM2o", { optimizer: { type: "adamw", decayBiases: 1 } }), [/optimizer\.decayBiases/, /true or false/, /got 1/]],
  ["optimizer unknown key (adamw: PyTorch's spelling)", "ids", opt("ids", { optimizer: { type: "adamw", weight_decay: 0.01 } }), [/optimizer\.weight_decay/, /unknown/, /weightDecay/]],
  ["optimizer unknown key (adamw: momentum)", "dense", opt("dense", { optimizer: { type: "adamw", momentum: 0.9 } }), [/optimizer\.momentum/, /unknown/]],
  ["clipNorm negative", "ids", opt("ids", { clipNorm: -1 }), [/clipNorm/, /≥ 0|>= 0/, /-1/]],
  ["clipNorm NaN", "idsM2o", opt("idsM2o", { clipNorm: NaN }), [/clipNorm/, /number/, /NaN/]],
  ["clipNorm Infinity", "ids", opt("ids", { clipNorm: Infinity }), [/clipNorm/, /number/, /Infinity/]],
  ["clipNorm a string", "bce", opt("bce", { clipNorm: "1" }), [/clipNorm/, /number/, /"1"/]],
  ["trainStep unknown option (a typo of clipNorm)", "ids", opt("ids", { clipnorm: 1 }), [/clipnorm/, /unknown/, /clipNorm/]],
  ["trainStep options not an object", "ids", opt("ids", 5), [/options/, /object/, /\b5\b/]],
  ["predict unknown option (a typo of h0)", "ids", (m) => m.predict([[0, 1]], { state: [[0, 0, 0, 0]] }), [/state/, /unknown/, /h0/]],

  // a bad batch with a change of optimizer: the switch (which resets the moments) must not happen
  ["bad batch given with another optimizer type", "ids", (m) => m.trainStep(batch("ids", { inputs: [[0, 1, 2], [3, 5]] }), { optimizer: { type: "sgd", lr: 0.1 } }), [/batch\.inputs\[1\]\[1\]/, /0\.\.4/, /\b5\b/]],

  // batch as a whole
  ["batch not an object", "ids", (m) => m.trainStep(null), [/batch/, /inputs/, /null/]],
];

describe("bad input throws a clear RnnError and leaves the model untouched", () => {
  for (const [name, kind, call, patterns] of CASES) {
    test(name, () => {
      const m = models[kind];
      const before = snapshot(m);
      expectRnnError(() => call(m), patterns);
      assert.deepEqual(snapshot(m), before, "parameters() and gradients() changed by a failed call");
    });
  }

  test("after all the failures, each model takes the same training step as its untouched twin", () => {
    for (const kind of Object.keys(CONFIGS)) {
      const a = models[kind], b = twins[kind];
      assert.deepEqual(snapshot(a), snapshot(b), `${kind}: state differs from the twin before the step`);
      for (const m of [a, b]) {
        m.trainStep({ ...VALID[kind](), h0: H0() }, { optimizer: { type: "adam", lr: 0.01 }, clipNorm: 1 });
        m.trainStep(VALID[kind](), { optimizer: { type: "adam", lr: 0.01 }, clipNorm: 1 });
      }
      assert.deepEqual(snapshot(a), snapshot(b), `${kind}: the failed calls changed the optimizer state or the parameters`);
    }
  });
});

// ── configuration ────────────────────────────────────────────────────────────────────────

const BASE = { inputSize: 5, hiddenSize: 4, outputSize: 3 };
const CONFIG_CASES = [
  ["input unknown", { ...BASE, input: "sparse" }, [/config\.input/, /"ids".*"dense"/, /sparse/]],
  ["task unknown", { ...BASE, task: "one-to-many" }, [/config\.task/, /"many-to-many".*"many-to-one"/, /one-to-many/]],
  ["hiddenActivation unknown", { ...BASE, hiddenActivation: "gelu" }, [/config\.hiddenActivation/, /"tanh".*"sigmoid".*"relu"/, /gelu/]],
  ["loss unknown", { ...BASE, loss: "cross-entropy" }, [/config\.loss/, /"softmax-cross-entropy"/, /"cross-entropy"/]],
  ["unknown key (typo)", { ...BASE, hidenSize: 4 }, [/config\.hidenSize/, /unknown/, /hiddenSize/]],
  ["inputSize zero", { ...BASE, inputSize: 0 }, [/config\.inputSize/, /integer/, /\b0\b/]],
  ["hiddenSize non-integer", { ...BASE, hiddenSize: 2.5 }, [/config\.hiddenSize/, /integer/, /2\.5/]],
  ["outputSize negative", { ...BASE, outputSize: -3 }, [/config\.outputSize/, /integer/, /-3/]],
  ["outputSize missing", { inputSize: 5, hiddenSize: 4 }, [/config\.outputSize/, /integer/, /undefined/]],
  ["hiddenSize a string", { ...BASE, hiddenSize: "4" }, [/config\.hiddenSize/, /integer/, /"4"/]],
  ["inputSize NaN", { ...BASE, inputSize: NaN }, [/config\.inputSize/, /integer/, /NaN/]],
  ["seed negative", { ...BASE, seed: -1 }, [/config\.seed/, /integer/, /-1/]],
  ["seed non-integer", { ...BASE, seed: 1.5 }, [/config\.seed/, /integer/, /1\.5/]],
  ["seed beyond 2^53 − 1", { ...BASE, seed: 2 ** 53 }, [/config\.seed/, /2\^53|9007199254740991/, /9007199254740992/]],
  ["seed NaN", { ...BASE, seed: NaN }, [/config\.seed/, /integer/, /NaN/]],
  ["seed a string", { ...BASE, seed: "42" }, [/config\.seed/, /integer/, /"42"/]],
  ["config not an object", null, [/config/, /object/, /null/]],
];

describe("bad configurations are refused by create and createSync", () => {
  let neighbour, before, bytes;
  test("setup: a neighbour model", async () => {
    neighbour = await RNN.create({ ...BASE, seed: 3 }, { engine });
    neighbour.trainStep(VALID.ids());
    before = snapshot(neighbour);
    bytes = engine.exports.memory.buffer.byteLength;
  });
  for (const [name, cfg, patterns] of CONFIG_CASES) {
    test(name, async () => {
      expectRnnError(() => RNN.createSync(cfg, engine), patterns);
      const err = await RNN.create(cfg, { engine }).then(() => undefined, (e) => e);
      assert.ok(err instanceof RnnError, `RNN.create: expected an RnnError, got ${err}`);
      for (const p of patterns) assert.match(err.message, p);
      assert.deepEqual(snapshot(neighbour), before);
      assert.equal(engine.exports.memory.buffer.byteLength, bytes, "a refused config allocated memory");
    });
  }
  test("the largest valid seed (2^53 − 1) is accepted", () => {
    const m = RNN.createSync({ ...BASE, seed: 2 ** 53 - 1 }, engine);
    m.dispose();
  });
});

// ── sizes that cannot fit in memory ──────────────────────────────────────────────────────

describe("sizes beyond memory throw before anything is touched", () => {
  /** A model that must stay unaffected, and a check that it is and still trains. */
  let neighbour, before;
  const trainBatch = () => ({ inputs: [[0, 1, 2, 3], [4, 3]], targets: [[1, 2, 3, 4], [0, 4]] });
  const NB = { inputSize: 5, hiddenSize: 8, outputSize: 5, seed: 21 };

  test("setup: a neighbour model created before", async () => {
    neighbour = await RNN.create(NB, { engine });
    neighbour.trainStep(trainBatch(), { optimizer: { type: "adam", lr: 0.05 } });
    before = snapshot(neighbour);
  });

  const HUGE = [
    ["inputSize 100000 × hiddenSize 100000", { inputSize: 100000, hiddenSize: 100000, outputSize: 2 }],
    ["dense inputSize 50000 × hiddenSize 20000", { input: "dense", inputSize: 50000, hiddenSize: 20000, outputSize: 2, loss: "mse" }],
    ["hiddenSize 2^24 (W alone is 2^48 floats)", { inputSize: 2, hiddenSize: 2 ** 24, outputSize: 2 }],
    ["outputSize 2^24 × hiddenSize 1024", { inputSize: 2, hiddenSize: 1024, outputSize: 2 ** 24 }],
  ];
  for (const [name, cfg] of HUGE) {
    test(`create: ${name}`, async () => {
      const bytes = engine.exports.memory.buffer.byteLength;
      expectRnnError(() => RNN.createSync(cfg, engine), [/MiB|memory/i, /\d/]);
      const err = await RNN.create(cfg, { engine }).then(() => undefined, (e) => e);
      assert.ok(err instanceof RnnError, `expected an RnnError, got ${err}`);
      assert.equal(engine.exports.memory.buffer.byteLength, bytes, "memory grew for a refused model");
      assert.deepEqual(snapshot(neighbour), before);
    });
  }

  // One row object shared by every sequence: the batch is huge for the model, not for JS.
  test("a huge batch T × B (100000 sequences × 1000 steps) on the neighbour itself", () => {
    const bytes = engine.exports.memory.buffer.byteLength;
    const row = new Int32Array(1000).fill(1);
    const inputs = new Array(100000).fill(row);
    expectRnnError(() => neighbour.trainStep({ inputs, targets: inputs }), [/100000/, /1000/, /MiB|memory/i]);
    expectRnnError(() => neighbour.predict(inputs), [/100000/, /MiB|memory/i]);
    assert.equal(engine.exports.memory.buffer.byteLength, bytes, "memory grew for a refused batch");
    assert.deepEqual(snapshot(neighbour), before);
  });

  test("a huge dense batch on another model", async () => {
    const m = await RNN.create({ input: "dense", inputSize: 512, hiddenSize: 8, outputSize: 1, loss: "mse", task: "many-to-one" }, { engine });
    const step = new Float32Array(512);
    const seq = new Array(2000).fill(step);
    const inputs = new Array(1000).fill(seq); // 1000 × 2000 × 512 floats = 4 GB of inputs
    expectRnnError(() => m.computeGradients({ inputs, targets: new Array(1000).fill([0]) }), [/1000/, /2000/, /MiB|memory/i]);
    m.dispose();
    assert.deepEqual(snapshot(neighbour), before);
  });

  test("the neighbour is unchanged and still trains", () => {
    const first = neighbour.computeGradients(trainBatch()).loss;
    let loss = first;
    for (let i = 0; i < 40; i++) loss = neighbour.trainStep(trainBatch(), { optimizer: { type: "adam", lr: 0.05 } }).loss;
    assert.ok(Number.isFinite(loss) && loss < 0.5 * first, `loss ${first} → ${loss}: the neighbour no longer trains`);
    assert.notDeepEqual(snapshot(neighbour).params, before.params);
  });
});

// ── dispose ──────────────────────────────────────────────────────────────────────────────

describe("dispose", () => {
  const CALLS = [
    ["parameters", (m) => m.parameters()],
    ["gradients", (m) => m.gradients()],
    ["setParameters", (m, p) => m.setParameters(p)],
    ["computeGradients", (m) => m.computeGradients(VALID.ids())],
    ["trainStep", (m) => m.trainStep(VALID.ids())],
    ["predict", (m) => m.predict([[0, 1]])],
    ["forward", (m) => m.forward([[0, 1]])],
    ["resetOptimizer", (m) => m.resetOptimizer()],
  ];

  test("every method called after dispose() throws an RnnError; dispose twice is harmless", async () => {
    const m = await RNN.create({ ...BASE, seed: 5 }, { engine });
    const other = await RNN.create({ ...BASE, seed: 5 }, { engine });
    m.trainStep(VALID.ids());
    other.trainStep(VALID.ids());
    const params = m.parameters();
    const otherBefore = snapshot(other);
    // Each method works before dispose.
    for (const [, call] of CALLS) call(m, params);
    m.dispose();
    assert.equal(m.disposed, true);
    for (const [name, call] of CALLS) {
      const msg = expectRnnError(() => call(m, params), [/dispose/]);
      assert.ok(msg.length > 0, name);
    }
    m.dispose();
    m.dispose();
    for (const [, call] of CALLS) expectRnnError(() => call(m, params), [/dispose/]);
    // Every method of the class, present and future, called with no arguments.
    const methods = Object.getOwnPropertyNames(RNN.prototype)
      .filter((name) => name !== "constructor" && typeof Object.getOwnPropertyDescriptor(RNN.prototype, name).value === "function");
    assert.ok(methods.length >= CALLS.length);
    for (const name of methods.filter((name) => name !== "dispose")) {
      assert.throws(() => m[name](), RnnError, `${name}() after dispose()`);
    }
    // A model on the same engine is unaffected.
    assert.deepEqual(snapshot(other), otherBefore);
    assert.ok(Number.isFinite(other.trainStep(VALID.ids()).loss));
    other.dispose();
  });
});
