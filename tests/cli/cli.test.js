/**
 * The CLI (bin/rnn-wasm.js) as a person runs it: every command on the small fixture files of
 * tests/fixtures/cli/ (tagging, classification, word and character language models, CSV and
 * JSON series), --help everywhere, a config file, and bad input: malformed lines reported
 * with file and line, missing files, empty corpora, unknown commands and flags (exit ≠ 0),
 * and Ctrl-C during training leaving the last saved model intact.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { bin, fixtures, scratch, cli, runMain as run } from "./support.js";
import { RNN } from "../../dist/index.js";

const dir = scratch("cli");

const out = (name) => join(dir, name);

test("--help for every command, help <command>, and usage without a command", async () => {
  for (const command of ["train", "eval", "predict", "generate"]) {
    for (const args of [[command, "--help"], [command, "-h"], ["help", command]]) {
      const r = await run(args);
      assert.equal(r.code, 0, args.join(" "));
      assert.match(r.stdout, new RegExp(`^usage: rnn-wasm ${command} `), args.join(" "));
    }
  }
  const help = cli(["--help"]);                               // the real command, once
  assert.equal(help.code, 0);
  assert.match(help.stdout, /commands:\n  train .*\n  eval .*\n  predict .*\n  generate /);
  assert.match((await run(["help", "formats"])).stdout, /label, a TAB, the text/);
  const none = cli([]);
  assert.equal(none.code, 2, "no command is a usage error");
  assert.match(none.stdout, /^rnn-wasm: train and run/);
});

test("unknown command, unknown flag, bad flag values: a message and exit code 2", async () => {
  const cases = [
    [["fit"], /^rnn-wasm: unknown command "fit" \(commands: train, eval, predict, generate, help\)\n$/],
    [["train", "--task", "tag", "--data", "tagged-train.txt", "--epoch", "3"], /^rnn-wasm train: unknown flag '--epoch' \(see rnn-wasm train --help\)\n$/],
    [["predict", "--modle", "x"], /unknown flag '--modle'/],
    [["train", "--task", "tag", "--data", "tagged-train.txt", "--epochs", "0"], /^rnn-wasm train: --epochs: expected an integer ≥ 1, got "0"\n$/],
    [["train", "--task", "tag", "--data", "tagged-train.txt", "--lr", "fast"], /^rnn-wasm train: --lr: expected a number ≥ 1e-9 ≤ 100, got "fast"\n$/],
    [["train", "--task", "pos", "--data", "tagged-train.txt"], /^rnn-wasm train: --task: expected one of tag, classify, lm, series, got "pos"\n$/],
    [["train", "--task", "foo", "--data", "tagged-train.txt"], /^rnn-wasm train: --task: expected one of tag, classify, lm, series, got "foo"\n$/],
    [["train", "--data", "tagged-train.txt"], /^rnn-wasm train: --task is required/],
    [["train", "--task", "tag"], /^rnn-wasm train: --data is required/],
    [["eval", "--model", "m.rnn", "--data", "tagged-valid.txt", "--top", "0"], /^rnn-wasm eval: --top: expected an integer ≥ 1, got "0"\n$/],
    [["generate", "--model", "m.rnn", "--temperature", "hot"], /^rnn-wasm generate: /],
    [["predict"], /^rnn-wasm predict: --model is required/],
    [["help", "fly"], /^rnn-wasm help: no command "fly"/],
  ];
  for (const [args, message] of cases) {
    const r = await run(args);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.stderr, message, args.join(" "));
  }
  const real = cli(["fit"]);                                  // and the exit code of the real command
  assert.equal(real.code, 2);
  assert.match(real.stderr, /unknown command "fit"/);
});

test("malformed lines are reported with the file and line number (exit code 1)", () => {
  const cases = [
    [["train", "--task", "tag", "--data", "tagged-bad.txt"], 'tagged-bad.txt:4: token 3 "man": expected word/TAG (a word, a "/", a tag)\n'],
    [["train", "--task", "classify", "--data", "reviews-bad.txt"], 'reviews-bad.txt:4: expected label<TAB>text, found no tab in "this line has no tab"\n'],
    [["train", "--task", "series", "--data", "delay-bad.csv"], 'delay-bad.csv:4: column "x": expected a number, got "abc"\n'],
    [["train", "--task", "series", "--data", "delay-bad.json"], "delay-bad.json:3:18: not valid JSON (Expected ',' or ']' after array element)\n"],
  ];
  for (const [args, message] of cases) {
    const r = cli([...args, "--model", out("never.rnn")]);
    assert.equal(r.code, 1, args.join(" "));
    assert.equal(r.stderr, message);
  }
  assert.equal(existsSync(out("never.rnn")), false, "nothing is written for bad data");
});

test("missing or unreadable files and empty corpora: a clear message and exit code 1", () => {
  const cases = [
    [["train", "--task", "lm", "--data", "no-such.txt"], /^data file no-such\.txt: cannot read it \(no such file\)\n$/],
    [["train", "--task", "lm", "--data", "empty.txt"], /^empty\.txt: no sequences \(the file is empty or has only blank lines\)\n$/],
    [["train", "--task", "lm", "--data", "."], /^data file \.: is a directory, not a file\n$/],
    [["train", "--config", "no-such.json"], /^config file no-such\.json: cannot read it \(no such file\)\n$/],
    [["eval", "--model", "no-such.rnn", "--data", "counting.txt"], /^model file no-such\.rnn: cannot read it \(no such file\)\n$/],
    [["eval", "--model", "counting.txt", "--data", "counting.txt"], /^model file counting\.txt: RNN\.load: /],
  ];
  for (const [args, message] of cases) {
    const r = cli([...args, ...(args[0] === "train" ? ["--model", out("never.rnn")] : [])]);
    assert.equal(r.code, 1, args.join(" "));
    assert.match(r.stderr, message);
  }
  const cfg = out("bad-config.json");
  writeFileSync(cfg, JSON.stringify({ task: "tag", data: "x", epoch: 3 }));
  const r = cli(["train", "--config", cfg]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^rnn-wasm train: config file .*bad-config\.json: unknown key "epoch"/);
});

test("tag: train from a config file (paths relative to it), then predict and eval", () => {
  const model = out("tag.rnn");
  const svg = out("tag.svg");
  const r = cli(["train", "--config", "tagger.config.json", "--model", model, "--plot", svg]);
  assert.equal(r.code, 0, r.stderr);
  // Non-TTY progress: plain lines with epoch, batch, loss, speed and the time left.
  assert.match(r.stderr, /^epoch 1\/3  batch 5\/5  loss \d+\.\d{4}  \d+k? tok\/s  ETA \d+:\d\d$/m);
  assert.match(r.stderr, /^epoch 3\/3  loss \d\.\d{4}  val loss \d\.\d{4}  val acc \d+\.\d\d%/m);
  const recipe = JSON.parse(readFileSync(`${model}.json`, "utf8"));
  assert.deepEqual([recipe.kind, recipe.task, recipe.lookahead, recipe.unk], ["rnn-wasm-cli", "tag", 1, "plain"]);
  assert.match(readFileSync(svg, "utf8"), /^<\?xml[^]*<svg [^]*<polyline [^]*<\/svg>\n$/);

  const p = cli(["predict", "--model", model], { input: "the old fish saw a dog\n\nevery cat likes the bird .\n" });
  assert.equal(p.code, 0, p.stderr);
  const lines = p.stdout.split("\n");
  assert.equal(lines.length, 4);
  assert.match(lines[0], /^the\/\S+ old\/\S+ fish\/\S+ saw\/\S+ a\/\S+ dog\/\S+$/);
  assert.equal(lines[1], "", "a blank line stays blank");
  assert.equal(lines[0], "the/DT old/JJ fish/NN saw/VB a/DT dog/NN");

  const e = cli(["eval", "--model", model, "--data", "tagged-valid.txt", "--json"]);
  assert.equal(e.code, 0, e.stderr);
  const res = JSON.parse(e.stdout);
  assert.equal(res.tokens, 119);
  assert.ok(res.accuracy > 0.95, `accuracy ${res.accuracy}`);
  const text = cli(["eval", "--model", model, "--data", "tagged-valid.txt"]);
  assert.match(text.stdout, /^tagged-valid\.txt: 20 sentences, 119 tokens\n/);
  assert.match(text.stdout, /confusion matrix: rows true class, columns predicted\n/);
  // Per-tag precision, recall and F1, as for classify: a header, then one row per tag (most frequent first).
  const table = /\ntag +support +precision +recall +F1\n((?:.+\n)+)\n/.exec(text.stdout);
  assert.ok(table, text.stdout);
  const rows = table[1].trim().split("\n").map((l) => l.trim().split(/ +/));
  assert.deepEqual(rows.map((r) => r[0]).sort(), [".", "DT", "JJ", "NN", "VB"]);
  const supports = rows.map((r) => Number(r[1]));
  assert.deepEqual(supports, [...supports].sort((a, b) => b - a), "the most frequent tags first");
  for (const r of rows) assert.match(r.slice(1).join(" "), /^\d+ \d+\.\d\d% \d+\.\d\d% \d+\.\d\d%$/, r.join(" "));
  assert.equal(rows.reduce((n, r) => n + Number(r[1]), 0), 119, "the supports add up to the tokens");
  const two = cli(["eval", "--model", model, "--data", "tagged-valid.txt", "--top", "2"]);
  assert.match(two.stdout, /\ntag +support +precision +recall +F1 +\(the 2 most frequent of 5 tags\)\n(DT|NN) +40 .*\n(DT|NN) +40 .*\n\n/);
  // A tag the model does not know is an error of the model (it was never seen in training), counted; the rest is scored.
  const other = out("other-tags.txt");
  writeFileSync(other, "the/DT cat/NN\nthe/DT cat/XX\n");
  const bad = cli(["eval", "--model", model, "--data", other, "--json"]);
  assert.equal(bad.code, 0, bad.stderr);
  assert.deepEqual(JSON.parse(bad.stdout).unknownTags, { tokens: 1, sentences: 1, tags: { XX: 1 } });
  assert.equal(JSON.parse(bad.stdout).accuracy, 0.75);
  // Training on it still is an error at its line (a model cannot learn a tag it has no output for).
  const resumed = cli(["train", "--task", "tag", "--data", other, "--model", model, "--resume", "--epochs", "1", "--quiet"]);
  assert.equal(resumed.code, 1);
  assert.match(resumed.stderr, /other-tags\.txt:2: tag "XX" is not one the model knows \(\., DT, JJ, NN, VB\)/);
});

test("classify: label<TAB>text, accuracy and F1 in eval, probabilities in predict", () => {
  const model = out("reviews.rnn");
  const r = cli(["train", "--task", "classify", "--data", "reviews-train.txt", "--validation", "reviews-valid.txt", "--model", model,
    "--epochs", "6", "--hidden", "16", "--lr", "0.02", "--batch-size", "8", "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "", "--quiet prints nothing");
  const e = JSON.parse(cli(["eval", "--model", model, "--data", "reviews-valid.txt", "--json"]).stdout);
  assert.ok(e.accuracy >= 0.9, `accuracy ${e.accuracy}`);
  assert.deepEqual(e.majority, { label: "pos", accuracy: 0.7 });
  assert.deepEqual(e.perClass.map((c) => c.label), ["neg", "pos"]);
  const p = cli(["predict", "--model", model, "--probs"], { input: "pos\twonderful fun film\nawful dull plot\n" });
  assert.equal(p.code, 0, p.stderr);
  const [a, b] = p.stdout.trim().split("\n").map((l) => l.split("\t"));
  assert.deepEqual([a[0], a[2], b[0], b[2]], ["pos", "wonderful fun film", "neg", "awful dull plot"]);
  assert.ok(Number(a[1]) > 0.5 && Number(a[1]) <= 1);
});

test("lm: words and characters; generate, predict next tokens, eval perplexity", () => {
  const words = out("count.rnn");
  assert.equal(cli(["train", "--task", "lm", "--data", "counting.txt", "--model", words, "--epochs", "40", "--hidden", "16", "--lr", "0.02", "--quiet"]).code, 0);
  const g = cli(["generate", "--model", words, "--count", "4", "--temperature", "0.3", "--seed", "1"]);
  assert.equal(g.code, 0, g.stderr);
  const lines = g.stdout.trim().split("\n");
  assert.equal(lines.length, 4);
  for (const l of lines) assert.match(l, /^(one|two|three|four|five|six)( (one|two|three|four|five|six|<unk>|<pad>|<sos>))*$/);
  assert.equal(cli(["generate", "--model", words, "--count", "4", "--temperature", "0.3", "--seed", "1"]).stdout, g.stdout, "seeded: the same text again");
  const p = cli(["predict", "--model", words, "--top", "2"], { input: "one two\n" });
  assert.match(p.stdout, /^one two\t→ "three" 0\.\d{3}  \S+ 0\.\d{3}\n$/);
  const e = JSON.parse(cli(["eval", "--model", words, "--data", "counting.txt", "--json"]).stdout);
  assert.ok(e.perplexity > 1 && e.perplexity < 3, `perplexity ${e.perplexity}`);

  const chars = out("chars.rnn");
  assert.equal(cli(["train", "--task", "lm", "--chars", "--data", "counting.txt", "--model", chars, "--epochs", "3", "--hidden", "16", "--quiet"]).code, 0);
  const c = cli(["generate", "--model", chars, "--prefix", "th", "--count", "2", "--max-length", "12"]);
  assert.equal(c.code, 0, c.stderr);
  for (const l of c.stdout.trim().split("\n")) assert.ok(l.startsWith("th") && l.length <= 2 + 12 * 5, l);
  const notLm = cli(["generate", "--model", out("reviews.rnn")]);       // from the classify test above
  assert.equal(notLm.code, 2);
  assert.match(notLm.stderr, /is a classify model; generate needs one trained with --task lm/);
});

test("series: CSV in, JSON out; eval against the mean", () => {
  const model = out("delay.rnn");
  const r = cli(["train", "--task", "series", "--data", "delay.csv", "--model", model, "--epochs", "40", "--hidden", "8", "--lr", "0.02", "--batch-size", "8", "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  const recipe = JSON.parse(readFileSync(`${model}.json`, "utf8"));
  assert.deepEqual([recipe.features, recipe.targets], [["x"], ["target"]]);
  const e = JSON.parse(cli(["eval", "--model", model, "--data", "delay.json", "--json"]).stdout);
  assert.ok(e.mse < e.meanBaselineMse / 10, `mse ${e.mse} vs ${e.meanBaselineMse}`);
  const p = cli(["predict", "--model", model, "--input", "delay.json"]);
  const rows = JSON.parse(p.stdout);
  assert.equal(rows.length, 10);
  assert.equal(rows[0].outputs.length, JSON.parse(readFileSync(join(fixtures, "delay.json"), "utf8"))[0].inputs.length);
  // Features only (no target column) are fine for predict.
  const x = out("x.csv");
  writeFileSync(x, "x\n0.5\n-0.5\n0.25\n");
  const q = JSON.parse(cli(["predict", "--model", model, "--input", x]).stdout);
  assert.equal(q[0].outputs.length, 3);
  assert.ok(Math.abs(q[0].outputs[1][0] - 0.5) < 0.2, `delayed ${q[0].outputs[1][0]}`);
});

test("--resume continues a saved model", () => {
  const model = out("resume.rnn");
  const args = ["train", "--task", "tag", "--data", "tagged-train.txt", "--model", model, "--epochs", "1", "--hidden", "8", "--quiet"];
  assert.equal(cli(args).code, 0);
  const before = readFileSync(model);
  const r = cli([...args, "--resume"]);
  assert.equal(r.code, 0, r.stderr);
  assert.notDeepEqual(readFileSync(model), before, "trained further");
  const wrong = cli(["train", "--task", "classify", "--data", "reviews-train.txt", "--model", model, "--resume"]);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /is a tag model, not classify/);
});

test("Ctrl-C during training: exit 130, the last saved epoch's model intact, no temporary files", async () => {
  const work = mkdtempSync(join(dir, "sigint-"));
  const data = join(work, "big.txt");
  const line = readFileSync(join(fixtures, "tagged-train.txt"), "utf8");
  writeFileSync(data, line.repeat(200));                    // 16,000 sentences: an epoch takes a while
  const model = join(work, "m.rnn");
  const child = spawn(process.execPath, [bin, "train", "--task", "tag", "--data", data, "--model", model, "--epochs", "1000", "--hidden", "32"], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  let saved = 0;
  const code = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`no epoch saved in 30 s: ${stderr}`)); }, 30_000);
    child.stderr.on("data", (b) => {
      stderr += b;
      const n = (stderr.match(/, saved /g) ?? []).length;
      if (n > saved && (saved = n) === 1) child.kill("SIGINT");   // after the first save, mid-epoch 2
    });
    child.on("close", (c) => { clearTimeout(timer); resolve(c); });
  });
  assert.equal(code, 130, stderr);
  assert.match(stderr, /interrupted: stopping after this batch/);
  assert.match(stderr, /interrupted: .*m\.rnn holds epoch 1\n$/);
  const m = await RNN.load(readFileSync(model));             // a whole model file
  assert.equal(m.config.hiddenSize, 32);
  assert.equal(m.labels.size, 5);
  m.dispose();
  assert.deepEqual(readdirSync(work).sort(), ["big.txt", "m.rnn", "m.rnn.json"], "no temporary files left");
});
