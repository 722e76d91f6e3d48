/**
 * The model and its recipe (MODEL.json) belong together: train writes the recipe only with a
 * saved epoch (an interrupted run before its first epoch leaves the old pair untouched),
 * openModel refuses a recipe that describes another model, and --resume continues the epoch
 * count (shuffle seed, learning-rate decay) of the saved run, so that 2 epochs equal 1 epoch
 * then --resume for 1 more, byte for byte — with --weight-decay (AdamW) too, its λ kept in the recipe.
 * With --validation, MODEL is the best epoch and MODEL.last.rnn the last, which --resume continues.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync, readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { bin, fixtures, scratch, cli } from "./support.js";

const dir = scratch("recipe");

const tagger = (model, more = []) => cli(["train", "--task", "tag", "--data", "tagged-train.txt", "--model", model, "--epochs", "2", "--hidden", "8", "--lr", "0.05", "--quiet", ...more]);

test("Ctrl-C before the first epoch ends: the old model and its recipe stay a pair, predict still tags", async () => {
  const work = mkdtempSync(join(dir, "sigint-"));
  const model = join(work, "m.rnn");
  assert.equal(tagger(model).code, 0);
  const recipe = readFileSync(`${model}.json`, "utf8");
  const bytes = readFileSync(model);
  const sentence = "the old fish saw a dog\n";
  const tagged = cli(["predict", "--model", model], { input: sentence }).stdout;
  assert.match(tagged, /^the\/\S+ old\/\S+ fish\/\S+ saw\/\S+ a\/\S+ dog\/\S+\n$/);

  // A new run of another task into the same file, on data whose first epoch takes seconds.
  const big = join(work, "big.txt");
  writeFileSync(big, readFileSync(join(fixtures, "counting.txt"), "utf8").repeat(5000));
  const child = spawn(process.execPath, [bin, "train", "--task", "lm", "--data", big, "--model", model, "--hidden", "64"], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  const code = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`training did not start in 30 s: ${stderr}`)); }, 30_000);
    let sent = false;
    child.stderr.on("data", (b) => {
      stderr += b;
      if (!sent && /^training a lm model/m.test(stderr)) { sent = true; setTimeout(() => child.kill("SIGINT"), 300); }
    });
    child.on("close", (c) => { clearTimeout(timer); resolve(c); });
  });
  assert.equal(code, 130, stderr);
  assert.match(stderr, /interrupted before the first epoch ended: .*m\.rnn was not written/);
  assert.equal(readFileSync(`${model}.json`, "utf8"), recipe, "the recipe is the old model's");
  assert.deepEqual(readFileSync(model), bytes, "the model is the old one");
  assert.equal(cli(["predict", "--model", model], { input: sentence }).stdout, tagged, "predict still tags");
  assert.deepEqual(readdirSync(work).sort(), ["big.txt", "m.rnn", "m.rnn.json"], "no temporary files left");
});

test("a recipe that describes another model: a clear error naming both files (exit 1)", () => {
  const tag = join(dir, "t.rnn");
  const lm = join(dir, "l.rnn");
  const other = join(dir, "o.rnn");
  assert.equal(tagger(tag).code, 0);
  assert.equal(cli(["train", "--task", "lm", "--data", "counting.txt", "--model", lm, "--epochs", "1", "--hidden", "8", "--quiet"]).code, 0);
  // Another tagger of the same task, with another vocabulary (trained on other sentences).
  assert.equal(cli(["train", "--task", "tag", "--data", "tagged-valid.txt", "--model", other, "--epochs", "1", "--hidden", "8", "--quiet"]).code, 0);

  const cases = [
    [lm, `${tag}.json`],         // an lm recipe beside a tagger
    [tag, `${lm}.json`],         // a tag recipe beside a language model
    [other, `${tag}.json`],      // the same task, another vocabulary
  ];
  cases.forEach(([model, from], i) => {
    const swapped = join(dir, `swapped-${i}.rnn`);
    copyFileSync(model, swapped);
    copyFileSync(from, `${swapped}.json`);
    for (const args of [["predict", "--model", swapped], ["eval", "--model", swapped, "--data", "tagged-valid.txt"]]) {
      const r = cli(args, { input: "the old fish\n" });
      assert.equal(r.code, 1, `${args.join(" ")} with ${from}: ${r.stdout}`);
      assert.ok(r.stderr.startsWith(`${swapped}.json does not describe ${swapped}: `), r.stderr);
      assert.equal(r.stdout, "", "nothing predicted from a misread model");
    }
  });
  // The pairs as written still open.
  assert.equal(cli(["predict", "--model", tag], { input: "the old fish\n" }).code, 0);
  assert.equal(cli(["predict", "--model", lm], { input: "one two\n" }).code, 0);
});

test("--resume continues the epoch count: 2 epochs = 1 epoch, then --resume for 1 more (the same model file bytes)", () => {
  const flags = ["--task", "tag", "--data", "tagged-train.txt", "--validation", "tagged-valid.txt", "--hidden", "8", "--lr", "0.05", "--lr-decay", "0.5", "--seed", "3", "--batch-size", "16"];
  const whole = join(dir, "whole.rnn");
  const split = join(dir, "split.rnn");
  const w = cli(["train", ...flags, "--model", whole, "--epochs", "2"]);
  assert.equal(w.code, 0, w.stderr);
  assert.equal(cli(["train", ...flags, "--model", split, "--epochs", "1", "--quiet"]).code, 0);
  assert.equal(JSON.parse(readFileSync(`${split}.json`, "utf8")).training.epochs, 1);
  const r = cli(["train", ...flags, "--model", split, "--epochs", "1", "--resume"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^resuming a tag model after epoch 1: /m);
  assert.match(r.stderr, /^epoch 2\/2  loss /m, "the epochs go on from the saved one");
  const lastLine = (text) => /^epoch 2\/2  loss .*val acc \S+/m.exec(text)[0];
  assert.equal(lastLine(r.stderr), lastLine(w.stderr), "the same losses and accuracy");
  assert.deepEqual(readFileSync(split), readFileSync(whole), "the same model file, byte for byte");
  // With --validation, MODEL is the best epoch and MODEL.last.rnn the last: both the same, and their recipes.
  for (const f of ["split.last.rnn", "split.last.rnn.json", "split.rnn.json"]) {
    assert.deepEqual(readFileSync(join(dir, f)), readFileSync(join(dir, f.replace("split", "whole"))), f);
  }
  assert.equal(JSON.parse(readFileSync(join(dir, "split.last.rnn.json"), "utf8")).training.epochs, 2);

  // Without repeating the flags, --resume takes the saved run's learning rate, decay, seed and batch size;
  // it goes on from the last epoch (again.last.rnn), and without --validation MODEL is the last epoch again.
  const again = join(dir, "again.rnn");
  assert.equal(cli(["train", ...flags, "--model", again, "--epochs", "1", "--quiet"]).code, 0);
  const a = cli(["train", "--task", "tag", "--data", "tagged-train.txt", "--model", again, "--epochs", "1", "--resume", "--quiet"]);
  assert.equal(a.code, 0, a.stderr);
  assert.deepEqual(readFileSync(again), readFileSync(join(dir, "whole.last.rnn")), "the same model file without the flags");
  assert.equal(existsSync(join(dir, "again.last.rnn")) || existsSync(join(dir, "again.last.rnn.json")), false, "no stale last epoch for a later --resume");
});

test("--validation keeps the best epoch in MODEL (ties: the earlier), the last in MODEL.last.rnn; --resume goes on exactly", () => {
  // tagged-shifted.txt tags adjectives and verbs as nouns: its loss falls, then rises as the model learns the training tags.
  const flags = ["--task", "tag", "--data", "tagged-train.txt", "--validation", "tagged-shifted.txt", "--hidden", "8", "--lr", "0.05"];
  const work = mkdtempSync(join(dir, "best-"));
  const at = (name) => join(work, name);
  const w = cli(["train", ...flags, "--model", at("w.rnn"), "--epochs", "5"]);
  assert.equal(w.code, 0, w.stderr);
  const losses = [...w.stderr.matchAll(/^epoch (\d)\/5  loss \S+  val loss (\S+)/gm)].map((m) => Number(m[2]));
  assert.equal(losses.length, 5);
  const best = losses.indexOf(Math.min(...losses)) + 1;              // the earliest of the lowest
  assert.ok(best > 1 && best < 5, `the data should make a middle epoch the best: ${losses}`);
  assert.match(w.stderr, new RegExp(`^saved .*w\\.rnn \\(epoch ${best} of 5, the best on validation: val loss ${losses[best - 1].toFixed(4)}, val acc .*\\) and .*w\\.last\\.rnn \\(epoch 5, for --resume\\)`, "m"));
  assert.match(w.stderr, new RegExp(`^epoch 5/5 .*saved .*w\\.last\\.rnn; .*w\\.rnn keeps epoch ${best}, the best\\)$`, "m"));
  const recipe = JSON.parse(readFileSync(at("w.rnn.json"), "utf8"));
  assert.equal(recipe.training.epochs, best, "the recipe describes the model beside it");
  assert.deepEqual(Object.keys(recipe.training.best), ["epoch", "valLoss", "valAccuracy"]);
  assert.equal(recipe.training.best.epoch, best);
  const lastRecipe = JSON.parse(readFileSync(at("w.last.rnn.json"), "utf8"));
  assert.deepEqual([lastRecipe.training.epochs, lastRecipe.training.best], [5, recipe.training.best]);
  // MODEL is that epoch's model exactly: the last of a run stopped there.
  assert.equal(cli(["train", ...flags, "--model", at("stop.rnn"), "--epochs", String(best), "--quiet"]).code, 0);
  assert.deepEqual(readFileSync(at("w.rnn")), readFileSync(at("stop.last.rnn")));
  assert.notDeepEqual(readFileSync(at("w.rnn")), readFileSync(at("w.last.rnn")));
  // eval reads the best epoch: its accuracy on the validation data is the recipe's.
  const e = JSON.parse(cli(["eval", "--model", at("w.rnn"), "--data", "tagged-shifted.txt", "--json"]).stdout);
  assert.equal(e.accuracy, recipe.training.best.valAccuracy);
  // Split before the best epoch and after it: --resume goes on from MODEL.last.rnn, carries the
  // best so far, and ends with the same files, byte for byte.
  for (const first of [best - 1, best + 1]) {
    const m = at(`s${first}.rnn`);
    assert.equal(cli(["train", ...flags, "--model", m, "--epochs", String(first), "--quiet"]).code, 0);
    const r = cli(["train", ...flags, "--model", m, "--epochs", String(5 - first), "--resume"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`^going on from .*s${first}\\.last\\.rnn, the last epoch`, "m"));
    for (const [mine, whole] of [[m, "w.rnn"], [`${m}.json`, "w.rnn.json"], [m.replace(".rnn", ".last.rnn"), "w.last.rnn"], [m.replace(".rnn", ".last.rnn.json"), "w.last.rnn.json"]]) {
      assert.deepEqual(readFileSync(mine), readFileSync(at(whole)), `split after epoch ${first}: ${whole}`);
    }
  }
  // A later run without --validation: MODEL is its last epoch, and the old MODEL.last.rnn goes.
  assert.equal(cli(["train", "--task", "tag", "--data", "tagged-train.txt", "--model", at("w.rnn"), "--epochs", "1", "--quiet"]).code, 0);
  assert.deepEqual(readdirSync(work).filter((f) => f.startsWith("w.")).sort(), ["w.rnn", "w.rnn.json"]);
});

test("--weight-decay: AdamW (the model file says so, the recipe keeps λ), and --resume goes on with it exactly", async () => {
  const { readSafetensors } = await import("../../dist/index.js");
  const flags = ["--task", "tag", "--data", "tagged-train.txt", "--hidden", "8", "--lr", "0.05", "--seed", "3", "--batch-size", "16", "--quiet"];
  const whole = join(dir, "wd-whole.rnn"), split = join(dir, "wd-split.rnn"), plain = join(dir, "wd-plain.rnn");
  assert.equal(cli(["train", ...flags, "--model", whole, "--epochs", "2", "--weight-decay", "0.1"]).code, 0);
  assert.equal(cli(["train", ...flags, "--model", plain, "--epochs", "2"]).code, 0);
  assert.equal(cli(["train", ...flags, "--model", split, "--epochs", "1", "--weight-decay", "0.1"]).code, 0);
  const r = cli(["train", "--task", "tag", "--data", "tagged-train.txt", "--model", split, "--epochs", "1", "--resume", "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readFileSync(split), readFileSync(whole), "2 epochs = 1, then --resume without the flag (λ from the recipe)");
  const type = (file) => JSON.parse(readSafetensors(readFileSync(file)).metadata.optimizer).type;
  assert.equal(type(whole), "adamw");
  assert.equal(type(plain), "adam");
  assert.equal(JSON.parse(readFileSync(`${whole}.json`, "utf8")).training.weightDecay, 0.1);
  assert.equal(JSON.parse(readFileSync(`${plain}.json`, "utf8")).training.weightDecay, undefined, "no decay: the recipe is as before");
  assert.notDeepEqual(readFileSync(whole), readFileSync(plain));
  for (const bad of ["-0.1", "2", "lots"]) {
    const b = cli(["train", ...flags, "--model", join(dir, "wd-bad.rnn"), `--weight-decay=${bad}`]);
    assert.equal(b.code, 2, `--weight-decay ${bad}`);
    assert.match(b.stderr, /--weight-decay: expected a number ≥ 0 ≤ 1/);
  }
});
