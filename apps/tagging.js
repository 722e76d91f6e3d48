// Sequence labelling (part-of-speech tagging) on top of the library: sentences of words and
// tags → a many-to-many data set (with the lookahead of apps/text.js), and predictions back to
// one tag per word.
import { argmax } from "../dist/index.js";
import { tagInputs, tagTargets } from "./text.js";

/** { inputs, targets } for sentences [{ words, tags }]: word ids (+ L <eos>), tag ids per step. */
export function tagDataset(encoder, labels, sentences, lookahead = 0) {
  return {
    inputs: sentences.map((s) => tagInputs(encoder.encode(s.words), lookahead)),
    targets: sentences.map((s) => tagTargets(labels.encode(s.tags), lookahead)),
  };
}

/**
 * Evaluate a tagger on labelled sentences: the loss per step (the module's, as in training)
 * and each word's predicted tag id (the step L after it).
 * @returns { loss, predicted: number[][] (tag ids per word), accuracy }
 */
export function evaluateTagger(model, data, sentences, lookahead = 0) {
  const ev = model.evaluate(data, { predictions: true, batchSize: 256 });
  let right = 0, total = 0;
  const predicted = sentences.map((s, i) => {
    const p = ev.predictions[i].slice(lookahead, lookahead + s.words.length);
    const y = data.targets[i];
    p.forEach((tag, j) => { right += tag === y[j + lookahead] ? 1 : 0; total++; });
    return p;
  });
  return { loss: ev.lossPerStep, predicted, accuracy: right / total };
}

/** Tag ids per word for unlabelled sentences (arrays of words), `batchSize` sentences per wasm call. */
export function predictTags(model, encoder, sentences, lookahead = 0, batchSize = 256) {
  const out = [];
  for (let a = 0; a < sentences.length; a += batchSize) {
    const part = sentences.slice(a, a + batchSize);
    const probs = model.predict(part.map((words) => tagInputs(encoder.encode(words), lookahead)));
    part.forEach((words, i) => out.push(words.map((_, j) => argmax(probs[i][j + lookahead]))));
  }
  return out;
}
