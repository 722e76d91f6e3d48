/**
 * eval as the literature scores a tagger: a known word is a word seen in training (the recipe
 * lists the training words seen fewer than --min-count times, which have no id of their own),
 * the split by vocabulary id is a second line; a gold tag or label the model does not know
 * counts as an error and is reported, instead of stopping the evaluation. Checked against the
 * model's own predictions (predict), counted here.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fixtures, scratch, cli } from "./support.js";

const dir = scratch("eval");
const at = (name) => join(dir, name);

test("tag: known words are words seen in training; unknown gold tags are errors, counted and named", () => {
  // Two words seen once in training: no id of their own with --min-count 2, but seen.
  const train = at("train.txt");
  writeFileSync(train, `${readFileSync(join(fixtures, "tagged-train.txt"), "utf8")}the/DT zebra/NN saw/VB a/DT Quokka/NN ./.\n`);
  const model = at("t.rnn");
  const r = cli(["train", "--task", "tag", "--data", train, "--model", model, "--epochs", "6", "--hidden", "8", "--lr", "0.05", "--min-count", "2", "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  const recipe = JSON.parse(readFileSync(`${model}.json`, "utf8"));
  assert.deepEqual([recipe.minCount, recipe.rareWords], [2, ["Quokka", "zebra"]]);

  const sentences = [
    "the/DT zebra/NN saw/VB a/DT quokka/NN ./.",          // zebra: seen once; quokka: never (Quokka was)
    "the/DT yak/NN saw/XX a/DT cat/YY",                   // two tags the model does not know
    "the/DT cat/NN saw/VB a/DT dog/NN ./.",
  ];
  const data = at("eval.txt");
  writeFileSync(data, sentences.join("\n") + "\n");
  const e = cli(["eval", "--model", model, "--data", data, "--json"]);
  assert.equal(e.code, 0, e.stderr);
  const res = JSON.parse(e.stdout);

  // The same counts from predict's tags.
  const words = sentences.map((s) => s.split(" ").map((t) => t.split("/")[0]));
  const gold = sentences.map((s) => s.split(" ").map((t) => t.split("/")[1]));
  const p = cli(["predict", "--model", model], { input: words.map((w) => w.join(" ")).join("\n") + "\n" });
  const predicted = p.stdout.trim().split("\n").map((l) => l.split(" ").map((t) => t.slice(t.lastIndexOf("/") + 1)));
  const seen = new Set(readFileSync(train, "utf8").split(/\s+/).filter(Boolean).map((t) => t.slice(0, t.lastIndexOf("/"))));
  const withId = (w) => seen.has(w) && w !== "zebra" && w !== "Quokka";
  const tally = (known) => {
    const c = { k: [0, 0], u: [0, 0] };
    words.forEach((ws, i) => ws.forEach((w, j) => { const part = known(w) ? c.k : c.u; part[0] += gold[i][j] === predicted[i][j] ? 1 : 0; part[1]++; }));
    return { known: c.k[0] / c.k[1], unknown: c.u[0] / c.u[1], unknownShare: c.u[1] / 17 };
  };
  const right = words.flatMap((ws, i) => ws.map((_, j) => gold[i][j] === predicted[i][j])).filter(Boolean).length;
  assert.equal(res.tokens, 17);
  assert.equal(res.accuracy, right / 17, "XX and YY count as errors");
  assert.ok(right <= 15);
  assert.equal(res.knownWords, "seen in training");
  assert.deepEqual({ known: res.known, unknown: res.unknown, unknownShare: res.unknownShare }, tally((w) => seen.has(w)));
  assert.equal(res.unknownShare, 2 / 17, "yak and quokka");
  assert.deepEqual(res.byVocabulary, tally(withId));
  assert.equal(res.byVocabulary.unknownShare, 3 / 17, "zebra too");
  assert.deepEqual(res.unknownTags, { tokens: 2, sentences: 1, tags: { XX: 1, YY: 1 } });
  assert.equal(res.lossSentences, 2);
  assert.ok(Number.isFinite(res.loss));
  assert.deepEqual(res.perClass.slice(-2).map((c) => [c.label, c.support, c.correct]), [["XX", 1, 0], ["YY", 1, 0]]);

  const text = cli(["eval", "--model", model, "--data", data]).stdout;
  assert.match(text, /^loss \d\.\d{4} per step \(over the 2 sentences whose tags the model knows\)$/m);
  assert.match(text, /^accuracy \d+\.\d\d%   known words \d+\.\d\d%   unknown words \d+\.\d\d% \(11\.76% of the tokens\)   \(known: seen in training\)$/m);
  assert.match(text, /^  by vocabulary id: words with an id \d+\.\d\d%   without one \(seen < 2 times, or never\) \d+\.\d\d% \(17\.65% of the tokens\)$/m);
  assert.match(text, /^2 tokens in 1 sentence with a tag the model does not know \(never seen in training: "XX" 1, "YY" 1\), counted as errors$/m);

  // A recipe from before the list (or without it): the split is by vocabulary id, and says so.
  const { rareWords, minCount, ...old } = recipe;
  writeFileSync(`${model}.json`, JSON.stringify(old));
  const o = JSON.parse(cli(["eval", "--model", model, "--data", data, "--json"]).stdout);
  assert.equal(o.knownWords, "with an id in the vocabulary");
  assert.equal(o.unknownShare, 3 / 17);
  assert.equal(o.byVocabulary, undefined);
  assert.match(cli(["eval", "--model", model, "--data", data]).stdout, /^  \(known: with an id in the vocabulary; this model's recipe does not list/m);
});

test("classify: a gold label the model does not know is an error, counted; the loss is over the others", () => {
  const model = at("c.rnn");
  assert.equal(cli(["train", "--task", "classify", "--data", "reviews-train.txt", "--model", model, "--epochs", "6", "--hidden", "16", "--lr", "0.02", "--batch-size", "8", "--quiet"]).code, 0);
  const data = at("labels.txt");
  writeFileSync(data, `${readFileSync(join(fixtures, "reviews-valid.txt"), "utf8")}meh\tso so plot\nmeh\tfun but dull\n`);
  const e = cli(["eval", "--model", model, "--data", data, "--json"]);
  assert.equal(e.code, 0, e.stderr);
  const res = JSON.parse(e.stdout);
  const known = JSON.parse(cli(["eval", "--model", model, "--data", "reviews-valid.txt", "--json"]).stdout);
  assert.equal(res.accuracy, (known.accuracy * 20) / 22, "the two meh examples are errors");
  assert.equal(res.loss, known.loss, "the loss is over the 20 examples of known labels");
  assert.deepEqual([res.unknownLabels, res.lossExamples], [{ examples: 2, labels: { meh: 2 } }, 20]);
  assert.deepEqual(res.perClass.map((c) => [c.label, c.support]), [["neg", 6], ["pos", 14], ["meh", 2]]);
  assert.deepEqual(known.unknownLabels, { examples: 0, labels: {} });
  assert.match(cli(["eval", "--model", model, "--data", data]).stdout, /^2 examples with a label the model does not know \(never seen in training: "meh" 2\), counted as errors$/m);
});
