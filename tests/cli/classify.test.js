/**
 * classify on texts of every length: an empty text (label<TAB> and nothing more) is an example
 * in train, eval and predict alike (one <eos> step); a text longer than --max-length is cut to
 * its first (--keep head, the default) or last (--keep tail) tokens, recorded in the recipe and
 * used by eval and predict unless they say otherwise.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fixtures, scratch, cli } from "./support.js";

const dir = scratch("classify");
const at = (name) => join(dir, name);
const train = (data, model, more = []) => cli(["train", "--task", "classify", "--data", data, "--model", model, "--hidden", "8", "--lr", "0.05", "--batch-size", "8", "--quiet", ...more]);

test("an empty text is an example everywhere: train, eval and predict", () => {
  const data = at("empty.txt");
  writeFileSync(data, `${readFileSync(join(fixtures, "reviews-train.txt"), "utf8")}neg\t\nneg\t  \n`);
  const model = at("e.rnn");
  const r = train(data, model, ["--epochs", "8"]);
  assert.equal(r.code, 0, r.stderr);
  const e = cli(["eval", "--model", model, "--data", data, "--json"]);
  assert.equal(e.code, 0, e.stderr);
  assert.equal(JSON.parse(e.stdout).sequences, 82, "both empty texts are scored");
  // predict: "label<TAB>" is an example with an empty text; a blank line is none (a blank line out).
  const p = cli(["predict", "--model", model, "--probs"], { input: "pos\t\n\nawful dull plot\n \t \n" });
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /^neg\t[01]\.\d{4}\t\n\n(neg|pos)\t[01]\.\d{4}\tawful dull plot\n\n$/, "the empty text: neg, as the empty texts in training");
});

test("--keep head|tail: which tokens of a text longer than --max-length the model reads", () => {
  // The label is the last word; the first ones say nothing (the same for a pos and a neg text).
  const filler = ["the", "film", "was", "a", "plot", "and", "it", "so"];
  const lines = Array.from({ length: 40 }, (_, i) => {
    const k = Math.floor(i / 2);
    const words = Array.from({ length: 3 + (k % 3) }, (_, j) => filler[(k * 3 + j * 5) % filler.length]);
    return i % 2 ? `neg\t${words.join(" ")} awful` : `pos\t${words.join(" ")} great`;
  });
  const data = at("tail.txt");
  writeFileSync(data, lines.join("\n") + "\n");
  const acc = (model, more = []) => JSON.parse(cli(["eval", "--model", model, "--data", data, "--json", ...more]).stdout).accuracy;
  for (const keep of ["head", "tail"]) assert.equal(train(data, at(`${keep}.rnn`), ["--epochs", "10", "--max-length", "2", "--keep", keep]).code, 0);
  assert.equal(train(data, at("default.rnn"), ["--epochs", "10", "--max-length", "2"]).code, 0);
  assert.deepEqual(readFileSync(at("default.rnn")), readFileSync(at("head.rnn")), "head is the default, as before");
  assert.equal(JSON.parse(readFileSync(at("tail.rnn.json"), "utf8")).keep, "tail");
  assert.equal(acc(at("tail.rnn")), 1);
  assert.equal(acc(at("head.rnn")), 0.5, "the first two words say nothing");
  assert.equal(acc(at("tail.rnn"), ["--keep", "head"]), 0.5, "eval --keep overrides the model's");
  const p = (more) => cli(["predict", "--model", at("tail.rnn"), ...more], { input: "so it was a plot and the film great\n" }).stdout;
  assert.match(p([]), /^pos\t/);
  assert.notEqual(p(["--probs"]), p(["--probs", "--keep", "head"]));
  // --keep is for classify; on --resume it cannot change.
  const tag = cli(["train", "--task", "tag", "--data", "tagged-train.txt", "--model", at("t.rnn"), "--keep", "tail"]);
  assert.equal(tag.code, 2);
  assert.match(tag.stderr, /--keep is for --task classify/);
  const again = train(data, at("tail.rnn"), ["--epochs", "1", "--resume", "--keep", "head"]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /was trained with --keep tail/);
  assert.equal(cli(["train", "--task", "tag", "--data", "tagged-train.txt", "--model", at("t.rnn"), "--epochs", "1", "--quiet"]).code, 0);
  for (const args of [["eval", "--data", "tagged-valid.txt"], ["predict"]]) {
    const r = cli([...args, "--model", at("t.rnn"), "--keep", "tail"], { input: "the cat\n" });
    assert.equal(r.code, 2, args[0]);
    assert.match(r.stderr, /--keep is for classify models/);
  }
});
