/**
 * The text helpers shared by the CLI, the examples and the demo (apps/text.js), the data
 * parsers (apps/formats.js), the progress bar and the SVG plot.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Vocabulary } from "../../dist/index.js";
import { wordShape, wordFeatures, WordEncoder, tokenize, isWordClass } from "../../apps/text.js";
import { parseTagged, parseLabelled, parseTokens, parseSeriesCsv, parseSeriesJson, splitCsv } from "../../apps/formats.js";
import { Progress, clock, rate } from "../../apps/progress.js";
import { trainingPlot, ticks } from "../../apps/plot.js";

test("wordShape: numbers, symbols, capitalisation, hyphens, suffixes", () => {
  const cases = {
    "1,250": "<unk:number>", "3.5%": "<unk:number>", "1960s": "<unk:digits>", "&": "<unk:symbol>",
    Tolstoyan: "<unk:cap>", UNESCO: "<unk:caps>", I: "<unk:cap>", running: "<unk:low-ing>", "re-elected": "<unk:low-hyphen-ed>",
    quickly: "<unk:low-ly>", Texans: "<unk:cap-s>", creation: "<unk:low-tion>", nation: "<unk:low>", bus: "<unk:low>", ing: "<unk:low>",  // a suffix needs 3 letters before it
  };
  for (const [w, shape] of Object.entries(cases)) assert.equal(wordShape(w), shape, w);
  assert.ok(isWordClass("<unk:low-ing>") && isWordClass("<eos>") && !isWordClass("cat"));
});

test("WordEncoder: words under minCount become their class; unseen classes become <unk>", () => {
  // the ×3, cat ×2, ran ×1, Walking ×1 → minCount 2 keeps "the" and "cat"
  const train = [["the", "cat", "ran"], ["the", "cat"], ["The", "Walking"]];
  const shapes = WordEncoder.build(train, { minCount: 2, lowercase: true, unk: "shapes" });
  assert.deepEqual(shapes.vocabulary.tokens, ["<pad>", "<sos>", "<eos>", "<unk>", "the", "cat", "<unk:low>", "<unk:cap-ing>"]);
  assert.deepEqual(shapes.encode(["THE", "cat", "ran", "Jumping", "dog", "1999"]), [4, 5, 6, 7, 6, Vocabulary.UNK]);
  assert.equal(shapes.known("Cat"), true);
  assert.equal(shapes.known("ran"), false);
  assert.equal(shapes.known("<unk:low>"), false, "a class is not a word");
  const plain = WordEncoder.build(train, { minCount: 2, lowercase: true, unk: "plain" });
  assert.deepEqual(plain.vocabulary.tokens, ["<pad>", "<sos>", "<eos>", "<unk>", "the", "cat"]);
  assert.deepEqual(plain.encode(["the", "ran", "<eos>"]), [4, 3, 3]);
  assert.throws(() => new WordEncoder(plain.vocabulary, { unk: "maybe" }), /unk: expected "plain" or "shapes"/);
});

test("wordFeatures: suffixes, capitalisation, digit, hyphen, letter trigrams between ^ and $", () => {
  assert.deepEqual(wordFeatures("Running"), ["<f:s1:g>", "<f:s2:ng>", "<f:s3:ing>", "<f:s4:ning>", "<f:cap:cap>",
    "<f:g3:^ru>", "<f:g3:run>", "<f:g3:unn>", "<f:g3:nni>", "<f:g3:nin>", "<f:g3:ing>", "<f:g3:ng$>"]);
  assert.deepEqual(wordFeatures("I"), ["<f:cap:cap>", "<f:g3:^i$>"]);               // no suffix as long as the word
  assert.deepEqual(wordFeatures("re-1"), ["<f:s1:1>", "<f:s2:-1>", "<f:s3:e-1>", "<f:cap:low>", "<f:digit>", "<f:hyphen>",
    "<f:g3:^re>", "<f:g3:re->", "<f:g3:e-1>", "<f:g3:-1$>"]);
  assert.ok(wordFeatures("NASA").includes("<f:cap:caps>") && !wordFeatures("NASA").includes("<f:s4:nasa>"));
  assert.equal(wordFeatures("banana").filter((f) => f === "<f:g3:ana>").length, 2, "a trigram twice in the word is in the bag twice");
});

test("WordEncoder with features: a bag per word (its id, then the features the vocabulary holds); an older vocabulary keeps its bags", () => {
  const train = [["Running", "dogs"], ["running", "cats"]];
  const enc = WordEncoder.build(train, { minCount: 2, lowercase: true, unk: "shapes", features: true, featureMinCount: 2 });
  const v = enc.vocabulary;
  // features seen twice: running's (both spellings) and the plural s; "Running"'s cap only once
  const held = wordFeatures("Running").filter((f) => v.has(f));
  assert.deepEqual(held, wordFeatures("Running").filter((f) => f !== "<f:cap:cap>"));
  assert.ok(v.has("<f:s1:s>") && !v.has("<f:g3:gs$>") && !v.has("<f:g3:^do>"), "a feature seen once is not held");
  assert.deepEqual(enc.encode(["Running"]), [[v.id("running"), ...held.map((f) => v.id(f))]]);
  const bag = enc.encode(["rats"])[0];
  assert.equal(bag[0], v.id(wordShape("rats")), "an unknown word's bag starts with its class");
  assert.deepEqual(bag.slice(1).map((i) => v.tokens[i]), ["<f:s1:s>", "<f:cap:low>"]);     // its trigrams were each seen once (cats)
  // A vocabulary without trigram tokens (built before they existed) gives the bags it gave then.
  const old = new WordEncoder(Vocabulary.build([["running"], ["<f:s1:g>", "<f:s3:ing>", "<f:cap:cap>"]], { lowercase: true }), { unk: "shapes" });
  const ov = old.vocabulary;
  assert.deepEqual(old.encode(["Running"]), [[ov.id("running"), ov.id("<f:s1:g>"), ov.id("<f:s3:ing>"), ov.id("<f:cap:cap>")]]);
});

test("tokenize: punctuation split off, double quotes as `` and '', contractions and possessives whole", () => {
  assert.deepEqual(tokenize('He said, "I didn\'t see Atlanta\'s (old) mayor."'),
    ["He", "said", ",", "``", "I", "didn't", "see", "Atlanta's", "(", "old", ")", "mayor", ".", "''"]);
  assert.deepEqual(tokenize("the boys' books... ok!"), ["the", "boys'", "books", "...", "ok", "!"]);
  assert.deepEqual(tokenize("  "), []);
});

test("parsers: tokens, tagged, labelled (line numbers count blank lines)", () => {
  assert.deepEqual(parseTokens("a b\n\n c  d \n", "f"), [{ tokens: ["a", "b"], line: 1 }, { tokens: ["c", "d"], line: 3 }]);
  assert.deepEqual(parseTokens("ab c\n", "f", { chars: true })[0].tokens, ["a", "b", " ", "c"]);
  assert.deepEqual(parseTagged("\uFEFFa/DT 1/2/CD\r\n", "f"), [{ words: ["a", "1/2"], tags: ["DT", "CD"], line: 1 }]);
  assert.throws(() => parseTagged("a/DT\n\nb/NN c/\n", "f.txt"), /^CliError: f\.txt:3: token 2 "c\/": expected word\/TAG/);
  assert.throws(() => parseTagged("a/DT /NN\n", "f.txt"), /f\.txt:1: token 2 "\/NN"/);
  assert.deepEqual(parseLabelled("spam\tWin  now\n", "f"), [{ label: "spam", words: ["Win", "now"], text: "Win  now", line: 1 }]);
  assert.throws(() => parseLabelled("ham\tok\n\t no label\n", "g"), /^CliError: g:2: empty label before the tab$/);
  // An empty text after the tab is an example (the CLI reads it as one <eos> step); a line of white space is blank.
  assert.deepEqual(parseLabelled("ham\t  \n\t\n", "g"), [{ label: "ham", words: [], text: "", line: 1 }]);
  assert.throws(() => parseTokens("\n \n", "e"), /^CliError: e: no sequences/);
});

test("series: CSV with a sequence column or blank lines, quoting, many-to-one; JSON with positions", () => {
  assert.deepEqual(splitCsv('1, "a, ""b""" ,3', "f", 1), ["1", 'a, "b"', "3"]);
  const csv = "sequence,x1,x2,target\n1,0,1,5\n1,1,0,6\n2,2,2,7\n";
  const m2m = parseSeriesCsv(csv, "s.csv");
  assert.deepEqual(m2m.features, ["x1", "x2"]);
  assert.deepEqual(m2m.sequences.map((s) => [s.inputs, s.targets]), [[[[0, 1], [1, 0]], [[5], [6]]], [[[2, 2]], [[7]]]]);
  const m2o = parseSeriesCsv("a,y\n1,\n2,9\n\n3,4\n", "t.csv", { targets: ["y"], manyToOne: true });
  assert.deepEqual(m2o.sequences.map((s) => s.targets), [[9], [4]]);
  assert.throws(() => parseSeriesCsv("x,target\n1,2\n3\n", "u.csv"), /^CliError: u\.csv:3: expected 2 columns \(as the header\), got 1$/);
  assert.throws(() => parseSeriesCsv("x,target\n1,NaN\n", "u.csv"), /u\.csv:2: column "target": expected a number, got "NaN"/);
  assert.throws(() => parseSeriesCsv("x,z\n1,2\n", "u.csv"), /u\.csv:1: no target columns/);
  assert.throws(() => parseSeriesCsv("x,target\n1,2\n", "u.csv", { targets: ["y"] }), /u\.csv:1: no column "y" for --targets/);
  const json = parseSeriesJson('{"sequences": [{"inputs": [[1, 2]], "target": 3}]}', "j.json", { manyToOne: true });
  assert.deepEqual(json.sequences[0].targets, [3]);
  assert.throws(() => parseSeriesJson('[{"inputs": [[1], [2, 3]], "targets": [[1], [2]]}]', "j.json"), /j\.json: sequences\[0\]\.inputs\[1\]: expected 1 numbers \(as the first\), got 2/);
  assert.throws(() => parseSeriesJson("[\n  {\"inputs\": }\n]", "k.json"), /^CliError: k\.json:2:14: not valid JSON/);
  assert.throws(() => parseSeriesJson('[{"inputs": [[1]], "targets": [[1]]},\n {"inputs": [[1] [2]]}]', "k.json"), /^CliError: k\.json:2:18: not valid JSON/);
  assert.throws(() => parseSeriesJson('[{"a": "b\n"}]', "k.json"), /^CliError: k\.json:1:10: not valid JSON/);
  assert.throws(() => parseSeriesJson("[1, 2", "k.json"), /^CliError: k\.json:1:6: not valid JSON/);
});

test("progress: plain lines at each quarter of an epoch when not a terminal; the ETA from the pace so far", () => {
  let text = "";
  const p = new Progress({ epochs: 2, stream: { write: (t) => (text += t) }, tty: false });
  // A batch of 2 sequences, 3 tokens in all, 2 per token: L = (1/B) Σ = 2·3/2 = 3.
  for (let b = 1; b <= 8; b++) p.batch({ epoch: 1, batch: b, batches: 8, loss: 3, sequences: 2, tokens: 3, tokensPerSecond: 12345 });
  const lines = text.trim().split("\n");
  assert.equal(lines.length, 4);
  assert.match(lines[0], /^epoch 1\/2  batch 2\/8  loss 2\.0000  12k tok\/s  ETA \d+:\d\d$/);
  assert.match(lines[3], /^epoch 1\/2  batch 8\/8 /);
  assert.equal(p.loss, 2);
  assert.deepEqual([clock(65), clock(3723), clock(NaN), rate(950), rate(123456), rate(2.5e6)], ["1:05", "1:02:03", "?", "950", "123k", "2.50M"]);
});

test("progress on a narrow terminal: whole fields go (the rate first), never a field cut short", () => {
  const whole = /^(epoch 1\/4|batch 358\/358|loss 0\.7000|110k tok\/s|ETA \d+:\d\d)$/;
  for (const columns of [120, 80, 60, 50, 45, 40, 30, 20, 12]) {
    let text = "";
    const p = new Progress({ epochs: 4, stream: { write: (t) => (text += t), columns, isTTY: true } });
    p.batch({ epoch: 1, batch: 358, batches: 358, loss: 0.7, sequences: 1, tokens: 1, tokensPerSecond: 110000 });
    const shown = text.replace(/^\r\x1b\[K/, "");
    assert.ok(shown.length < columns, `${columns} columns: ${JSON.stringify(shown)}`);
    const fields = shown.replace(/^\[[█░]+\] /, "").split("  ");
    for (const f of fields) assert.match(f, whole, `${columns} columns: ${JSON.stringify(shown)}`);
    assert.equal(fields[0], "epoch 1/4");
    if (columns >= 60) assert.equal(fields.length, 5, `${columns} columns: every field`);
    if (columns === 50) assert.deepEqual(fields, ["epoch 1/4", "batch 358/358", "loss 0.7000", "ETA 0:00"], "50 columns: the rate goes first");
  }
});

test("SVG tick labels: as many decimals as the step needs (0.25 → 0.25, not 0.3; 2.5% → 87.5%)", () => {
  const svg = trainingPlot([{ epoch: 1, loss: 0.2, accuracy: 0.88 }, { epoch: 2, loss: 1.3, accuracy: 0.99 }], {});
  const labels = [...svg.matchAll(/text-anchor="end" font-size="11">([^<]*)</g)].map((m) => m[1]);
  assert.deepEqual(labels, ["0.00", "0.25", "0.50", "0.75", "1.00", "1.25", "1.50", "87.5%", "90.0%", "92.5%", "95.0%", "97.5%", "100.0%"]);
  const coarse = trainingPlot([{ epoch: 1, loss: 2, accuracy: 0.5 }, { epoch: 2, loss: 7, accuracy: 0.9 }], {});
  assert.deepEqual([...coarse.matchAll(/text-anchor="end" font-size="11">([^<]*)</g)].map((m) => m[1]),
    ["2", "3", "4", "5", "6", "7", "50%", "60%", "70%", "80%", "90%"], "whole steps: no decimals");
});

test("the SVG plot: two panels, a line per series, a dashed baseline, escaped text", () => {
  const svg = trainingPlot([
    { epoch: 1, loss: 0.7, valLoss: 0.2, accuracy: 0.95, valAccuracy: 0.94 },
    { epoch: 2, loss: 0.1, valLoss: 0.15, accuracy: 0.97, valAccuracy: 0.955 },
  ], { title: "Tags <Brown> & co", baseline: 0.9, planned: 4 });
  assert.match(svg, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.ok(svg.includes("Tags &lt;Brown&gt; &amp; co"));
  assert.equal(svg.match(/<polyline /g).length, 4);
  assert.equal(svg.match(/stroke-dasharray="6 4"/g).length, 2, "the baseline line and its legend");
  assert.equal(svg.match(/<circle /g).length, 8);
  assert.equal(svg.match(/<svg/g).length, svg.match(/<\/svg>/g).length);
  assert.deepEqual(ticks(0.9, 0.97, 5), [0.9, 0.92, 0.94, 0.96, 0.98]);
});
