/**
 * The wrapper side of issue #12 (deep and bidirectional Elman networks, an embedding, dropout):
 * - the new config keys are validated with messages that name the key and the rule;
 * - a sequence's state is S = L·D·d numbers: h0 (nested or flat), finalState, gradients().h0,
 *   forward's per-step states and the stepper all use S, and their messages say so (a
 *   one-layer model keeps its "(hiddenSize)" messages);
 * - stepper(), generate(), trainTruncated, truncatedGradients and fit({ tbptt }) refuse a
 *   bidirectional model, naming "bidirectional", before anything happens; deep forward-only
 *   models stream and truncate with the S-number state;
 * - summary() has a line for layers/directions, the embedding and dropout, only when not the
 *   default;
 * - model files: a deep config round-trips (config fields, tensors, optimizer state), and a
 *   file whose tensors do not match its deep config is refused by tensor name;
 * - interop: PyTorch keys for L = 2 bidirectional with an embedding, in state_dict order; a
 *   PyTorch-style file imports with layers, directions and the embedding inferred from its
 *   keys; wrong or missing tensors are refused by name; the Keras layout refuses deep or
 *   bidirectional models and says why;
 * - the CLI's --layers, --bidirectional, --embedding and --dropout: validated, in --help, kept
 *   by --resume; generate refuses a bidirectional model.
 * Numerical proofs (gradients against the f64 reference, PyTorch fixtures) live elsewhere.
 *
 * Tests that run a deep model need the layer kernels (ABI 5); on an older rnn.wasm they are
 * skipped, with that reason.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  RNN, RnnError, Random, init, trainTruncated, truncatedGradients, exportSafetensors, importSafetensorsSync,
  readSafetensors, readTensor, writeSafetensors,
} from "../../dist/index.js";
import { runMain as run } from "../cli/support.js";

const engine = await init();
const DEEP = typeof engine.exports.model_tensor_count === "function";
const needsKernels = DEEP ? false : "needs the layer kernels (ABI 5, issue #12)";

const throwsRnn = (fn, re) => assert.throws(fn, (e) => e instanceof RnnError && re.test(e.message), `expected an RnnError matching ${re}`);
const BASE = { inputSize: 7, hiddenSize: 3, outputSize: 4, seed: 5 };
const make = (extra) => RNN.createSync({ ...BASE, ...extra }, engine);

function ragged(rng, lengths, n, k) {
  const inputs = lengths.map((len) => Array.from({ length: len }, () => rng.int(n)));
  return { inputs, targets: inputs.map((s) => s.map(() => rng.int(k))) };
}

// ── config ──────────────────────────────────────────────────────────────────────────────

test("the new config keys are validated, naming the key and the rule", () => {
  const bad = [
    [{ layers: 0 }, /config\.layers: expected an integer in 1\.\.64, got 0/],
    [{ layers: 65 }, /config\.layers: expected an integer in 1\.\.64, got 65/],
    [{ layers: 1.5 }, /config\.layers: expected an integer in 1\.\.64/],
    [{ layers: "2" }, /config\.layers: expected an integer in 1\.\.64/],
    [{ bidirectional: "yes" }, /config\.bidirectional/],
    [{ bidirectional: 1 }, /config\.bidirectional/],
    [{ embeddingSize: 0 }, /config\.embeddingSize: expected an integer/],
    [{ embeddingSize: 4, input: "dense" }, /config\.embeddingSize: only for input "ids"/],
    [{ dropout: 0.5 }, /config\.dropout: .*needs layers ≥ 2; this config has layers = 1/],
    [{ dropout: 1, layers: 2 }, /config\.dropout: expected a number in \[0, 1\)/],
    [{ dropout: -0.1, layers: 2 }, /config\.dropout: expected a number in \[0, 1\)/],
    [{ dropout: NaN, layers: 2 }, /config\.dropout: expected a number in \[0, 1\)/],
    [{ dropout: 1 - 1e-9, layers: 2 }, /config\.dropout: expected a number in \[0, 1\)/],   // 1 as a 32-bit float
    [{ layer: 2 }, /config\.layer: unknown option/],
  ];
  for (const [extra, re] of bad) throwsRnn(() => make(extra), re);
  const m = make({ layers: 3, bidirectional: true, embeddingSize: 2, dropout: 0.25 });
  assert.deepEqual([m.config.layers, m.config.bidirectional, m.config.embeddingSize, m.config.dropout], [3, true, 2, 0.25]);
  m.dispose();
  const one = make({});
  assert.deepEqual([one.config.layers, one.config.bidirectional, one.config.dropout, "embeddingSize" in one.config], [1, false, 0, false]);
  one.dispose();
});

// ── the state: S = L·D·d ─────────────────────────────────────────────────────────────────

test("h0 is B vectors of stateSize numbers (or B·S flat); messages name stateSize only when S ≠ d", () => {
  const one = make({});
  throwsRnn(() => one.forward([[1, 2]], { h0: [[0, 0]] }), /^h0\[0\]: expected 3 numbers \(hiddenSize\), got 2$/);
  throwsRnn(() => one.forward([[1, 2], [3]], { h0: [0, 0, 0] }), /^h0: expected 2 vectors of 3 numbers \(hiddenSize\), or 6 numbers, got 3 entries$/);
  one.dispose();
  const deep = make({ layers: 2, bidirectional: true });            // S = 2 × 2 × 3 = 12
  throwsRnn(() => deep.forward([[1, 2]], { h0: [[0, 0, 0]] }), /^h0\[0\]: expected 12 numbers \(stateSize = layers × directions × hiddenSize = 2 × 2 × 3\), got 3$/);
  throwsRnn(() => deep.forward([[1, 2], [3]], { h0: new Float32Array(6) }), /^h0: expected 2 vectors of 12 numbers \(stateSize = layers × directions × hiddenSize = 2 × 2 × 3\), or 24 numbers, got 6 entries$/);
  throwsRnn(() => deep.computeGradients({ inputs: [[1]], targets: [[0]], h0: [new Array(11).fill(0)] }), /^batch\.h0\[0\]: expected 12 numbers \(stateSize/);
  const h0 = new Array(24).fill(0);
  h0[17] = NaN;
  throwsRnn(() => deep.predict([[1, 2], [3]], { h0 }), /^h0\[17\]: expected a finite/);
  deep.dispose();
  const stack = make({ layers: 3 });                                  // forward-only: S = 3 × 1 × 3 = 9
  throwsRnn(() => stack.forward([[1]], { h0: [0, 0, 0] }), /expected 1 vectors of 9 numbers \(stateSize = layers × directions × hiddenSize = 3 × 1 × 3\), or 9 numbers, got 3 entries/);
  throwsRnn(() => stack.stepper({ h0: [0, 0, 0] }), /^stepper h0: expected 9 numbers \(stateSize = layers × directions × hiddenSize = 3 × 1 × 3\), got 3$/);
  stack.dispose();
});

test("finalState, forward's states and gradients().h0 hold S numbers per sequence, in the caller's order", { skip: needsKernels }, () => {
  const rng = new Random(3);
  for (const extra of [{ layers: 2 }, { layers: 2, bidirectional: true, embeddingSize: 2 }, { bidirectional: true }]) {
    const m = make(extra);
    const S = m.config.layers * (m.config.bidirectional ? 2 : 1) * m.config.hiddenSize;
    const lengths = [2, 5, 3];
    const { inputs, targets } = ragged(rng, lengths, 7, 4);
    const h0 = Array.from({ length: 3 }, () => Array.from({ length: S }, () => rng.next() - 0.5));
    const f = m.forward(inputs, { h0, states: true });
    assert.equal(f.finalState.length, 3 * S);
    f.states.forEach((steps, i) => {
      assert.equal(steps.length, lengths[i]);
      for (const s of steps) assert.equal(s.length, S);
      // Each sequence alone: the same final state (its place in the caller's order, not the sorted one).
      const alone = m.forward([inputs[i]], { h0: [h0[i]] });
      assert.deepEqual(Array.from(f.finalState.subarray(i * S, (i + 1) * S)), Array.from(alone.finalState));
      // A forward slot's final state is its state at the last step; a reverse slot's, at step 0.
      const D = m.config.bidirectional ? 2 : 1, d = m.config.hiddenSize;
      for (let slot = 0; slot < S / d; slot++) {
        const t = slot % D === 1 ? 0 : lengths[i] - 1;
        assert.deepEqual(Array.from(steps[t].subarray(slot * d, (slot + 1) * d)), Array.from(alone.finalState.subarray(slot * d, (slot + 1) * d)), `slot ${slot}`);
      }
    });
    const flat = Float32Array.from(h0.flat());
    assert.deepEqual(Array.from(m.forward(inputs, { h0: flat }).finalState), Array.from(f.finalState), "flat h0 = nested h0");
    m.computeGradients({ inputs, targets, h0 });
    assert.equal(m.gradients().h0.length, 3 * S);
    m.dispose();
  }
});

// ── forward-only uses ────────────────────────────────────────────────────────────────────

test("stepper, generate and truncated BPTT refuse a bidirectional model, naming it, and change nothing", () => {
  const m = make({ layers: 2, bidirectional: true, inputSize: 6, outputSize: 6 });
  const before = DEEP ? m.save() : undefined;     // (an older rnn.wasm cannot read a deep model's tensors)
  const data = { inputs: [[1, 2, 3], [4, 5]], targets: [[2, 3, 4], [5, 0]] };
  const refusals = [
    [() => m.stepper(), /^stepper: this model is bidirectional; streaming needs a forward-only model \(the reverse direction reads each sequence from its end\)$/],
    [() => m.generate({ prefix: [1], maxLength: 3 }), /^generate: this model is bidirectional; generation needs a forward-only model/],
    [() => trainTruncated(m, data, 2), /^tbptt: this model is bidirectional; truncated BPTT needs a forward-only model \(/],
    [() => truncatedGradients(m, data, 2), /^tbptt: this model is bidirectional; truncated BPTT/],
    [() => m.fit(data, { epochs: 1, tbptt: 2 }), /^fit options\.tbptt: this model is bidirectional; truncated BPTT/],
  ];
  for (const [fn, re] of refusals) throwsRnn(fn, re);
  if (DEEP) assert.deepEqual(m.save(), before, "nothing changed: parameters, optimizer, generator");
  m.dispose();
});

test("a deep forward-only model streams, generates and truncates with its S-number state", { skip: needsKernels }, () => {
  const m = make({ layers: 2, inputSize: 6, outputSize: 6, embeddingSize: 3 });
  const seq = [1, 4, 2, 5, 3];
  const whole = m.forward([seq]);
  const s = m.stepper();
  assert.equal(s.state.length, 6);
  seq.forEach((x, t) => assert.deepEqual(Array.from(s.step(x)), Array.from(whole.outputs[0][t]), `step ${t}`));
  assert.deepEqual(Array.from(s.state), Array.from(whole.finalState));
  const mark = s.snapshot();
  s.step(0);
  s.restore(mark);
  assert.deepEqual(Array.from(s.state), Array.from(whole.finalState));
  assert.equal(m.generate({ prefix: [1], maxLength: 4, eos: null }).ids.length, 4);
  // K ≥ T: exactly computeGradients.
  const data = { inputs: [seq, [2, 3]], targets: [[4, 2, 5, 3, 0], [3, 1]] };
  const t = truncatedGradients(m, data, 8);
  m.computeGradients(data);
  const g = m.gradients();
  for (const name of Object.keys(t.gradients)) assert.deepEqual(Array.from(t.gradients[name]), Array.from(g[name]), name);
  assert.equal(trainTruncated(m, data, 2).finalState.length, 2 * 6);
  m.dispose();
});

// ── summary ──────────────────────────────────────────────────────────────────────────────

test("summary(): a line each for layers, bidirectional, embeddingSize and dropout, only when not the default", () => {
  const one = make({});
  assert.doesNotMatch(one.summary(), /layers|bidirectional|embedding|dropout/);
  one.dispose();
  const m = make({ layers: 2, bidirectional: true, embeddingSize: 2, dropout: 0.25 });
  const lines = m.summary().split("\n");
  assert.equal(lines[0], "RNN: ids input, n = 7, d = 3, k = 4; many-to-many, tanh, softmax-cross-entropy");
  assert.deepEqual(lines.slice(1, 5), [
    "layers: 2",
    "bidirectional: true",
    "embeddingSize: 2",
    "dropout: 0.25",
  ]);
  assert.deepEqual(lines.slice(5, 19).map((l) => l.trim().split(/\s+/)[0]),
    ["E", "U", "W", "b", "U_reverse", "W_reverse", "b_reverse", "U_l1", "W_l1", "b_l1", "U_l1_reverse", "W_l1_reverse", "b_l1_reverse", "V"]);
  assert.ok(lines.includes("  U_l1  d×2d = 3×6: 18") && lines.includes("  V  k×2d = 4×6: 24") && lines.includes("  E  n×e = 7×2: 14"), lines.join("\n"));
  m.dispose();
  const fwd = make({ layers: 3 });
  assert.match(fwd.summary(), /\nlayers: 3\n  U  d×n/);
  fwd.dispose();
});

// ── model files ──────────────────────────────────────────────────────────────────────────

/** A model file written by hand: the format's metadata and these tensors. */
function modelFile(config, tensors, optimizer = { type: null, step: 0 }) {
  return writeSafetensors(tensors.map(([name, shape]) => [name, { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.01) }]), {
    format: "rnn-wasm", version: "1", config: JSON.stringify(config), optimizer: JSON.stringify(optimizer), rng: "0123456789abcdef",
  });
}
const CFG2 = { input: "ids", inputSize: 5, hiddenSize: 2, outputSize: 3, task: "many-to-many", hiddenActivation: "tanh", loss: "softmax-cross-entropy", seed: 0, layers: 2, bidirectional: true };
const TABLE2 = [["U", [2, 5]], ["W", [2, 2]], ["b", [2]], ["U_reverse", [2, 5]], ["W_reverse", [2, 2]], ["b_reverse", [2]],
  ["U_l1", [2, 4]], ["W_l1", [2, 2]], ["b_l1", [2]], ["U_l1_reverse", [2, 4]], ["W_l1_reverse", [2, 2]], ["b_l1_reverse", [2]], ["V", [3, 4]], ["c", [3]]];

