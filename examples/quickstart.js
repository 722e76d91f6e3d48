// The README's example: learn to echo the token seen two steps earlier (many-to-many).
// Run: npm run example:quickstart.
import { RNN } from "../dist/index.js";

const vocab = 8;
const model = await RNN.create({
  input: "ids", inputSize: vocab, hiddenSize: 32, outputSize: vocab,
  task: "many-to-many", hiddenActivation: "tanh", loss: "softmax-cross-entropy", seed: 42,
});

// A small seeded generator (mulberry32) for the data, so every run prints the same numbers.
let s = 1;
const rand = (m) => {
  s = (s + 0x6d2b79f5) | 0;
  let t = Math.imul(s ^ (s >>> 15), 1 | s);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return (((t ^ (t >>> 14)) >>> 0) % m);
};
const sample = () => {
  const seq = Array.from({ length: 4 + rand(9) }, () => rand(vocab));
  return { seq, tgt: seq.map((_, t) => (t >= 2 ? seq[t - 2] : 0)) };
};

for (let step = 1; step <= 600; step++) {
  const batch = Array.from({ length: 32 }, sample);
  const { loss } = model.trainStep(
    { inputs: batch.map((b) => b.seq), targets: batch.map((b) => b.tgt) },
    { optimizer: { type: "adam", lr: 0.01 }, clipNorm: 5 },
  );
  if (step % 150 === 0) console.log(`step ${step}  loss ${loss.toFixed(4)}`);
}

const test = Array.from({ length: 200 }, sample);
const probs = model.predict(test.map((b) => b.seq));
let right = 0, total = 0;
test.forEach((b, i) => b.tgt.forEach((y, t) => {
  if (t < 2) return;
  const p = probs[i][t];
  right += p.indexOf(Math.max(...p)) === y ? 1 : 0;
  total++;
}));
console.log(`held-out accuracy ${(100 * right / total).toFixed(1)}%`);
console.log("input ", [3, 1, 4, 1, 5, 2, 6].join(" "));
console.log("output", model.predict([[3, 1, 4, 1, 5, 2, 6]])[0].map((p) => p.indexOf(Math.max(...p))).join(" "));
model.dispose();
