/**
 * rnn-fma.wasm, the opt-in build with fused multiply-adds (relaxed SIMD), as users load it:
 * - engine.features tells the truth: `fma` is whether the module loaded is rnn-fma.wasm,
 *   `relaxedSimd` is whether this engine validates relaxed SIMD (the FMA module's own bytes);
 * - init({ fma }) loads it where relaxed SIMD validates and the embedded rnn.wasm elsewhere;
 *   the slim entry, given only { fma }, refuses with an RnnError where it cannot load it;
 *   a strict module passed as `fma` is refused; both modules export the same ABI;
 * - the oracle suites on the FMA module: gradients.test.js and the PyTorch fixture of
 *   safetensors.test.js run it in-process where relaxed SIMD validates (Node ≥ 22); on Node 20
 *   this file reruns them (and itself) in a child with --experimental-wasm-relaxed-simd (only the
 *   FMA module).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { RNN, RnnError, init, initSync } from "../../dist/index.js";
import * as slim from "../../dist/slim.js";
import { FMA_BYTES } from "./fixtures/engines.js";

const STRICT_BYTES = readFileSync(new URL("../../dist/rnn.wasm", import.meta.url));
const relaxed = WebAssembly.validate(FMA_BYTES);
const NODE_MAJOR = Number(process.versions.node.split(".")[0]);

test(`engine.features: this engine ${relaxed ? "has" : "lacks"} relaxed SIMD; init() is strict, init({ fma }) is FMA exactly where it validates`, async () => {
  assert.equal(WebAssembly.validate(STRICT_BYTES), true);
  const strict = await init();
  assert.deepEqual(strict.features, { simd: true, relaxedSimd: relaxed, fma: false });
  assert.deepEqual(initSync({}).features, strict.features, "{} is the defaults: the embedded module");
  const chosen = await init({ fma: FMA_BYTES });
  assert.deepEqual(chosen.features, { simd: true, relaxedSimd: relaxed, fma: relaxed });
  assert.deepEqual(initSync({ fma: FMA_BYTES }).features, chosen.features);
  // The slim entry with both: the same choice; with { fma } alone it needs relaxed SIMD.
  assert.deepEqual((await slim.init({ wasm: STRICT_BYTES, fma: FMA_BYTES })).features, chosen.features);
  if (relaxed) {
    assert.equal((await slim.init({ fma: FMA_BYTES })).features.fma, true);
    assert.equal((await init(FMA_BYTES)).features.fma, true, "passed as the plain source, it is still recognised");
    assert.equal(initSync(new WebAssembly.Module(FMA_BYTES)).features.fma, true);
    // Both modules pass the export-list check (they loaded) and export the very same ABI.
    const list = (b) => WebAssembly.Module.exports(new WebAssembly.Module(b)).map((e) => `${e.name}:${e.kind}`);
    assert.deepEqual(list(FMA_BYTES), list(STRICT_BYTES));
    assert.throws(() => initSync({ fma: STRICT_BYTES }), (e) => e instanceof RnnError && /options\.fma: .* is not rnn-fma\.wasm/.test(e.message));
  } else {
    await assert.rejects(slim.init({ fma: FMA_BYTES }), (e) => e instanceof slim.RnnError && /lacks relaxed SIMD.*Node\.js ≥ 22.*init\(\{ wasm, fma \}\)/.test(e.message));
    assert.throws(() => slim.initSync({ fma: FMA_BYTES }), (e) => e instanceof slim.RnnError && /initSync\(\{ wasm, fma \}\)/.test(e.message));
    await assert.rejects(init(FMA_BYTES), (e) => e instanceof RnnError && /could not be compiled.*rnn-fma\.wasm needs relaxed SIMD/.test(e.message));
  }
  assert.throws(() => initSync({ fma: FMA_BYTES, wasmUrl: "x" }), (e) => e instanceof RnnError && /options\.wasmUrl: unknown option \(known: wasm, fma\)/.test(e.message));
});

test("the FMA engine trains a d = 64 model to the same loss as the strict one, within f32 tolerance", { skip: !relaxed && "this engine lacks relaxed SIMD" }, async () => {
  const fma = await init({ fma: FMA_BYTES });
  const losses = [];
  for (const engine of [await init(), fma]) {
    const m = await RNN.create({ input: "ids", inputSize: 40, hiddenSize: 64, outputSize: 40, seed: 5 }, { engine });
    const inputs = Array.from({ length: 16 }, (_, i) => Array.from({ length: 12 }, (_, t) => (i * 7 + t * 3) % 40));
    let loss;
    for (let s = 0; s < 10; s++) ({ loss } = m.trainStep({ inputs, targets: inputs.map((x) => x.map((v) => (v + 1) % 40)) }, { optimizer: { type: "adam", lr: 0.01 } }));
    losses.push(loss);
    m.dispose();
  }
  console.log(`loss after 10 Adam steps: strict ${losses[0]}, fma ${losses[1]} (${losses[0] === losses[1] ? "same bits: this engine did not fuse" : "differs in the last bits: fused"})`);
  assert.ok(Math.abs(losses[0] - losses[1]) <= 1e-4 * Math.abs(losses[0]), `losses ${losses}`);
});

// Node 20 has relaxed SIMD behind a flag: the oracle suites on the FMA module, in a child with it.
const SUITES = ["gradients.test.js", "safetensors.test.js", "fma.test.js"];
const flagged = !relaxed && NODE_MAJOR === 20;
test(`Node 20 with --experimental-wasm-relaxed-simd: ${SUITES.join(", ")} on rnn-fma.wasm`, {
  skip: relaxed ? "relaxed SIMD validates here: those suites ran the FMA module in this run already"
    : !flagged && `this engine lacks relaxed SIMD and no flag enables it (Node ${process.versions.node}): the FMA module is not tested here`,
}, () => {
  const env = { ...process.env, RNN_WASM_ENGINES: "fma" };
  delete env.NODE_TEST_CONTEXT;   // the child is a test run of its own, not a subtest of this one
  const files = SUITES.map((f) => fileURLToPath(new URL(f, import.meta.url)));
  const r = spawnSync(process.execPath, ["--experimental-wasm-relaxed-simd", "--test", "--test-reporter=spec", ...files], { env, encoding: "utf8", timeout: 300_000 });
  const out = (r.stdout + r.stderr).replace(/\x1b\[[0-9;]*m/g, "");
  for (const line of out.split("\n")) if (/^(ℹ (tests|pass|fail|skipped)|max \||PyTorch fixture \()/.test(line.trim())) console.log(`  child: ${line.trim()}`);
  assert.equal(r.status, 0, out.split("\n").filter((l) => /✖|not ok|Error/.test(l)).slice(0, 20).join("\n"));
  assert.doesNotMatch(out, /# .*lacks relaxed SIMD/, "nothing was skipped for want of relaxed SIMD in the child");
  assert.match(out, /✔ engine\.features: this engine has relaxed SIMD/, "the child took the relaxed branch of the features test");
  assert.match(out, /fma module: max \|Δ logits\|/, "the PyTorch fixture ran on the FMA module");
  assert.match(out, /max \|wasm − ref\| \(fma module\)/, "the reference comparison ran on the FMA module");
});
