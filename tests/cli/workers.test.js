/**
 * train --workers N: data-parallel training (fitAsync's `workers`) from the command line.
 * N = 2 finishes (and node exits: the workers are terminated after every epoch), gives the same
 * model file and recipe on every run, and --resume continues it exactly (N from the recipe);
 * --workers 1 is no flag at all, byte for byte; bad values are usage errors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { scratch, cli, runMain } from "./support.js";

const dir = scratch("workers");
// Two layers with dropout: replicas draw their own masks, so N = 2 cannot pass for N = 1 by chance.
const flags = ["--task", "tag", "--data", "tagged-train.txt", "--hidden", "8", "--layers", "2", "--dropout", "0.25", "--lr", "0.05", "--batch-size", "16", "--seed", "2", "--quiet"];
const files = (model) => ({ model: readFileSync(model), recipe: readFileSync(`${model}.json`, "utf8") });
const train = (model, more) => {
  const r = cli(["train", ...flags, "--model", model, ...more]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout + r.stderr, "", "--quiet");
  return files(model);
};

test("--workers 2: finishes, the same files on every run, recorded in the recipe; --workers 1 is no flag, byte for byte", () => {
  const a = train(join(dir, "w2-a.rnn"), ["--epochs", "2", "--workers", "2"]);
  const b = train(join(dir, "w2-b.rnn"), ["--epochs", "2", "--workers", "2"]);
  assert.deepEqual(b.model, a.model, "two runs of --workers 2: the same model file");
  assert.equal(b.recipe.replaceAll("w2-b", "w2-a"), a.recipe);
  assert.equal(JSON.parse(a.recipe).training.workers, 2);

  const none = train(join(dir, "none.rnn"), ["--epochs", "2"]);
  const one = train(join(dir, "one.rnn"), ["--epochs", "2", "--workers", "1"]);
  assert.deepEqual(one.model, none.model, "--workers 1 trains as no flag");
  assert.equal(one.recipe, none.recipe, "and writes the same recipe (no workers field)");
  assert.equal(JSON.parse(none.recipe).training.workers, undefined);
  assert.notDeepEqual(a.model, none.model, "2 workers draw other dropout masks");
});

test("--workers 2 then --resume (N from the recipe): exactly the model of one longer run", () => {
  const whole = train(join(dir, "r-whole.rnn"), ["--epochs", "3", "--workers", "2"]);
  const split = join(dir, "r-split.rnn");
  train(split, ["--epochs", "2", "--workers", "2"]);
  const r = cli(["train", "--task", "tag", "--data", "tagged-train.txt", "--model", split, "--epochs", "1", "--resume", "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(files(split).model, whole.model, "3 epochs = 2, then --resume --epochs 1");
  assert.equal(JSON.parse(files(split).recipe).training.workers, 2);
});

test("--workers is validated like the other integer flags, and in --help", async () => {
  for (const bad of ["0", "-1", "1.5", "two", "257"]) {
    const r = await runMain(["train", ...flags, "--model", join(dir, "bad.rnn"), `--workers=${bad}`]);
    assert.equal(r.code, 2, `--workers ${bad}`);
    assert.match(r.stderr, /^rnn-wasm train: --workers: expected an integer (≥ 1|≤ 256), got /, bad);
  }
  const help = await runMain(["train", "--help"]);
  assert.match(help.stdout, /--workers N +data-parallel training/);
});
