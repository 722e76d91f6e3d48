/**
 * Generation: a next-token model trained with nextTokenData + fit on a tiny grammar; generate
 * is reproducible by seed and changes with it, stops at <eos>, and a near-zero temperature or
 * topK = 1 follows the greedy path computed independently with predict. sampleIndex draws with
 * the right frequencies (plain, with temperature, with top-K). Bad input: temperature ≤ 0,
 * prefix ids outside the vocabulary, tokens without a vocabulary, a disposed model.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { RNN, Vocabulary, Random, nextTokenData, sampleIndex, RnnError } from "../../dist/index.js";

// Sentences of a tiny grammar: (the|a) (cat|dog|bird) (runs|sleeps|sings) [fast|slowly]
const SUBJ = ["cat", "dog", "bird"];
const VERB = ["runs", "sleeps", "sings"];
const ADV = ["fast", "slowly"];
function sentences(N, seed) {
  const rng = new Random(seed);
  return Array.from({ length: N }, () => [
    rng.int(2) ? "the" : "a", SUBJ[rng.int(3)], VERB[rng.int(3)], ...(rng.int(2) ? [ADV[rng.int(2)]] : []),
  ]);
}
const grammatical = (tokens) =>
  (tokens.length === 3 || tokens.length === 4) && ["the", "a"].includes(tokens[0]) && SUBJ.includes(tokens[1]) &&
  VERB.includes(tokens[2]) && (tokens.length === 3 || ADV.includes(tokens[3]));

let model;
let vocab;
before(async () => {
  const corpus = sentences(400, 1);
  vocab = Vocabulary.build(corpus);
  model = await RNN.create({ inputSize: vocab.size, hiddenSize: 24, outputSize: vocab.size, seed: 5 });
  model.vocabulary = vocab;
  const h = model.fit(nextTokenData(corpus.map((s) => vocab.encode(s))), { epochs: 40, batchSize: 20, optimizer: { type: "adam", lr: 0.02 } });
  console.log(`next-token training: loss ${h.loss[0].toFixed(3)} → ${h.loss.at(-1).toFixed(3)} per sentence`);
});
after(() => model.dispose());

test("reproducible by seed, different with another seed, stops at <eos>", () => {
  const runs = [1, 2, 3, 4, 5, 6].map((seed) => model.generate({ maxLength: 30, seed }));
  assert.deepEqual(model.generate({ maxLength: 30, seed: 1 }), runs[0]);
  assert.ok(new Set(runs.map((r) => r.ids.join(" "))).size > 1, "every seed gave the same text");
  for (const r of runs) {
    assert.equal(r.stop, "eos");
    assert.deepEqual(r.tokens, vocab.decode(r.ids));
    assert.ok(!r.ids.includes(vocab.eosId));
    assert.ok(grammatical(r.tokens), r.tokens.join(" "));
  }
  console.log(`samples: ${runs.slice(0, 3).map((r) => r.tokens.join(" ")).join(" | ")}`);
  // maxLength caps the output.
  const short = model.generate({ maxLength: 2, seed: 1 });
  assert.equal(short.ids.length, 2);
  assert.equal(short.stop, "maxLength");
});

test("topK = 1 and a tiny temperature follow the greedy path (computed with predict)", () => {
  const prefix = [vocab.sosId, vocab.id("the"), vocab.id("dog")];
  const greedy = [];
  const seq = prefix.slice();
  for (let i = 0; i < 10; i++) {
    const p = model.predict([seq])[0].at(-1);
    const id = p.indexOf(Math.max(...p));
    if (id === vocab.eosId) break;
    greedy.push(id);
    seq.push(id);
  }
  for (const seed of [1, 2, 3]) {
    assert.deepEqual(model.generate({ prefix, maxLength: 10, topK: 1, seed }).ids, greedy);
    assert.deepEqual(model.generate({ prefix, maxLength: 10, temperature: 1e-3, seed }).ids, greedy);
  }
  // Tokens as the prefix, <sos> added in front.
  assert.deepEqual(model.generate({ prefix: ["the", "dog"], maxLength: 10, topK: 1 }).ids, greedy);
});

test("sampleIndex draws with the right frequencies", () => {
  const draw = (probs, temperature, topK) => {
    const rng = new Random(123);
    const counts = new Array(probs.length).fill(0);
    for (let i = 0; i < 20000; i++) counts[sampleIndex(probs, temperature, topK, rng.next())]++;
    return counts.map((c) => c / 20000);
  };
  const p = [0.5, 0.3, 0.2, 0];
  const near = (got, want) => got.forEach((g, i) => assert.ok(Math.abs(g - want[i]) < 0.015, `${got} vs ${want}`));
  near(draw(p, 1), p);
  const sq = p.map(Math.sqrt);                      // temperature 2: q ∝ p^(1/2)
  near(draw(p, 2), sq.map((x) => x / sq.reduce((a, b) => a + b)));
  near(draw(p, 1, 2), [0.625, 0.375, 0, 0]);        // top-2: 0.5 and 0.3, renormalised
  assert.equal(sampleIndex(p, 1, undefined, 0.999999), 2);   // never the zero-probability id
});

test("bad input is a clear RnnError", async () => {
  const check = (fn, re) => assert.throws(fn, (e) => e instanceof RnnError && re.test(e.message), String(re));
  check(() => model.generate({ temperature: 0 }), /temperature.*> 0.*got 0/);
  check(() => model.generate({ temperature: -1 }), /temperature/);
  check(() => model.generate({ prefix: [1, vocab.size] }), new RegExp(`prefix\\[1\\].*${vocab.size}.*outside the vocabulary`));
  check(() => model.generate({ prefix: [1, -3] }), /prefix\[1\]/);
  check(() => model.generate({ topK: 0 }), /topK/);
  check(() => model.generate({ maxLength: 0 }), /maxLength/);
  check(() => model.generate({ seed: -1 }), /seed/);
  check(() => model.generate({ temprature: 1 }), /temprature: unknown/);
  const bare = await RNN.create({ inputSize: 5, hiddenSize: 4, outputSize: 5 });
  check(() => bare.generate({ prefix: ["a"] }), /vocabulary/);
  check(() => bare.generate(), /prefix.*empty/);
  assert.equal(bare.generate({ prefix: [0], maxLength: 4 }).ids.length, 4);   // no vocabulary: no <eos>, runs to maxLength
  const dense = await RNN.create({ input: "dense", inputSize: 3, hiddenSize: 4, outputSize: 3 });
  check(() => dense.generate({ prefix: [0] }), /next-token model/);
  bare.dispose();
  dense.dispose();
  check(() => bare.generate({ prefix: [0] }), /disposed/);
});

test("with a vocabulary, <pad> and <sos> are never drawn, however probable; without one they can be", async () => {
  const v = Vocabulary.build([["x", "y"]]);
  const m = await RNN.create({ inputSize: v.size, hiddenSize: 4, outputSize: v.size, seed: 1 });
  const p = m.parameters();
  p.c[Vocabulary.PAD] = 30;            // almost all the mass on <pad> and <sos>
  p.c[Vocabulary.SOS] = 30;
  m.setParameters(p);
  const raw = m.generate({ prefix: [Vocabulary.SOS], maxLength: 50, seed: 3 });
  assert.ok(raw.ids.every((id) => id === Vocabulary.PAD || id === Vocabulary.SOS), "no vocabulary: ids as the model gives them");
  m.vocabulary = v;
  const g = m.generate({ maxLength: 50, seed: 3 });
  assert.ok(g.ids.length > 0);
  assert.ok(g.ids.every((id) => id !== Vocabulary.PAD && id !== Vocabulary.SOS), `drew ${g.ids}`);
  m.dispose();
});