test("model files: a deep config's tensors are checked by name and shape before anything is allocated", async () => {
  const rejects = (bytes, re) => assert.rejects(RNN.load(bytes, { engine }), (e) => e instanceof RnnError && re.test(e.message), `expected ${re}`);
  await rejects(modelFile(CFG2, TABLE2.filter(([n]) => n !== "W_l1_reverse")), /^RNN\.load: tensor "W_l1_reverse" is missing$/);
  await rejects(modelFile(CFG2, TABLE2.map(([n, s]) => [n, n === "U_l1" ? [2, 2] : s])), /^RNN\.load: tensor "U_l1" must have shape \[2, 4\] \(from the config\), got \[2, 2\]$/);
  await rejects(modelFile({ ...CFG2, bidirectional: false }, TABLE2), /^RNN\.load: unexpected tensor "U_reverse" \(this config's model holds U, W, b, U_l1, W_l1, b_l1, V, c\)$/);
  await rejects(modelFile({ ...CFG2, layers: 1, dropout: 0.5 }, TABLE2), /^RNN\.load: metadata "config": config\.dropout: .*needs layers ≥ 2/);
  await rejects(modelFile({ ...CFG2, layers: 0 }, TABLE2), /^RNN\.load: metadata "config": config\.layers: expected an integer in 1\.\.64, got 0$/);
  await rejects(modelFile({ ...CFG2, embeddingSize: 2 }, TABLE2), /^RNN\.load: tensor "E" is missing$/);
});

test("model files: a deep config round-trips exactly (config fields, every tensor, optimizer state, generator)", { skip: needsKernels }, async () => {
  const rng = new Random(11);
  const m = make({ layers: 2, bidirectional: true, embeddingSize: 2, dropout: 0.3 });
  const data = ragged(rng, [4, 2, 3], 7, 4);
  m.trainStep(data, { optimizer: { type: "adam", lr: 0.01 } });
  const bytes = m.save();
  const file = readSafetensors(bytes);
  const config = JSON.parse(file.metadata.config);
  assert.deepEqual([config.layers, config.bidirectional, config.embeddingSize, config.dropout], [2, true, 2, 0.3]);
  assert.deepEqual([...file.tensors.keys()].slice(0, 3), ["E", "U", "W"]);
  assert.ok(file.tensors.has("optimizer.v.U_l1_reverse"));
  const back = await RNN.load(bytes, { engine });
  assert.deepEqual(back.config, m.config);
  assert.deepEqual(back.save(), bytes, "the same bytes again");
  // Training resumes exactly (dropout masks from the restored generator included).
  const next = ragged(rng, [3, 3], 7, 4);
  assert.equal(back.trainStep(next).loss, m.trainStep(next).loss);
  assert.deepEqual(back.parameters(), m.parameters());
  m.dispose(); back.dispose();
  // A one-layer model's file carries none of the layer fields.
  const one = make({});
  assert.deepEqual(Object.keys(JSON.parse(readSafetensors(one.save()).metadata.config)), ["input", "inputSize", "hiddenSize", "outputSize", "task", "hiddenActivation", "loss", "seed"]);
  one.dispose();
});

// ── interop ──────────────────────────────────────────────────────────────────────────────

/** PyTorch's state_dict keys of Embedding(n, e) + RNN(e, d, num_layers = 2, bidirectional) + Linear(2d, k). */
const TORCH_KEYS = ["embedding.weight",
  ...[0, 1].flatMap((l) => ["", "_reverse"].flatMap((r) => ["weight_ih", "weight_hh", "bias_ih", "bias_hh"].map((w) => `rnn.${w}_l${l}${r}`))),
  "fc.weight", "fc.bias"];

/** A PyTorch-style file for n, e, d, k (as torch.save → safetensors would write the state_dict). */
function torchFile({ n = 7, e = 2, d = 3, k = 4, drop = [], reshape = {}, seed = 1 } = {}) {
  const rng = new Random(seed);
  const shapes = {
    "embedding.weight": [n, e], "fc.weight": [k, 2 * d], "fc.bias": [k],
  };
  for (const l of [0, 1]) for (const r of ["", "_reverse"]) {
    Object.assign(shapes, { [`rnn.weight_ih_l${l}${r}`]: [d, l === 0 ? e : 2 * d], [`rnn.weight_hh_l${l}${r}`]: [d, d], [`rnn.bias_ih_l${l}${r}`]: [d], [`rnn.bias_hh_l${l}${r}`]: [d] });
  }
  Object.assign(shapes, reshape);
  const tensors = TORCH_KEYS.filter((key) => !drop.includes(key)).map((key) => {
    const shape = shapes[key];
    return [key, { shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 2 * rng.next() - 1) }];
  });
  return { bytes: writeSafetensors(tensors), tensors: Object.fromEntries(tensors) };
}

test("interop: a PyTorch file with wrong or missing tensors is refused by name, before any model is made", () => {
  const rejects = (file, re, options = {}) => throwsRnn(() => importSafetensorsSync(file.bytes ?? file, engine, options), re);
  rejects(torchFile({ drop: ["rnn.weight_hh_l1_reverse"] }), /^importSafetensors: tensor "rnn\.weight_hh_l1_reverse" is missing: the file's tensors make a 2-layer bidirectional RNN .*every layer needs weight_ih and weight_hh in both directions$/);
  rejects(torchFile({ drop: ["rnn.weight_ih_l0_reverse"] }), /tensor "rnn\.weight_ih_l0_reverse" is missing: .*2-layer bidirectional/);
  rejects(torchFile({ reshape: { "rnn.weight_ih_l1": [3, 3] } }), /^importSafetensors: tensor "rnn\.weight_ih_l1" must have shape \[3, 6\] \(layer 1 reads layer 0's two directions, 2d features\), got \[3, 3\]$/);
  rejects(torchFile({ reshape: { "rnn.weight_ih_l0": [3, 4] } }), /^importSafetensors: tensor "rnn\.weight_ih_l0" must have shape \[3, 2\] \(its columns are the embedding's e = 2, from "embedding\.weight"\), got \[3, 4\]$/);
  rejects(torchFile({ reshape: { "fc.weight": [4, 3] } }), /^importSafetensors: tensor "fc\.weight" must have shape \[4, 6\] \(the head reads both directions' states, 2d\), got \[4, 3\]$/);
  rejects(torchFile({ reshape: { "rnn.bias_ih_l1_reverse": [2] } }), /tensor "rnn\.bias_ih_l1_reverse" must have shape \[3\]/);
  rejects(torchFile({ reshape: { "embedding.weight": [7] } }), /tensor "embedding\.weight" must have 2 dimensions/);
  rejects(torchFile(), /config\.layers is 3 but the tensors have 2 layers/, { config: { layers: 3 } });
  rejects(torchFile(), /config\.bidirectional is false but the tensors are bidirectional/, { config: { bidirectional: false } });
  rejects(torchFile(), /config\.embeddingSize is 5 but "embedding\.weight" has e = 2/, { config: { embeddingSize: 5 } });
  rejects(torchFile(), /config\.input is "dense" but the file has an embedding \("embedding\.weight"\), which reads token ids/, { config: { input: "dense" } });
  rejects(torchFile({ drop: ["embedding.weight"], reshape: { "rnn.weight_ih_l0": [3, 7], "rnn.weight_ih_l0_reverse": [3, 7] } }), /config\.embeddingSize is 2 but the file has no embedding/, { config: { embeddingSize: 2 } });
  rejects(torchFile(), /config\.dropout: expected a number in \[0, 1\)/, { config: { dropout: 1.5 } });
  // A layer suffix past the largest stack.
  const { tensors } = torchFile();
  rejects(writeSafetensors([...Object.entries(tensors), ["rnn.weight_ih_l64", { shape: [1], data: new Float32Array(1) }]]), /tensor "rnn\.weight_ih_l64" is of layer 64; a model has at most 64 layers/);
  // Keras: one SimpleRNN only.
  rejects(torchFile(), /config\.layers is 2, but layout "keras" holds one SimpleRNN layer .*Keras does not document the weight names of stacked or Bidirectional SimpleRNN layers/, { layout: "keras", config: { layers: 2 } });
  rejects(torchFile(), /config\.bidirectional is true, but layout "keras"/, { layout: "keras", config: { bidirectional: true } });
  throwsRnn(() => importSafetensorsSync(torchFile().bytes, engine, { embeddingPrefix: 3 }), /embeddingPrefix: expected a string/);
});

test("interop: the Keras layout refuses a deep or bidirectional model on export, saying why", () => {
  for (const extra of [{ layers: 2 }, { bidirectional: true }]) {
    const m = make(extra);
    throwsRnn(() => exportSafetensors(m, { layout: "keras" }), /^exportSafetensors: this model has .*; layout "keras" holds one SimpleRNN layer .*use layout "pytorch"/);
    m.dispose();
  }
});

test("interop: PyTorch keys for L = 2 bidirectional with an embedding, and a PyTorch state_dict imports", { skip: needsKernels }, () => {
  const { bytes, tensors } = torchFile();
  const m = importSafetensorsSync(bytes, engine, { config: { task: "many-to-many" } });
  assert.deepEqual([m.config.inputSize, m.config.embeddingSize, m.config.hiddenSize, m.config.outputSize, m.config.layers, m.config.bidirectional], [7, 2, 3, 4, 2, true]);
  const p = m.parameters();
  const f32 = (a) => Array.from(Float32Array.from(a));
  assert.deepEqual(f32(p.E), f32(tensors["embedding.weight"].data));
  for (const [name, key] of [["U", "l0"], ["W_reverse", "l0_reverse"], ["U_l1", "l1"], ["W_l1_reverse", "l1_reverse"]]) {
    assert.deepEqual(f32(p[name]), f32(tensors[`rnn.weight_${name.startsWith("U") ? "ih" : "hh"}_${key}`].data), name);
  }
  const sum = (key) => tensors[`rnn.bias_ih_${key}`].data.map((x, i) => Math.fround(x + tensors[`rnn.bias_hh_${key}`].data[i]));
  assert.deepEqual(f32(p.b_l1_reverse), f32(sum("l1_reverse")), "b = bias_ih + bias_hh");
  assert.deepEqual(f32(p.V), f32(tensors["fc.weight"].data));
  // Export: PyTorch's keys in state_dict order, bias_hh zeros, and back to the same model.
  const out = readSafetensors(exportSafetensors(m));
  assert.deepEqual([...out.tensors.keys()], TORCH_KEYS);
  assert.deepEqual(Array.from(readTensor(out, "rnn.bias_hh_l1")), [0, 0, 0]);
  assert.deepEqual(out.tensors.get("rnn.weight_ih_l1_reverse").shape, [3, 6]);
  const config = JSON.parse(out.metadata["rnn-wasm.config"]);
  assert.deepEqual([config.layers, config.bidirectional, config.embeddingSize], [2, true, 2]);
  const again = importSafetensorsSync(exportSafetensors(m), engine);
  assert.deepEqual(again.parameters(), p);
  assert.deepEqual(again.config, m.config);
  // Other prefixes.
  const renamed = exportSafetensors(m, { prefix: "enc.", headPrefix: "out.", embeddingPrefix: "emb." });
  assert.deepEqual([...readSafetensors(renamed).tensors.keys()].slice(0, 2), ["emb.weight", "enc.weight_ih_l0"]);
  assert.deepEqual(importSafetensorsSync(renamed, engine, { prefix: "enc.", headPrefix: "out.", embeddingPrefix: "emb." }).parameters(), p);
  m.dispose(); again.dispose();
  // The real PyTorch fixtures' keys import (their numbers are checked by the fixture suites).
  for (const [file, want] of [["torch_deep.safetensors", [11, 5, 6, 3, 2, true]], ["torch_deep_dense.safetensors", [7, undefined, 5, 3, 3, true]]]) {
    const fx = importSafetensorsSync(readFileSync(new URL(`../fixtures/${file}`, import.meta.url)), engine, file.includes("dense") ? { config: { input: "dense" } } : {});
    const c = fx.config;
    assert.deepEqual([c.inputSize, c.embeddingSize, c.hiddenSize, c.outputSize, c.layers, c.bidirectional], want, file);
    fx.dispose();
  }
});

test("interop: a one-layer model's export is as before (keys and metadata without layer fields)", () => {
  const m = make({});
  const out = readSafetensors(exportSafetensors(m));
  assert.deepEqual([...out.tensors.keys()], ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "fc.weight", "fc.bias"]);
  assert.deepEqual(Object.keys(JSON.parse(out.metadata["rnn-wasm.config"])), ["input", "inputSize", "hiddenSize", "outputSize", "task", "hiddenActivation", "loss", "seed"]);
  const keras = readSafetensors(exportSafetensors(m, { layout: "keras" }));
  assert.deepEqual([...keras.tensors.keys()], ["simple_rnn.kernel", "simple_rnn.recurrent_kernel", "simple_rnn.bias", "dense.kernel", "dense.bias"]);
  m.dispose();
});

// ── CLI ──────────────────────────────────────────────────────────────────────────────────

test("CLI: --layers, --bidirectional, --embedding, --dropout are in --help and validated before any file is read", async () => {
  const help = (await run(["train", "--help"])).stdout;
  for (const flag of ["--layers N", "--bidirectional", "--embedding E", "--dropout P"]) assert.ok(help.includes(flag), flag);
  const usage = [
    [["--layers", "0"], /^rnn-wasm train: --layers: expected an integer ≥ 1, got "0"\n$/],
    [["--layers", "65"], /^rnn-wasm train: --layers: expected an integer ≤ 64, got "65"\n$/],
    [["--layers", "two"], /--layers: expected an integer ≥ 1, got "two"/],
    [["--embedding", "0"], /--embedding: expected an integer ≥ 1, got "0"/],
    [["--dropout", "0.5"], /--dropout acts between layers: it needs --layers 2 or more \(got --layers 1\)/],
    [["--dropout", "1", "--layers", "2"], /--dropout: expected a number ≥ 0 and < 1/],
    [["--dropout=-0.1", "--layers", "2"], /--dropout: expected a number ≥ 0/],
    [["--bidirectional", "--task", "lm"], /--bidirectional is not for --task lm: a language model predicts each next token, which the reverse direction would read/],
    [["--embedding", "4", "--task", "series"], /--embedding is for tasks that read word ids \(tag, classify, lm\), not series/],
  ];
  for (const [flags, re] of usage) {
    const args = ["train", "--task", "tag", "--data", "no-such-file.txt", ...flags];
    const task = flags.indexOf("--task");
    if (task >= 0) args.splice(2, 1, flags[task + 1]);
    const r = await run(args);
    assert.equal(r.code, 2, `${flags.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  // The same keys in a config file, checked the same way.
  const dir = mkdtempSync(join(tmpdir(), "rnn-wasm-deep-cli-"));
  try {
    writeFileSync(join(dir, "run.json"), JSON.stringify({ task: "tag", data: "x.txt", layers: 2, bidirectional: "yes" }));
    const r = await run(["train", "--config", join(dir, "run.json")]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bidirectional: expected true or false, got "yes"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("CLI: train a 2-layer bidirectional tagger with an embedding; --resume keeps its stack; generate refuses a bidirectional model", { skip: needsKernels }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "rnn-wasm-deep-cli-"));
  try {
    const data = join(dir, "tagged.txt");
    writeFileSync(data, "the/DT cat/NN sat/VBD\na/DT dog/NN ran/VBD\nthe/DT dog/NN sat/VBD\n");
    const model = join(dir, "tagger.rnn");
    const flags = ["--layers", "2", "--bidirectional", "--embedding", "4", "--dropout", "0.1", "--hidden", "8", "--epochs", "1", "--quiet"];
    let r = await run(["train", "--task", "tag", "--data", data, "--model", model, ...flags]);
    assert.equal(r.code, 0, r.stderr);
    const loaded = await RNN.load(readFileSync(model), { engine });
    assert.deepEqual([loaded.config.layers, loaded.config.bidirectional, loaded.config.embeddingSize, loaded.config.dropout], [2, true, 4, 0.1]);
    loaded.dispose();
    const recipe = JSON.parse(readFileSync(`${model}.json`, "utf8"));
    assert.deepEqual([recipe.model.layers, recipe.model.bidirectional, recipe.model.embeddingSize], [2, true, 4]);
    r = await run(["train", "--task", "tag", "--data", data, "--model", model, "--resume", "--epochs", "1", "--quiet"]);
    assert.equal(r.code, 0, r.stderr);
    r = await run(["train", "--task", "tag", "--data", data, "--model", model, "--resume", "--layers", "3", "--quiet"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--resume: .* has layers 2; --layers 3 cannot change a trained model/);
    r = await run(["eval", "--model", model, "--data", data]);
    assert.equal(r.code, 0, r.stderr);
    // A bidirectional model cannot generate (here a tagger, refused by its task first; then a bidirectional lm-shaped file).
    const lm = await RNN.create({ inputSize: 8, hiddenSize: 4, outputSize: 8, bidirectional: true });
    const { Vocabulary } = await import("../../dist/index.js");
    lm.vocabulary = Vocabulary.build([["a", "b"]]);
    const lmPath = join(dir, "lm.rnn");
    writeFileSync(lmPath, lm.save());
    lm.dispose();
    r = await run(["generate", "--model", lmPath]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /generate: .*lm\.rnn is bidirectional; generation feeds one token at a time, which needs a forward-only model/);
    assert.ok(!existsSync(join(dir, "lm.rnn.json")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
