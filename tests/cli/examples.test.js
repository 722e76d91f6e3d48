/**
 * The two other examples: spam vs ham (examples/spam.js) and character-level generation
 * (examples/chars.js) — their helpers on hand-made inputs (numbers worked out in comments),
 * and a short smoke run of each (one small epoch) that must print its results.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { messageTokens, binaryScores, naiveBayes } from "../../examples/spam.js";
import { detokenize } from "../../examples/chars.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "rnn-wasm-examples-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

test("messageTokens: the subject and the body, no headers, no HTML, lower case", () => {
  const raw = "From: a@b.c\r\nSubject: WIN $500\r\n  today!\r\nX-Spam: yes\r\n\r\n<html><p>Click <b>HERE</b> &amp; don't wait</p></html>\r\n";
  assert.deepEqual(messageTokens(raw), ["win", "$", "500", "today", "!", "click", "here", "don't", "wait"]);
  assert.deepEqual(messageTokens("Subject: hi\n"), ["hi"], "no body");
});

test("binaryScores by hand", () => {
  // actual    1 1 1 0 0 0 0 0      predicted 1 1 0 1 0 0 0 0
  // tp 2, fp 1, fn 1, right 6 of 8 → precision 2/3, recall 2/3, F1 2/3, accuracy 0.75
  const s = binaryScores([1, 1, 1, 0, 0, 0, 0, 0], [1, 1, 0, 1, 0, 0, 0, 0], 1);
  assert.deepEqual(s, { accuracy: 0.75, precision: 2 / 3, recall: 2 / 3, f1: 2 / 3 });
  assert.deepEqual(binaryScores([1, 0], [0, 0], 1), { accuracy: 0.5, precision: 0, recall: 0, f1: 0 }, "never predicting spam: F1 0");
});

test("naive Bayes by hand", () => {
  // ham: "a b" "a c"   spam: "x x b"      V = {a, b, c, x} = 4
  // P(a|ham) = (2+1)/(4+4) = 3/8, P(x|ham) = 1/8; P(a|spam) = 1/7, P(x|spam) = (2+1)/(3+4) = 3/7
  // "x": ham log(2/3) + log(1/8) = −2.485; spam log(1/3) + log(3/7) = −1.946 → spam
  // "a": ham log(2/3) + log(3/8) = −1.386; spam log(1/3) + log(1/7) = −3.045 → ham; unseen words count for nothing
  const predict = naiveBayes([["a", "b"], ["a", "c"], ["x", "x", "b"]], [0, 0, 1], ["ham", "spam"]);
  assert.deepEqual([predict(["x"]), predict(["a"]), predict(["a", "zzz"]), predict([])], [1, 0, 0, 0]);
});

test("detokenize: Brown tokens back to text", () => {
  assert.equal(detokenize(["``", "I", "know", ",", "''", "he", "said", "(", "quietly", ")", "."]), '"I know," he said (quietly).');
  assert.equal(detokenize(["It", "costs", "$5", ";", "ok", "?"]), "It costs $5; ok?");
});

function run(script, args) {
  const r = spawnSync(process.execPath, [script, ...args], { cwd: root, encoding: "utf8", timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test("spam smoke run: one short epoch; accuracy and F1 next to both baselines", () => {
  const out = run("examples/spam.js", ["--epochs", "1", "--max-tokens", "20", "--hidden", "16", "--out", join(dir, "spam")]);
  assert.match(out, /^SpamAssassin corpus: 6046 messages; train 4232 \(31\.4% spam\), validation 605, test 1209 \(31\.3% spam\)/);
  assert.match(out, /\nmodel: \d+ token ids → 16 hidden \(tanh\) × 2 directions → ham\/spam from the maximum of each feature over the steps; 1 epochs/, "bidirectional, max-pooled by default");
  assert.match(out, /RNN \(this run\) +\d+\.\d\d% +\d+\.\d\d% +\d+\.\d\d% +\d+\.\d\d%/);
  assert.match(out, /always "ham" \(majority\) +68\.65% +0\.00% +0\.00% +0\.00%/);   // 830 ham of 1209
  assert.match(out, /naive Bayes \(same tokens\) +9\d\.\d\d%/);
  assert.deepEqual(readdirSync(join(dir, "spam")).sort(), ["spam.rnn", "spam.rnn.json"]);
});

test("chars smoke run: a few hundred sentences, samples at three temperatures", () => {
  const out = run("examples/chars.js", ["--epochs", "1", "--sentences", "300", "--hidden", "32", "--out", join(dir, "chars")]);
  assert.match(out, /^Brown corpus sentences as text: 300 for training/);
  assert.match(out, /validation: \d\.\d{3} bits per character .*; character frequencies alone: \d\.\d{3} bits/);
  for (const t of ["0.3", "0.7", "1"]) assert.match(out, new RegExp(`\\ntemperature ${t.replace(".", "\\.")}:\\n  The .*\\n  He said .*\\n  In the `));
  // README's sample has what the run prints: a heading per temperature, then one line per prefix.
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const at = readme.indexOf("**Characters**");
  const sample = /```\n([^]*?)```/.exec(readme.slice(at))[1];
  const shape = (text) => text.split("\n").filter((l) => /^temperature |^  \S/.test(l)).map((l) => (l.startsWith("temperature") ? l : /^  (The |He said |In the )/.exec(l)?.[0] ?? l));
  assert.deepEqual(shape(sample), shape(out.slice(out.indexOf("\ntemperature "))));
  const gen = spawnSync(process.execPath, ["bin/rnn-wasm.js", "generate", "--model", join(dir, "chars", "chars.rnn"), "--prefix", "It ", "--count", "2", "--max-length", "20"], { cwd: root, encoding: "utf8" });
  assert.equal(gen.status, 0, gen.stderr);
  assert.equal(gen.stdout.split("\n").filter((l) => l.startsWith("It ")).length, 2);
});
