/**
 * train's model flags beyond the one-layer model: --pooling last|mean|max (many-to-one models:
 * classify, series --many-to-one), --input-dropout P and --output-dropout P, next to --layers,
 * --bidirectional, --embedding and --dropout. Each is checked before any file is read (a bad
 * value is a usage error, exit 2, even with a missing data file), lands in the model's config
 * (the model file says so), is described in the start line and --help, and is part of the
 * model: --resume keeps it and refuses a flag that would change it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { scratch, cli, runMain as run } from "./support.js";
import { RNN } from "../../dist/index.js";

const dir = scratch("stack");
const at = (name) => join(dir, name);

const configOf = async (path) => {
  const model = await RNN.load(readFileSync(path));
  const { config } = model;
  model.dispose();
  return config;
};

test("--help describes --pooling, --input-dropout and --output-dropout", async () => {
  const help = (await run(["train", "--help"])).stdout;
  assert.match(help, /\n {2}--input-dropout P {3}dropout on the first layer's input in training, 0 <= P < 1/);
  assert.match(help, /\n {2}--output-dropout P {2}dropout on the head's input/);
  assert.match(help, /\n {2}--pooling last\|mean\|max\n {22}classify, series --many-to-one: what the head reads/);
});

test("bad values and misplaced flags: one line, exit 2, before any file is read", async () => {
  const classify = ["train", "--task", "classify", "--data", "no-such-file.txt"];
  const cases = [
    [[...classify, "--pooling", "sum"], /^rnn-wasm train: --pooling: expected one of last, mean, max, got "sum"\n$/],
    [[...classify, "--pooling", "MAX"], /--pooling: expected one of last, mean, max, got "MAX"/],
    [["train", "--task", "tag", "--data", "no-such-file.txt", "--pooling", "mean"], /^rnn-wasm train: --pooling is for many-to-one models \(--task classify, or series with --many-to-one\), not tag/],
    [["train", "--task", "tag", "--data", "no-such-file.txt", "--pooling", "last"], /--pooling is for many-to-one models/],
    [["train", "--task", "lm", "--data", "no-such-file.txt", "--pooling", "max"], /--pooling is for many-to-one models .*, not lm/],
    [["train", "--task", "series", "--data", "no-such-file.csv", "--pooling", "max"], /--pooling is for many-to-one models .*, not series without --many-to-one/],
    [[...classify, "--embedding", "4", "--input-dropout", "1"], /^rnn-wasm train: --input-dropout: expected a number ≥ 0 and < 1 \(the probability of dropping\), got "1"\n$/],
    [[...classify, "--embedding", "4", "--input-dropout=-0.1"], /--input-dropout: expected a number ≥ 0 ≤ 1, got "-0.1"/],
    [[...classify, "--embedding", "4", "--input-dropout", "lots"], /--input-dropout: expected a number ≥ 0 ≤ 1, got "lots"/],
    [[...classify, "--input-dropout", "0.2"], /^rnn-wasm train: --input-dropout drops the first layer's input: for word ids it needs --embedding E/],
    [["train", "--task", "tag", "--data", "no-such-file.txt", "--input-dropout", "0.2"], /--input-dropout .* needs --embedding E/],
    [[...classify, "--output-dropout", "1"], /^rnn-wasm train: --output-dropout: expected a number ≥ 0 and < 1 \(the probability of dropping\), got "1"\n$/],
    [[...classify, "--output-dropout", "NaN"], /--output-dropout: expected a number ≥ 0 ≤ 1, got "NaN"/],
    [[...classify, "--output-dropout"], /--output-dropout.*argument missing/],
  ];
  for (const [args, message] of cases) {
    const r = await run(args);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.stderr, message, args.join(" "));
  }
  // The same from a config file, with the library's key names.
  const config = at("bad.json");
  writeFileSync(config, JSON.stringify({ task: "classify", data: "no-such-file.txt", pooling: "median" }));
  const r = await run(["train", "--config", config]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--pooling: expected one of last, mean, max, got "median"/);
});

test("classify: --pooling, --input-dropout and --output-dropout reach the model; eval and predict read it; --resume keeps them", async () => {
  const model = at("pooled.rnn");
  const flags = ["--bidirectional", "--embedding", "8", "--pooling", "max", "--input-dropout", "0.1", "--output-dropout", "0.25"];
  const r = cli(["train", "--task", "classify", "--data", "reviews-train.txt", "--validation", "reviews-valid.txt", "--model", model,
    "--epochs", "6", "--hidden", "8", "--lr", "0.02", "--batch-size", "8", ...flags]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^training a classify model: \d+ ids → embedding 8 → 8 hidden × 2 directions \(tanh, input dropout 0\.1, output dropout 0\.25\) → max over the steps → 2 outputs/);
  const config = await configOf(model);
  assert.deepEqual([config.pooling, config.inputDropout, config.outputDropout, config.bidirectional, config.embeddingSize], ["max", 0.1, 0.25, true, 8]);
  const e = JSON.parse(cli(["eval", "--model", model, "--data", "reviews-valid.txt", "--json"]).stdout);
  assert.ok(e.accuracy >= 0.7, `accuracy ${e.accuracy}`);
  const p = cli(["predict", "--model", model, "--probs"], { input: "wonderful fun film\n" });
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /^(pos|neg)\t[01]\.\d{4}\twonderful fun film\n$/);

  // --resume: repeating a flag's value is fine, changing it is refused, leaving it out keeps it.
  for (const [flag, value, has] of [["--pooling", "mean", "pooling max"], ["--input-dropout", "0.2", "input-dropout 0.1"], ["--output-dropout", "0", "output-dropout 0.25"]]) {
    const again = cli(["train", "--task", "classify", "--data", "reviews-train.txt", "--validation", "reviews-valid.txt", "--model", model, "--resume", "--epochs", "1", flag, value]);
    assert.equal(again.code, 2, flag);
    assert.match(again.stderr, new RegExp(`has ${has}; ${flag} ${value} cannot change a trained model`), flag);
  }
  const same = cli(["train", "--task", "classify", "--data", "reviews-train.txt", "--validation", "reviews-valid.txt", "--model", model, "--resume", "--epochs", "1", "--quiet", "--pooling", "max"]);
  assert.equal(same.code, 0, same.stderr);
  const kept = cli(["train", "--task", "classify", "--data", "reviews-train.txt", "--validation", "reviews-valid.txt", "--model", model, "--resume", "--epochs", "1", "--quiet"]);
  assert.equal(kept.code, 0, kept.stderr);
  assert.deepEqual(await configOf(at("pooled.last.rnn")), config, "the resumed model is the same model");
});

test("the defaults change nothing: a classify model trained with --pooling last and zero dropouts is the model trained without them, byte for byte", () => {
  const base = ["train", "--task", "classify", "--data", "reviews-train.txt", "--epochs", "2", "--hidden", "8", "--batch-size", "8", "--quiet"];
  assert.equal(cli([...base, "--model", at("plain.rnn")]).code, 0);
  assert.equal(cli([...base, "--model", at("defaults.rnn"), "--pooling", "last", "--input-dropout", "0", "--output-dropout", "0"]).code, 0);
  assert.deepEqual(readFileSync(at("defaults.rnn")), readFileSync(at("plain.rnn")));
});

test("series --many-to-one takes --pooling and --input-dropout on its features", async () => {
  const model = at("series.rnn");
  const r = cli(["train", "--task", "series", "--data", "delay.csv", "--many-to-one", "--model", model, "--epochs", "2", "--hidden", "4",
    "--pooling", "mean", "--input-dropout", "0.1", "--output-dropout", "0.1"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^training a series model: 1 features → 4 hidden \(tanh, input dropout 0\.1, output dropout 0\.1\) → mean over the steps → 1 outputs \(mse, many-to-one\)/);
  const config = await configOf(model);
  assert.deepEqual([config.pooling, config.inputDropout, config.outputDropout], ["mean", 0.1, 0.1]);
  const e = cli(["eval", "--model", model, "--data", "delay.csv"]);
  assert.equal(e.code, 0, e.stderr);
});
