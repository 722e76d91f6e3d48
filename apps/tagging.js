// Sequence labelling (part-of-speech tagging) on top of the library: sentences of words and
// tags → a many-to-many data set (the library's labellingData, with its lookahead), and
// predictions back to one tag per word.
import { argmax, labellingData, fromLookahead } from "../dist/index.js";

/** { inputs, targets } for sentences [{ words, tags }]: word ids or feature bags (+ L <eos>), tag ids per step. */
export function tagDataset(encoder, labels, sentences, lookahead = 0) {
  return labellingData(sentences.map((s) => encoder.encode(s.words)), sentences.map((s) => labels.encode(s.tags)), { lookahead });
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
    const p = fromLookahead(ev.predictions[i], s.words.length, lookahead);
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
    const { inputs } = labellingData(part.map((words) => encoder.encode(words)), part.map((words) => words.map(() => 0)), { lookahead });
    const probs = model.predict(inputs);
    part.forEach((words, i) => out.push(fromLookahead(probs[i], words.length, lookahead).map(argmax)));
  }
  return out;
}
