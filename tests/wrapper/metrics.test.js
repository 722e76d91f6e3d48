/**
 * Metrics used standalone: accuracy, per-class accuracy (with precision and F1) and the
 * confusion matrix of a small hand-made case against numbers worked out by hand below, its
 * text rendering (all classes, and top-N with the rest summed as "other"), and bad input.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { accuracy, argmax, confusionMatrix, perClassAccuracy, ConfusionMatrix, LabelEncoder, RnnError } from "../../dist/index.js";

// Ten examples, classes P (0), V (1), N (2):
//   actual     P P P P P  V V V  N N
//   predicted  P V V N P  V V P  N V
const actual = [0, 0, 0, 0, 0, 1, 1, 1, 2, 2];
const predicted = [0, 1, 1, 2, 0, 1, 1, 0, 2, 1];
// By hand (row = true class, column = predicted):
//        P  V  N   support
//   P    2  2  1   5        per-class accuracy 2/5 = 0.4
//   V    1  2  0   3                           2/3
//   N    0  1  1   2                           1/2
//   column sums (predicted as): P 3, V 5, N 2 → precision P 2/3, V 2/5, N 1/2
//   F1 = 2·p·r/(p+r): P 2·(2/3)(2/5)/(16/15) = 1/2, V the same numbers swapped = 1/2, N 1/2
//   diagonal 2 + 2 + 1 = 5 of 10 → accuracy 0.5
const names = ["P", "V", "N"];

test("confusion matrix of a hand-made case", () => {
  const cm = confusionMatrix(actual, predicted, names);
  assert.deepEqual(cm.toArray(), [[2, 2, 1], [1, 2, 0], [0, 1, 1]]);
  assert.equal(cm.total, 10);
  assert.equal(cm.correct, 5);
  assert.equal(cm.accuracy, 0.5);
  assert.equal(cm.get(0, 2), 1);
  const per = cm.perClass();
  assert.deepEqual(per.map((c) => c.support), [5, 3, 2]);
  assert.deepEqual(per.map((c) => c.correct), [2, 2, 1]);
  assert.deepEqual(per.map((c) => c.predicted), [3, 5, 2]);
  const close = (a, b) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);
  [0.4, 2 / 3, 0.5].forEach((x, i) => close(per[i].accuracy, x));
  [2 / 3, 0.4, 0.5].forEach((x, i) => close(per[i].precision, x));
  [0.5, 0.5, 0.5].forEach((x, i) => close(per[i].f1, x));
  assert.deepEqual(per.map((c) => c.label), names);
  // Standalone helpers agree.
  assert.equal(accuracy(actual, predicted), 0.5);
  assert.deepEqual(perClassAccuracy(actual, predicted, 3).map((c) => c.accuracy), per.map((c) => c.accuracy));
  assert.deepEqual(JSON.parse(JSON.stringify(cm)), { labels: names, counts: [[2, 2, 1], [1, 2, 0], [0, 1, 1]] });
});

test("text rendering: all classes", () => {
  const text = confusionMatrix(actual, predicted, names).toString();
  assert.equal(text, [
    "confusion matrix: rows true class, columns predicted",
    "true \\ pred      P     V     N │ total     acc",
    "P                2     2     1 │     5   40.0%",
    "V                1     2     0 │     3   66.7%",
    "N                0     1     1 │     2   50.0%",
    "accuracy 50.0% (5 of 10)",
  ].join("\n"));
});

test("text rendering: top-N classes, the rest as other", () => {
  // top 2 by support: P (5), V (3); N goes to "other". Its row: N→V 1, N→N 1 (correct) → 50%.
  const text = confusionMatrix(actual, predicted, names).toString({ top: 2 });
  assert.equal(text, [
    "confusion matrix: rows true class, columns predicted (2 of 3 classes by frequency, the rest as \"other\")",
    "true \\ pred      P     V other │ total     acc",
    "P                2     2     1 │     5   40.0%",
    "V                1     2     0 │     3   66.7%",
    "other            0     1     1 │     2   50.0%",
    "accuracy 50.0% (5 of 10)",
  ].join("\n"));
  // Many classes: 30 tags, only the 5 most frequent shown; every row still sums to its support.
  const tags = LabelEncoder.fit(Array.from({ length: 30 }, (_, i) => `TAG${String(i).padStart(2, "0")}`));
  const cm = new ConfusionMatrix(tags);
  for (let c = 0; c < 30; c++) cm.add(c, c, 30 - c).add(c, (c + 1) % 30);
  const lines = cm.toString({ top: 5 }).split("\n");
  assert.equal(lines.length, 1 + 1 + 6 + 1);
  assert.match(lines[2], /^TAG00 +30 +1 +0 +0 +0 +0 │ +31 +96\.8%$/);
  assert.match(lines[7], /^other /);
  const otherTotal = Number(lines[7].split("│")[1].trim().split(/\s+/)[0]);
  assert.equal(otherTotal, cm.total - [31, 30, 29, 28, 27].reduce((a, b) => a + b));
  assert.match(cm.toString({ top: 5, labelWidth: 4 }), /TAG…/);
});

test("argmax and bad input", () => {
  assert.equal(argmax([0.1, 0.7, 0.7, 0.2]), 1);
  assert.equal(argmax([]), -1);
  assert.throws(() => accuracy([1, 2], [1]), (e) => e instanceof RnnError && /2 ids.*1/.test(e.message));
  assert.throws(() => accuracy([], []), RnnError);
  assert.throws(() => confusionMatrix([0, 3], [0, 1], 3), (e) => e instanceof RnnError && /actual.*0\.\.2.*3/.test(e.message));
  assert.throws(() => new ConfusionMatrix(0), RnnError);
  assert.throws(() => confusionMatrix(actual, predicted).toString({ top: 0 }), RnnError);
  assert.ok(Number.isNaN(new ConfusionMatrix(2).add(0, 0).perClass()[1].accuracy));   // no support: NaN, shown as —
  assert.match(new ConfusionMatrix(2).add(0, 0).toString(), /\n1 +0 +0 │ +0 +—\n/);
});
