// The demo's Web Worker: fetches Brown corpus files from the demo server, trains a small
// part-of-speech tagger (the main job's recipe, smaller: each word a feature bag, an
// embedding, two bidirectional layers) with fitAsync (so "stop" and "tag" messages get through between
// batches; the learning rate halves every epoch: fit's exponential schedule), reports every
// batch's loss for the live plot and every epoch's held-out accuracy, and tags typed text.
import { RNN, LabelEncoder } from "/dist/index.js";
import { WordEncoder, tokenize } from "/apps/text.js";
import { tagDataset, evaluateTagger, predictTags } from "/apps/tagging.js";
import { brownSentences, splitFiles, tagSet, mostFrequentTagBaseline, tagAccuracy } from "/apps/brown.js";
import { decayingRate } from "/apps/schedule.js";

let model, encoder, labels, lookahead = 0, controller;

async function sentencesOf(names, universal) {
  const texts = await Promise.all(names.map(async (name) => {
    const r = await fetch(`/corpus/${name}`);
    if (!r.ok) throw new Error(`/corpus/${name}: HTTP ${r.status}`);
    return [name, await r.text()];
  }));
  return texts.flatMap(([name, text]) => brownSentences(text, name, { universal }));
}

async function train({ files = 40, validationFiles = 3, epochs = 2, hidden = 48, lr = 0.01, batchSize = 32, universal = true, seed = 1 }) {
  controller = new AbortController();
  const started = performance.now();
  const all = await (await fetch("/corpus/files.json")).json();
  const bySplit = splitFiles(all);
  const step = Math.max(1, Math.floor(bySplit.train.length / files));
  const trainFiles = bySplit.train.filter((_, i) => i % step === 0).slice(0, files);
  const valFiles = bySplit.validation.slice(0, validationFiles);
  postMessage({ type: "status", text: `fetching ${trainFiles.length + valFiles.length} Brown corpus files…` });
  const [train, validation] = await Promise.all([sentencesOf(trainFiles, universal), sentencesOf(valFiles, universal)]);
  labels = LabelEncoder.fit(tagSet({ universal }));
  encoder = WordEncoder.build(train.map((s) => s.words), { minCount: 2, lowercase: true, unk: "shapes", features: true });
  const trainData = tagDataset(encoder, labels, train, lookahead);
  const valData = tagDataset(encoder, labels, validation, lookahead);
  const baseline = mostFrequentTagBaseline(train);
  const base = tagAccuracy(validation, validation.map((s) => s.words.map(baseline.tagOf)), baseline.known).accuracy;
  const tokens = train.reduce((n, s) => n + s.words.length, 0);
  model?.dispose();
  model = await RNN.create({
    inputSize: encoder.vocabulary.size, hiddenSize: hidden, outputSize: labels.size, seed,
    embeddingSize: hidden, layers: 2, bidirectional: true, dropout: 0.25,
  });
  postMessage({
    type: "data", trainFiles: trainFiles.length, validationFiles: valFiles.length, sentences: train.length, tokens,
    vocabulary: encoder.vocabulary.size, tags: labels.size, baseline: base, epochs,
    batches: Math.ceil(train.length / batchSize),
  });
  // One fitAsync call for all the epochs, at lr · 0.5^(e − 1) in epoch e (fit's schedule).
  let stepNo = 0;
  await model.fitAsync(trainData, {
    ...decayingRate({ lr, gamma: 0.5, epochs }), batchSize, seed: seed + 1, clipNorm: 5,
    signal: controller.signal, yieldEvery: 30,
    onBatch: (b) => postMessage({ type: "batch", step: ++stepNo, epoch: b.epoch, batch: b.batch, batches: b.batches, loss: (b.loss * b.sequences) / b.tokens, tokensPerSecond: b.tokensPerSecond }),
    onEpoch: (log) => {
      const v = evaluateTagger(model, valData, validation, lookahead);
      postMessage({ type: "epoch", epoch: log.epoch, step: stepNo, loss: log.lossPerStep, valLoss: v.loss, valAccuracy: v.accuracy, baseline: base });
    },
  });
  postMessage({ type: "done", stopped: controller.signal.aborted, seconds: (performance.now() - started) / 1000, steps: stepNo });
}

function tag(text) {
  const words = tokenize(text);
  if (!model || words.length === 0) return { words, tags: [] };
  const [ids] = predictTags(model, encoder, [words], lookahead);
  return { words, tags: ids.map((id) => labels.label(id)), known: words.map((w) => encoder.known(w)) };
}

onmessage = async (e) => {
  const m = e.data;
  try {
    if (m.type === "train") await train(m.options ?? {});
    else if (m.type === "stop") controller?.abort();
    else if (m.type === "tag") postMessage({ type: "tagged", id: m.id, ...tag(m.text) });
  } catch (err) {
    postMessage({ type: "error", message: String(err?.message ?? err) });
  }
};
postMessage({ type: "ready" });
