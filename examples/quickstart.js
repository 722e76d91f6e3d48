// The README's example, as printed there (tests/wrapper/readme.test.js checks that they agree).
// Run: npm run example:quickstart.
import { RNN, Random } from "../dist/index.js";

// Sequences of 4–12 tokens out of 8; the target at step t is the input at t − 2 (0 before).
const rng = new Random(1);
const sample = () => {
  const seq = Array.from({ length: 4 + rng.int(9) }, () => rng.int(8));
  return { seq, tgt: seq.map((_, t) => (t >= 2 ? seq[t - 2] : 0)) };
};

const model = await RNN.create({
  input: "ids", inputSize: 8, hiddenSize: 32, outputSize: 8,
  task: "many-to-many", hiddenActivation: "tanh", loss: "softmax-cross-entropy", seed: 42,
});
for (let step = 1; step <= 600; step++) {
  const batch = Array.from({ length: 32 }, sample);
  const { loss } = model.trainStep(
    { inputs: batch.map((b) => b.seq), targets: batch.map((b) => b.tgt) },
    { optimizer: { type: "adam", lr: 0.01 }, clipNorm: 5 },
  );
  if (step % 150 === 0) console.log(`step ${step}  loss ${loss.toFixed(4)}`);
}

const argmax = (p) => p.indexOf(Math.max(...p));
const test = Array.from({ length: 200 }, sample);
const probs = model.predict(test.map((b) => b.seq));   // per sequence, per step: 8 probabilities
const hits = test.flatMap((b, i) => b.tgt.slice(2).map((y, t) => argmax(probs[i][t + 2]) === y));
console.log(`held-out accuracy ${(100 * hits.filter(Boolean).length / hits.length).toFixed(1)}%`);
console.log("input ", [3, 1, 4, 1, 5, 2, 6].join(" "));
console.log("output", model.predict([[3, 1, 4, 1, 5, 2, 6]])[0].map(argmax).join(" "));
model.dispose();
