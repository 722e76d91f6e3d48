// Character-level text generation: an Elman RNN learns to predict the next character of
// sentences from the Brown corpus (their words, without the tags), then writes new ones at a
// few temperatures. examples/README.md.
//
//   npm run example:chars [-- --epochs 3 --hidden 128 --sentences 12000 --out out]
import { join } from "node:path";
import { RNN, Vocabulary, nextTokenData } from "../dist/index.js";
import { parseFlags, intFlag, numFlag, isMain, runMain } from "../apps/args.js";
import { trainEpochs } from "../apps/loop.js";
import { loadBrown } from "../apps/brown-files.js";

const HELP = `Character-level language model on Brown corpus sentences; prints samples at several temperatures.

usage: npm run example:chars [-- flags]

  --epochs N        (default 3)           --hidden D       (default 128)
  --lr X            (default 0.01)        --lr-decay F     (default 0.7 per epoch)
  --batch-size B    (default 16)          --sentences N    training sentences (default 12000)
  --max-chars N     longer sentences are left out (default 160)
  --seed S          (default 1)           --out DIR        model: DIR/chars.rnn (default out)

Text: the training split of the main job (apps/brown.js), sentences in corpus order, the
words joined with spaces and the corpus' punctuation tokens re-attached ("word ," → "word,",
\`\` and '' → "). Validation: sentences of the validation split.`;

/** Brown tokens → plain text: spaces before punctuation removed, `` and '' turned into ". */
export function detokenize(words) {
  return words.join(" ")
    .replace(/`` /g, '"').replace(/ ''/g, '"').replace(/``|''/g, '"')
    .replace(/ ([.,;:!?)])/g, "$1").replace(/\( /g, "(")
    .replace(/ (n't|'s|'re|'ll|'ve|'d|'m)\b/g, "$1");
}

async function main(argv) {
  const { values: f } = parseFlags(argv, {
    epochs: { type: "string", default: "3" }, hidden: { type: "string", default: "128" }, lr: { type: "string", default: "0.01" },
    "lr-decay": { type: "string", default: "0.7" }, "batch-size": { type: "string", default: "16" },
    sentences: { type: "string", default: "12000" }, "max-chars": { type: "string", default: "160" },
    seed: { type: "string", default: "1" }, out: { type: "string", default: "out" }, help: { type: "boolean", short: "h", default: false },
  }, { command: "chars" });
  if (f.help) { console.log(HELP); return 0; }
  const o = {
    epochs: intFlag("epochs", f.epochs), hidden: intFlag("hidden", f.hidden), lr: numFlag("lr", f.lr, 1e-6, 10),
    lrDecay: numFlag("lr-decay", f["lr-decay"], 0.01, 1), batchSize: intFlag("batch-size", f["batch-size"]),
    sentences: intFlag("sentences", f.sentences), maxChars: intFlag("max-chars", f["max-chars"], 10), seed: intFlag("seed", f.seed, 0), out: f.out,
  };
  const started = performance.now();
  const corpus = loadBrown();
  const texts = (split, n) => corpus[split].map((s) => detokenize(s.words)).filter((t) => t.length >= 10 && t.length <= o.maxChars).slice(0, n);
  const train = texts("train", o.sentences);
  const validation = texts("validation", Math.max(200, Math.round(o.sentences / 10)));
  const vocab = Vocabulary.build(train.map((t) => Array.from(t)));
  const data = (list) => nextTokenData(list.map((t) => vocab.encode(Array.from(t))));
  const trainData = data(train), valData = data(validation);
  const chars = train.reduce((n, t) => n + t.length + 1, 0);
  console.log(`Brown corpus sentences as text: ${train.length} for training (${chars} characters), ${validation.length} for validation; ` +
    `${vocab.size - 4} distinct characters`);
  const model = await RNN.create({
    input: "ids", inputSize: vocab.size, hiddenSize: o.hidden, outputSize: vocab.size,
    task: "many-to-many", hiddenActivation: "tanh", loss: "softmax-cross-entropy", seed: o.seed,
  });
  model.vocabulary = vocab;
  console.log(`model: ${vocab.size} ids → ${o.hidden} hidden (tanh) → ${vocab.size} (softmax over the next character); <sos> starts, <eos> ends a sentence\n`);
  const modelPath = join(o.out, "chars.rnn");
  const run = await trainEpochs(model, trainData, {
    epochs: o.epochs, batchSize: o.batchSize, lr: o.lr, lrDecay: o.lrDecay, clipNorm: 5, seed: o.seed, unit: "char",
    evaluate: (m) => { const e = m.evaluate(valData); return { loss: e.lossPerStep, accuracy: e.accuracy }; },
    modelPath, recipe: { task: "lm", chars: true, unk: "plain", maxLength: o.maxChars + 1 },     // chars.rnn.json, with every saved epoch
  });
  if (!run.epochs.length) { model.dispose(); return 130; }
  const last = run.epochs.at(-1);
  // Bits per character, and the loss of knowing only how often each character occurs (a unigram model).
  const freq = new Map();
  for (const t of trainData.targets) for (const y of t) freq.set(y, (freq.get(y) ?? 0) + 1);
  const total = [...freq.values()].reduce((a, b) => a + b, 0);
  let unigram = 0, n = 0;
  for (const t of valData.targets) for (const y of t) { unigram -= Math.log((freq.get(y) ?? 0.5) / total); n++; }
  console.log(`\nvalidation: ${(last.valLoss / Math.LN2).toFixed(3)} bits per character (next-character accuracy ${(100 * last.valAccuracy).toFixed(1)}%); ` +
    `character frequencies alone: ${(unigram / n / Math.LN2).toFixed(3)} bits`);

  const prefixes = ["The ", "He said ", "In the "];
  for (const temperature of [0.3, 0.7, 1.0]) {
    console.log(`\ntemperature ${temperature}:`);
    prefixes.forEach((prefix, i) => {
      const g = model.generate({ prefix: Array.from(prefix), maxLength: 160, temperature, seed: 100 * temperature + i });
      console.log(`  ${prefix}${g.tokens.join("")}${g.stop === "maxLength" ? "…" : ""}`);
    });
  }
  console.log(`\nWrote ${modelPath} in ${((performance.now() - started) / 1000).toFixed(1)} s. ` +
    `Try: node bin/rnn-wasm.js generate --model ${modelPath} --prefix "It was " --temperature 0.5`);
  model.dispose();
  return run.interrupted ? 130 : 0;
}

if (isMain(import.meta)) runMain("chars", main);          // run, not imported (the tests import its helpers)
