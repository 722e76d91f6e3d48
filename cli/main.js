// rnn-wasm's command line: train | eval | predict | generate on plain data files.
// Flags are parsed with node:util parseArgs (strict: unknown flags are errors). docs/cli.md.
import { readFileSync, existsSync } from "node:fs";
import { dirname, resolve, isAbsolute } from "node:path";
import {
  RNN, LabelEncoder, Vocabulary, ConfusionMatrix, RnnError, argmax, nextTokenData, cutSequences, labellingData, loadModelFile,
} from "../dist/index.js";
import { parseFlags, intFlag, numFlag, choiceFlag, boolFlag } from "../apps/args.js";

/** The most layers a model has (the library's MAX_LAYERS). */
const MAX_LAYERS = 64;
/** The most workers fitAsync starts (the library's MAX_WORKERS). */
const MAX_WORKERS = 256;
import { CliError, EXIT } from "../apps/errors.js";
import { readData, checkUntagged } from "./input.js";
import { readText, readBytes } from "../apps/files.js";
import { labelledText } from "../apps/formats.js";
import { trainEpochs } from "../apps/loop.js";
import { WordEncoder } from "../apps/text.js";
import { tagDataset, evaluateTagger, predictTags } from "../apps/tagging.js";
import { TASKS, RECIPE_KIND, recipePath, lastModelPath, recipeFields, checkRecipe } from "../apps/recipe.js";
const pct = (x) => (Number.isFinite(x) ? `${(100 * x).toFixed(2)}%` : "—");

// ── help ─────────────────────────────────────────────────────────────────────────────────

const FORMATS = `Data formats (UTF-8 text; blank lines are skipped):
  tag       one sentence per line, space-separated word/TAG pairs      The/DT cat/NN sat/VBD
  classify  one example per line: a label, a TAB, the text              spam<TAB>Win a prize now
  lm        one sequence per line, space-separated tokens (--chars: every character is a token)
  series    CSV: a header, one row per step; a "sequence" column groups rows (or blank lines
            separate sequences); columns named target… are targets, the others features.
            JSON: [{ "inputs": [[x, …], …], "targets": [[y, …], …] }, …] ("target": [y, …] with --many-to-one)`;

const HELP = {
  main: `rnn-wasm: train and run Elman RNNs (rnn-wasm, WebAssembly) on plain data files.

usage: rnn-wasm <command> [flags]

commands:
  train      train a model on a data file; saves it after every epoch
  eval       evaluate a saved model on a labelled data file
  predict    run a saved model on new data (tags, classes, next tokens, outputs)
  generate   sample text from a saved language model (task lm)
  help       rnn-wasm help <command>, or rnn-wasm <command> --help

${FORMATS}

A model file MODEL comes with MODEL.json (the task and how text becomes ids), written by train
with every saved epoch; eval, predict and generate check that the two belong together.
Exit codes: 0 done, 1 bad data or files, 2 bad usage, 130 interrupted (Ctrl-C).`,

  train: `usage: rnn-wasm train --task tag|classify|lm|series --data FILE [flags]

Train a model and save it to --model after every epoch (atomically: an interrupted run leaves
the last complete epoch's model). Ctrl-C stops after the current batch. With --validation,
--model is the epoch with the lowest validation loss (ties: the earlier) and MODEL.last.rnn
(tagger.rnn → tagger.last.rnn) the last epoch, which --resume continues.

  --task T            tag (many-to-many, softmax), classify (many-to-one, softmax),
                      lm (next token, softmax), series (dense inputs, MSE)
  --data FILE         training data (see rnn-wasm help formats)
  --validation FILE   held-out data: loss and accuracy after every epoch; keep the best epoch
  --model FILE        where to save (default model.rnn; MODEL.json goes next to it, with each save)
  --config FILE       a JSON object of these flags ({ "task": "tag", "epochs": 5, … });
                      flags given on the command line win; its paths are relative to it
  --resume            continue training the model in --model (its last epoch: MODEL.last.rnn
                      when there is one; its vocabulary and classes): the
                      epochs count on from its last one, and --lr, --lr-decay, --seed,
                      --batch-size, --clip-norm, --weight-decay and --workers default to its
                      run's, so --epochs 2 trains the same model as --epochs 1, then
                      --resume --epochs 1
  --plot FILE         an SVG of the loss and accuracy per epoch
  --quiet             no progress bar

  model and training:
  --hidden D          hidden units (default 64)
  --activation F      tanh, sigmoid or relu (default tanh)
  --layers N          a stack of N recurrent layers, 1..64 (default 1)
  --bidirectional     add a reverse direction to every layer (tag, classify, series; not lm,
                      whose next token the reverse direction would read; such a model cannot
                      generate)
  --embedding E       tag, classify, lm: a trainable embedding of E numbers per word feeds the
                      first layer (default: none, each word's own column of weights)
  --dropout P         dropout between layers in training, 0 <= P < 1 (default 0; needs --layers 2+)
  --input-dropout P   dropout on the first layer's input in training, 0 <= P < 1: the embedded
                      words (needs --embedding) or a series' features (default 0)
  --output-dropout P  dropout on the head's input (the top layer's output) in training,
                      0 <= P < 1 (default 0)
  --pooling last|mean|max
                      classify, series --many-to-one: what the head reads, the last step's
                      state, or the mean or the maximum of each feature over all the steps
                      read (default last)
  --epochs N          passes over the data (default 10)
  --batch-size B      sequences per step (default 32)
  --lr X              Adam learning rate (default 0.005)
  --lr-decay F        multiply the learning rate by F after every epoch (default 1)
  --clip-norm C       clip the gradient norm (default 5; 0: off)
  --weight-decay L    AdamW's decoupled weight decay on the weight matrices, in 0..1
                      (default 0: plain Adam; switching it on or off restarts Adam's moments)
  --seed S            initial weights and shuffling (default 0)
  --workers N         data-parallel training: split every batch across N worker threads, each
                      with a replica of the model, 1..256 (default 1: no workers, on this
                      thread). A given N gives the same model every run; another N, a model
                      that differs in the last bits (and other dropout masks)

  text (tag, classify, lm):
  --min-count N       words seen fewer times are unknown words (default 1)
  --lowercase         lower-case words
  --unk MODE          unknown words: plain (<unk>) or shapes (a class per shape and suffix) (default plain)
  --lookahead L       tag: read each word's tag L words later (default 0)
  --max-length N      classify: keep N tokens of longer texts (default 200);
                      lm: cut longer lines into windows of N steps (default 200)
  --keep head|tail    classify: keep the first (head) or the last (tail) N tokens (default head)
  --chars             lm: characters instead of words

  series:
  --targets A,B       target columns of a CSV (default: columns named target…)
  --many-to-one       one target per sequence (its last row's)
  --format F          csv or json (default: from the file name)`,

  eval: `usage: rnn-wasm eval --model FILE --data FILE [flags]

Evaluate a saved model on labelled data of its task: loss, accuracy, per-class precision, recall
and F1 and the confusion matrix (tag, classify); the loss and perplexity (lm); the mean squared
error (series).

  --model FILE        the model (and FILE.json)
  --data FILE         labelled data, in the model's format
  --top N             classes in the per-class table and the confusion matrix, the most
                      frequent first (default 10)
  --keep head|tail    classify: which tokens of a text longer than the model's maximum length
                      to read (default: the model's, as trained)
  --json              print the results as JSON
  --format F          series: csv or json (default: from the file name)

A gold tag or label the model does not know (never seen in training) counts as an error; how
many there were is reported. Tag: known words are words seen in training.`,

  predict: `usage: rnn-wasm predict --model FILE [--input FILE] [flags]

Run a saved model on new data (--input, default standard input: one sequence per line):
  tag       words separated by spaces          → word/TAG word/TAG …
  classify  text (or label<TAB>text: the label is ignored) → label<TAB>text
  lm        tokens                             → the most likely next tokens
  series    CSV or JSON (targets not needed)   → JSON: the outputs per step (or per sequence)

  --model FILE        the model (and FILE.json)
  --input FILE        the data (default -: standard input)
  --probs             classify: print the probability too (label<TAB>p<TAB>text); lm: see --top
  --keep head|tail    classify: which tokens of a long text to read (default: the model's)
  --top N             lm: how many next tokens (default 5)
  --format F          series: csv or json`,

  generate: `usage: rnn-wasm generate --model FILE [flags]

Sample from a language model trained with --task lm: each sample starts at <sos> (and the prefix)
and stops at <eos> or after --max-length tokens.

  --model FILE        the model (and FILE.json)
  --prefix TEXT       start with this text (words, or characters with --chars models)
  --count N           samples (default 3)
  --max-length N      new tokens per sample at most (default 200)
  --temperature T     > 0; lower is more conservative (default 1)
  --top-k K           draw among the K most probable tokens only
  --seed S            sampling seed (default 0; sample i uses S + i)`,

  formats: FORMATS,
};

// ── flags ────────────────────────────────────────────────────────────────────────────────

const s = (extra = {}) => ({ type: "string", ...extra });
const b = (extra = {}) => ({ type: "boolean", ...extra });
const FLAGS = {
  train: {
    task: s(), data: s(), validation: s(), model: s(), config: s(), resume: b(), plot: s(), quiet: b(),
    hidden: s(), activation: s(), layers: s(), bidirectional: b(), embedding: s(), dropout: s(), "input-dropout": s(), "output-dropout": s(), pooling: s(), epochs: s(), "batch-size": s(), lr: s(), "lr-decay": s(), "clip-norm": s(), "weight-decay": s(), seed: s(), workers: s(),
    "min-count": s(), lowercase: b(), unk: s(), lookahead: s(), "max-length": s(), keep: s(), chars: b(),
    targets: s(), "many-to-one": b(), format: s(), help: b({ short: "h" }),
  },
  eval: { model: s(), data: s(), top: s(), keep: s(), json: b(), format: s(), help: b({ short: "h" }) },
  predict: { model: s(), input: s(), probs: b(), top: s(), keep: s(), format: s(), help: b({ short: "h" }) },
  generate: { model: s(), prefix: s(), count: s(), "max-length": s(), temperature: s(), "top-k": s(), seed: s(), help: b({ short: "h" }) },
};

/** Which tokens of a text longer than maxLength a classifier reads. */
const KEEP = ["head", "tail"];

/** What a many-to-one head reads: the last step's state, or the mean or max over the steps. */
const POOLINGS = ["last", "mean", "max"];

/** A dropout probability flag: 0 ≤ P < 1. */
function probabilityFlag(name, value) {
  const p = numFlag(name, value, 0, 1);
  if (p >= 1) throw new CliError(`--${name}: expected a number ≥ 0 and < 1 (the probability of dropping), got ${JSON.stringify(value)}`, EXIT.usage);
  return p;
}

const TRAIN_DEFAULTS = {
  model: "model.rnn", hidden: 64, activation: "tanh", layers: 1, bidirectional: false, dropout: 0, "input-dropout": 0, "output-dropout": 0, pooling: "last", epochs: 10, "batch-size": 32, lr: 0.005, "lr-decay": 1, "clip-norm": 5, "weight-decay": 0, seed: 0, workers: 1,
  "min-count": 1, lowercase: false, unk: "plain", lookahead: 0, chars: false, "many-to-one": false, resume: false, quiet: false,
};

/** Merge defaults < config file < command line; check every value. */
function trainOptions(values) {
  let config = {};
  let base = process.cwd();
  if (values.config !== undefined) {
    const text = readText(values.config, "config file");
    try {
      config = JSON.parse(text);
    } catch (e) {
      throw new CliError(`config file ${values.config}: not valid JSON (${e.message})`, EXIT.data);
    }
    if (config === null || typeof config !== "object" || Array.isArray(config)) throw new CliError(`config file ${values.config}: expected a JSON object of flags`, EXIT.data);
    base = dirname(resolve(values.config));
    const known = Object.keys(FLAGS.train).filter((k) => !["config", "help"].includes(k));
    const renamed = {};
    for (const [key, value] of Object.entries(config)) {
      const flag = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);     // batchSize → batch-size
      if (!known.includes(flag)) throw new CliError(`config file ${values.config}: unknown key ${JSON.stringify(key)} (known: ${known.join(", ")})`, EXIT.usage);
      const type = FLAGS.train[flag].type;
      if (type === "boolean" && typeof value !== "boolean") throw new CliError(`config file ${values.config}: ${key}: expected true or false, got ${JSON.stringify(value)}`, EXIT.usage);
      if (type === "string" && !["string", "number"].includes(typeof value) && !(flag === "targets" && Array.isArray(value))) {
        throw new CliError(`config file ${values.config}: ${key}: expected a ${flag === "targets" ? "list of column names" : "string or number"}, got ${JSON.stringify(value)}`, EXIT.usage);
      }
      renamed[flag] = ["data", "validation", "model", "plot"].includes(flag) && !isAbsolute(String(value)) ? resolve(base, String(value)) : value;
    }
    config = renamed;
  }
  const v = { ...TRAIN_DEFAULTS, ...config };
  const explicit = new Set(Object.keys(config));
  for (const [key, value] of Object.entries(values)) if (value !== undefined && key !== "config") { v[key] = value; explicit.add(key); }
  if (v.task === undefined) throw new CliError("rnn-wasm train: --task is required (tag, classify, lm or series)", EXIT.usage);
  if (v.data === undefined) throw new CliError("rnn-wasm train: --data is required (the training file)", EXIT.usage);
  if (explicit.has("keep") && v.task !== "classify") throw new CliError(`rnn-wasm train: --keep is for --task classify (which tokens of a long text to read), not ${v.task}`, EXIT.usage);
  const workers = intFlag("workers", v.workers);
  if (workers > MAX_WORKERS) throw new CliError(`--workers: expected an integer ≤ ${MAX_WORKERS}, got ${JSON.stringify(v.workers)}`, EXIT.usage);
  const layers = intFlag("layers", v.layers);
  if (layers > MAX_LAYERS) throw new CliError(`--layers: expected an integer ≤ ${MAX_LAYERS}, got ${JSON.stringify(v.layers)}`, EXIT.usage);
  const bidirectional = boolFlag("bidirectional", v.bidirectional);
  if (bidirectional && v.task === "lm") {
    throw new CliError("--bidirectional is not for --task lm: a language model predicts each next token, which the reverse direction would read (and generate needs a forward-only model)", EXIT.usage);
  }
  const embedding = v.embedding === undefined ? undefined : intFlag("embedding", v.embedding);
  if (embedding !== undefined && v.task === "series") throw new CliError("--embedding is for tasks that read word ids (tag, classify, lm), not series, whose inputs are numbers", EXIT.usage);
  const dropout = numFlag("dropout", v.dropout, 0, 1);
  if (dropout >= 1) throw new CliError(`--dropout: expected a number ≥ 0 and < 1 (the probability of dropping), got ${JSON.stringify(v.dropout)}`, EXIT.usage);
  if (dropout > 0 && layers < 2) throw new CliError(`--dropout acts between layers: it needs --layers 2 or more (got --layers ${layers})`, EXIT.usage);
  const inputDropout = probabilityFlag("input-dropout", v["input-dropout"]);
  // (--resume: the saved model says whether it has an embedding; a changed value is refused there.)
  if (inputDropout > 0 && v.task !== "series" && embedding === undefined && v.resume !== true) {
    throw new CliError("--input-dropout drops the first layer's input: for word ids it needs --embedding E (it drops numbers of the embedded words; without an embedding a word picks its own column of weights, with nothing to drop)", EXIT.usage);
  }
  const outputDropout = probabilityFlag("output-dropout", v["output-dropout"]);
  const pooling = choiceFlag("pooling", v.pooling, POOLINGS);
  if (explicit.has("pooling") && !(v.task === "classify" || (v.task === "series" && v["many-to-one"] === true))) {
    throw new CliError(`rnn-wasm train: --pooling is for many-to-one models (--task classify, or series with --many-to-one), not ${v.task === "series" ? "series without --many-to-one" : v.task}: a model with an output per step reads every step`, EXIT.usage);
  }
  return {
    layers, bidirectional, embedding, dropout, inputDropout, outputDropout, pooling, workers,
    task: choiceFlag("task", v.task, TASKS), data: String(v.data), validation: v.validation === undefined ? undefined : String(v.validation),
    model: String(v.model), plot: v.plot === undefined ? undefined : String(v.plot), resume: boolFlag("resume", v.resume), quiet: boolFlag("quiet", v.quiet),
    hidden: intFlag("hidden", v.hidden), activation: choiceFlag("activation", v.activation, ["tanh", "sigmoid", "relu"]),
    epochs: intFlag("epochs", v.epochs), batchSize: intFlag("batch-size", v["batch-size"]), lr: numFlag("lr", v.lr, 1e-9, 100),
    lrDecay: numFlag("lr-decay", v["lr-decay"], 1e-3, 1), clipNorm: numFlag("clip-norm", v["clip-norm"], 0), seed: intFlag("seed", v.seed, 0),
    weightDecay: numFlag("weight-decay", v["weight-decay"], 0, 1),
    minCount: intFlag("min-count", v["min-count"]), lowercase: boolFlag("lowercase", v.lowercase), unk: choiceFlag("unk", v.unk, ["plain", "shapes"]),
    lookahead: intFlag("lookahead", v.lookahead, 0), maxLength: v["max-length"] === undefined ? 200 : intFlag("max-length", v["max-length"]),
    keep: v.keep === undefined ? "head" : choiceFlag("keep", v.keep, KEEP),
    chars: boolFlag("chars", v.chars), manyToOne: boolFlag("many-to-one", v["many-to-one"]),
    targets: v.targets === undefined ? undefined : (Array.isArray(v.targets) ? v.targets.map(String) : String(v.targets).split(",").map((t) => t.trim()).filter(Boolean)),
    format: v.format === undefined ? undefined : choiceFlag("format", v.format, ["csv", "json"]),
    explicit,
  };
}

// ── the model's recipe (MODEL.json, apps/recipe.js) ─────────────────────────────────────

/**
 * Load a model and its recipe, and check that they belong together; without MODEL.json the
 * task is inferred from the model.
 */
async function openModel(path) {
  if (path === undefined) throw new CliError("--model is required (a model file written by rnn-wasm train)", EXIT.usage);
  readBytes(path, "model file");                                       // a clear message for a missing file
  let model;
  try {
    model = await loadModelFile(path);
  } catch (e) {
    throw new CliError(`model file ${path}: ${e.message}`, EXIT.data);
  }
  let recipe;
  let text;
  try { text = readFileSync(recipePath(path), "utf8"); } catch { text = undefined; }
  if (text !== undefined) {
    try { recipe = JSON.parse(text); } catch (e) { throw new CliError(`${recipePath(path)}: not valid JSON (${e.message})`, EXIT.data); }
    if (recipe?.kind !== RECIPE_KIND || !TASKS.includes(recipe.task)) throw new CliError(`${recipePath(path)}: not an rnn-wasm CLI recipe (expected kind "${RECIPE_KIND}" and a task)`, EXIT.data);
    checkRecipe(recipe, model, path);
  } else {
    const c = model.config;
    const task = c.input === "dense" ? "series"
      : c.task === "many-to-one" ? "classify"
      : model.labels ? "tag" : "lm";
    recipe = { task, unk: "plain", lookahead: 0, maxLength: 200, chars: false, manyToOne: c.task === "many-to-one" };
  }
  if (recipe.task !== "series" && !model.vocabulary) throw new CliError(`model file ${path}: a ${recipe.task} model needs its vocabulary (saved with the model)`, EXIT.data);
  if ((recipe.task === "tag" || recipe.task === "classify") && !model.labels) throw new CliError(`model file ${path}: a ${recipe.task} model needs its labels (saved with the model)`, EXIT.data);
  return { model, recipe };
}

function encodeLabels(labels, items, path, key, what) {
  return items.map((item) => {
    const list = key === "tags" ? item.tags : [item.label];
    const ids = list.map((l) => {
      const id = labels.classes.indexOf(l);
      if (id < 0) throw new CliError(`${path}:${item.line}: ${what} ${JSON.stringify(l)} is not one the model knows (${labels.classes.slice(0, 12).join(", ")}${labels.size > 12 ? ", …" : ""})`, EXIT.data);
      return id;
    });
    return key === "tags" ? ids : ids[0];
  });
}

// ── data sets per task ──────────────────────────────────────────────────────────────────

/**
 * A classifier's ids for a text: at most recipe.maxLength words, the first (keep "head", the
 * default and what older recipes did) or the last (keep "tail"). An empty text is one <eos>
 * step: the text ended at once (a model needs a step to read).
 */
function textIds(enc, words, recipe, keep = recipe.keep ?? "head") {
  if (words.length === 0) return [Vocabulary.EOS];
  const n = recipe.maxLength;
  return enc.encode(n === undefined || words.length <= n ? words : keep === "tail" ? words.slice(-n) : words.slice(0, n));
}

/**
 * The training words without an id of their own (seen fewer than --min-count times), sorted
 * (`also`: those of an earlier run): with the vocabulary, they are every word seen in training,
 * which eval's known words are.
 */
function rareWords(texts, vocabulary, also = []) {
  const enc = new WordEncoder(vocabulary);
  const key = (w) => (vocabulary.lowercase ? w.toLowerCase() : w);
  const rare = new Set(also);
  for (const words of texts) for (const w of words) if (!enc.known(w)) rare.add(key(w));
  return [...rare].sort();
}

function kindOf(recipe) {
  return { tag: "tagged", classify: "labelled", lm: recipe.chars ? "chars" : "tokens", series: "series" }[recipe.task];
}

async function readFor(recipe, path, { requireTargets = true, format } = {}) {
  return readData(path, kindOf(recipe), { manyToOne: recipe.manyToOne, targets: recipe.targets, requireTargets, format: format ?? recipe.format });
}

/** { inputs, targets } of a task from parsed items, with the model's vocabulary and labels. */
function dataset(recipe, model, items, path) {
  const vocab = model.vocabulary;
  switch (recipe.task) {
    case "tag":
      encodeLabels(model.labels, items, path, "tags", "tag");          // a tag the model does not know: file:line
      return tagDataset(new WordEncoder(vocab, { unk: recipe.unk }), model.labels, items, recipe.lookahead);
    case "classify": {
      const enc = new WordEncoder(vocab, { unk: recipe.unk });
      return { inputs: items.map((it) => textIds(enc, it.words, recipe)), targets: encodeLabels(model.labels, items, path, "label", "label") };
    }
    case "lm": {
      const enc = recipe.chars ? { encode: (t) => vocab.encode(t) } : new WordEncoder(vocab, { unk: recipe.unk });
      const pairs = nextTokenData(items.map((it) => enc.encode(it.tokens)));
      return cutSequences(pairs, { maxLength: recipe.maxLength, mode: "windows" });
    }
    case "series": {
      const n = model.config.inputSize, k = model.config.outputSize;
      items.sequences.forEach((sq) => {
        if (sq.inputs[0].length !== n) throw new CliError(`${path}: ${sq.inputs[0].length} features per step, but the model takes ${n}`, EXIT.data);
        const t = recipe.manyToOne ? sq.targets : sq.targets?.[0];
        if (t && t.length !== k) throw new CliError(`${path}: ${t.length} target values, but the model has ${k} outputs`, EXIT.data);
      });
      return { inputs: items.sequences.map((sq) => sq.inputs), targets: items.sequences.map((sq) => sq.targets) };
    }
  }
  throw new Error("unreachable");
}

// ── train ────────────────────────────────────────────────────────────────────────────────

/** Settings of the saved run that --resume keeps unless a flag (or the config file) sets them. */
const RESUMED = [["lr", "lr"], ["lrDecay", "lr-decay"], ["seed", "seed"], ["batchSize", "batch-size"], ["clipNorm", "clip-norm"], ["weightDecay", "weight-decay"], ["workers", "workers"]];

async function train(values) {
  const o = trainOptions(values);
  let recipe = { task: o.task, unk: o.unk, lookahead: o.task === "tag" ? o.lookahead : 0, maxLength: o.maxLength, chars: o.chars, manyToOne: o.task === "classify" || o.manyToOne };
  if (o.task === "series") Object.assign(recipe, { targets: o.targets, format: o.format });
  if (o.task === "classify") recipe.keep = o.keep;
  let model;
  let startEpoch = 0;
  let best;                                   // the best epoch on validation of the resumed run
  const last = lastModelPath(o.model);
  const resumeFrom = o.resume && existsSync(last) ? last : o.model;
  if (o.resume) {
    // The saved model first: its recipe says how to read the data, its run how to go on. A run
    // that kept its best epoch in MODEL goes on from its last, MODEL.last.rnn.
    const opened = await openModel(resumeFrom);
    model = opened.model;
    if (opened.recipe.task !== o.task) { model.dispose(); throw new CliError(`--resume: ${resumeFrom} is a ${opened.recipe.task} model, not ${o.task}`, EXIT.usage); }
    recipe = recipeFields(opened.recipe);
    if (o.explicit.has("keep") && o.keep !== (recipe.keep ?? "head")) {
      model.dispose();
      throw new CliError(`--resume: ${resumeFrom} was trained with --keep ${recipe.keep ?? "head"}; it reads its texts so to the end (got --keep ${o.keep})`, EXIT.usage);
    }
    // The stack is the saved model's: a flag may repeat it, not change it.
    const mc = model.config;
    const have = { layers: mc.layers, bidirectional: mc.bidirectional, embedding: mc.embeddingSize, dropout: mc.dropout, "input-dropout": mc.inputDropout, "output-dropout": mc.outputDropout, pooling: mc.pooling };
    const given = { ...o, "input-dropout": o.inputDropout, "output-dropout": o.outputDropout };
    for (const key of Object.keys(have)) {
      if (o.explicit.has(key) && given[key] !== have[key]) {
        model.dispose();
        throw new CliError(`--resume: ${resumeFrom} has ${key === "embedding" ? (have.embedding === undefined ? "no embedding" : `--embedding ${have.embedding}`) : `${key} ${have[key]}`}; --${key} ${given[key]} cannot change a trained model (train a new one)`, EXIT.usage);
      }
    }
    const done = opened.recipe.training ?? {};
    if (Number.isInteger(done.epochs) && done.epochs >= 0) startEpoch = done.epochs;
    for (const [key, flag] of RESUMED) if (!o.explicit.has(flag) && typeof done[key] === "number" && Number.isFinite(done[key])) o[key] = done[key];
    if (!Number.isInteger(o.workers) || o.workers < 1 || o.workers > MAX_WORKERS) {
      model.dispose();
      throw new CliError(`--resume: ${recipePath(resumeFrom)} says the run had ${JSON.stringify(o.workers)} workers: expected an integer 1..${MAX_WORKERS} (pass --workers N)`, EXIT.data);
    }
    if (done.best && Number.isInteger(done.best.epoch)) best = { ...done.best, valLoss: done.best.valLoss ?? NaN };
  }
  const trainItems = await readFor(recipe, o.data, { format: o.format });
  const valItems = o.validation === undefined ? undefined : await readFor(recipe, o.validation, { format: o.format });
  if (o.task === "series" && !o.resume) Object.assign(recipe, { features: trainItems.features, targets: trainItems.targetColumns });

  if (!o.resume) {
    let inputSize, outputSize, vocabulary, labels, input = "ids", loss = "softmax-cross-entropy";
    if (o.task === "tag" || o.task === "classify" || (o.task === "lm" && !o.chars)) {
      const texts = trainItems.map((it) => it.words ?? it.tokens);
      vocabulary = WordEncoder.build(texts, { minCount: o.minCount, lowercase: o.lowercase, unk: o.task === "lm" ? "plain" : o.unk }).vocabulary;
      if (o.task === "lm") recipe.unk = "plain";
      // eval's known words are the words seen in training: the vocabulary and these.
      if (o.task === "tag") Object.assign(recipe, { minCount: o.minCount, rareWords: rareWords(texts, vocabulary) });
    } else if (o.task === "lm") {
      vocabulary = Vocabulary.build(trainItems.map((it) => it.tokens), { minCount: o.minCount, lowercase: o.lowercase });
    }
    if (o.task === "tag") labels = LabelEncoder.fit([...trainItems, ...(valItems ?? [])].map((it) => it.tags));
    if (o.task === "classify") labels = LabelEncoder.fit([...trainItems, ...(valItems ?? [])].map((it) => it.label));
    if (o.task === "series") {
      input = "dense"; loss = "mse";
      inputSize = trainItems.features.length; outputSize = trainItems.targetColumns.length;
    } else {
      inputSize = vocabulary.size;
      outputSize = labels ? labels.size : vocabulary.size;
    }
    model = await RNN.create({
      input, inputSize, hiddenSize: o.hidden, outputSize, task: recipe.manyToOne ? "many-to-one" : "many-to-many",
      hiddenActivation: o.activation, loss, seed: o.seed,
      ...(o.layers !== 1 ? { layers: o.layers } : {}), ...(o.bidirectional ? { bidirectional: true } : {}),
      ...(o.embedding !== undefined ? { embeddingSize: o.embedding } : {}), ...(o.dropout > 0 ? { dropout: o.dropout } : {}),
      ...(o.pooling !== "last" ? { pooling: o.pooling } : {}),
      ...(o.inputDropout > 0 ? { inputDropout: o.inputDropout } : {}), ...(o.outputDropout > 0 ? { outputDropout: o.outputDropout } : {}),
    });
    if (vocabulary) model.vocabulary = vocabulary;
    if (labels) model.labels = labels;
  }
  // A resumed tagger has seen these training words too.
  if (o.resume && o.task === "tag" && Array.isArray(recipe.rareWords)) recipe.rareWords = rareWords(trainItems.map((it) => it.words), model.vocabulary, recipe.rareWords);
  const trainData = dataset(recipe, model, trainItems, o.data);
  const valData = valItems && dataset(recipe, model, valItems, o.validation);
  const c = model.config;
  const out = o.quiet ? () => {} : (line) => process.stderr.write(`${line}\n`);
  const drops = [["input dropout", c.inputDropout], ["dropout", c.dropout], ["output dropout", c.outputDropout]].filter(([, p]) => p > 0).map(([name, p]) => `, ${name} ${p}`).join("");
  const stack = `${c.embeddingSize !== undefined ? ` → embedding ${c.embeddingSize}` : ""} → ${c.layers > 1 ? `${c.layers} layers × ` : ""}${c.hiddenSize} hidden${c.bidirectional ? " × 2 directions" : ""} (${c.hiddenActivation}${drops})${c.pooling !== "last" ? ` → ${c.pooling} over the steps` : ""}`;
  out(`${o.resume ? `resuming a ${recipe.task} model${startEpoch ? ` after epoch ${startEpoch}` : ""}` : `training a ${recipe.task} model`}: ${c.input === "ids" ? `${c.inputSize} ids` : `${c.inputSize} features`}${stack} → ${c.outputSize} outputs (${c.loss}, ${c.task}); ` +
    `${trainData.inputs.length} training sequences${valData ? `, ${valData.inputs.length} held out` : ""}${o.workers > 1 ? `; ${o.workers} workers` : ""}`);
  if (resumeFrom !== o.model) out(`going on from ${resumeFrom}, the last epoch (${o.model} holds ${best ? `epoch ${best.epoch}, the best on validation` : "the best epoch on validation"})`);
  const measure = valData && ((m) => {
    if (recipe.task === "tag") return evaluateTagger(m, valData, valItems, recipe.lookahead);
    const ev = m.evaluate(valData);
    return { loss: ev.lossPerStep, accuracy: ev.accuracy };
  });
  const run = await trainEpochs(model, trainData, {
    epochs: o.epochs, startEpoch, batchSize: o.batchSize, lr: o.lr, lrDecay: o.lrDecay, clipNorm: o.clipNorm, seed: o.seed, weightDecay: o.weightDecay, workers: o.workers,
    evaluate: measure, modelPath: o.model, recipe, quiet: o.quiet, unit: recipe.chars ? "char" : c.input === "dense" ? "step" : "tok",
    // With validation data, MODEL is the best epoch and MODEL.last.rnn the last; without, MODEL
    // is the last and an older run's MODEL.last.rnn would be resumed from wrongly: it goes.
    ...(valData ? { keepBest: { lastPath: last, best } } : { replaces: [last, recipePath(last)] }),
    ...(o.quiet ? { log: () => {} } : {}),
    plot: o.plot ? { path: o.plot, title: `rnn-wasm train --task ${o.task}`, subtitle: `${o.data}${o.validation ? ` (validation: ${o.validation})` : ""}` } : undefined,
  });
  model.dispose();
  const lastEpoch = run.epochs.at(-1)?.epoch;
  if (run.interrupted) {
    out(!run.epochs.length ? `interrupted before the first epoch ended: ${o.model} was not ${o.resume ? "changed" : "written"}`
      : run.best ? `interrupted: ${o.model} holds epoch ${run.best.epoch} (the best on validation), ${last} epoch ${lastEpoch}`
      : `interrupted: ${o.model} holds epoch ${lastEpoch}`);
    return EXIT.interrupted;
  }
  const valNote = (b) => `val loss ${Number.isFinite(b.valLoss) ? b.valLoss.toFixed(4) : b.valLoss}${b.valAccuracy !== undefined ? `, val acc ${pct(b.valAccuracy)}` : ""}`;
  out(run.best
    ? `saved ${o.model} (epoch ${run.best.epoch} of ${lastEpoch}, the best on validation: ${valNote(run.best)}) and ${last} (epoch ${lastEpoch}, for --resume), ` +
      `with their recipes, after ${run.epochs.length} epoch${run.epochs.length === 1 ? "" : "s"}${startEpoch ? ` (${lastEpoch} in all)` : ""} in ${run.seconds.toFixed(1)} s`
    : `saved ${o.model} (and ${recipePath(o.model)}) after ${run.epochs.length} epoch${run.epochs.length === 1 ? "" : "s"}${startEpoch ? ` (${startEpoch + run.epochs.length} in all)` : ""} in ${run.seconds.toFixed(1)} s`);
  return 0;
}

// ── eval ─────────────────────────────────────────────────────────────────────────────────

/**
 * Per-class support, precision, recall and F1 of the `top` most frequent classes, most frequent
 * first (`byFrequency`), or of every class in id order when there are at most `top`.
 */
function perClassTable(stats, top, noun, nouns, { byFrequency = false } = {}) {
  const shown = stats.length <= top && !byFrequency ? stats : [...stats].sort((a, b2) => b2.support - a.support || a.id - b2.id).slice(0, top);
  const width = Math.max(12, ...shown.map((c) => Math.min(20, c.label.length)));
  const note = shown.length < stats.length ? `   (the ${shown.length} most frequent of ${stats.length} ${nouns})` : "";
  return [
    `${noun.padEnd(width)} ${"support".padStart(7)}  ${"precision".padStart(9)}  ${"recall".padStart(7)}  ${"F1".padStart(7)}${note}`,
    ...shown.map((c) => `${c.label.slice(0, 20).padEnd(width)} ${String(c.support).padStart(7)}  ${pct(c.precision).padStart(9)}  ${pct(c.accuracy).padStart(7)}  ${pct(c.f1).padStart(7)}`),
  ];
}

/**
 * Gold labels for eval: the model's ids, and for a tag or label it does not know (never seen in
 * training) an id past its own, so that it counts as an error (no prediction can match it).
 * @returns { ids (per item: the id, or the ids of its tags), classes (the model's, then the
 *   unknown ones), unknown: Map label → count, clean: indexes of the items whose labels are all known }
 */
function goldLabels(labels, items, key) {
  const classes = [...labels.classes];
  const index = new Map(classes.map((c, i) => [c, i]));
  const unknown = new Map();
  const clean = [];
  const ids = items.map((it, i) => {
    const row = (key === "tags" ? it.tags : [it.label]).map((l) => {
      if (!index.has(l)) { index.set(l, classes.length); classes.push(l); }
      const id = index.get(l);
      if (id >= labels.size) unknown.set(l, (unknown.get(l) ?? 0) + 1);
      return id;
    });
    if (row.every((id) => id < labels.size)) clean.push(i);
    return key === "tags" ? row : row[0];
  });
  return { ids, classes, unknown, clean };
}

/** The items `indexes` of a data set. */
const pick = (data, indexes) => ({ inputs: indexes.map((i) => data.inputs[i]), targets: indexes.map((i) => data.targets[i]) });

/** "XX 2, YY 1" (the most frequent first, at most 8). */
const labelCounts = (unknown) => {
  const list = [...unknown].sort((a, b2) => b2[1] - a[1]);
  return list.slice(0, 8).map(([l, n]) => `${JSON.stringify(l)} ${n}`).join(", ") + (list.length > 8 ? `, … (${list.length} in all)` : "");
};

/**
 * Whether a word was seen in training, from the recipe: the vocabulary's words and
 * `rareWords` (seen fewer than --min-count times). Undefined for a recipe without the list (written
 * before it, or by the examples): the known words are then those with an id of their own.
 */
function seenInTraining(recipe, vocabulary) {
  if (!Array.isArray(recipe.rareWords)) return undefined;
  const enc = new WordEncoder(vocabulary);
  const rare = new Set(recipe.rareWords);
  return (w) => enc.known(w) || rare.has(vocabulary.lowercase ? w.toLowerCase() : w);
}

async function evaluateCommand(v) {
  if (v.data === undefined) throw new CliError("rnn-wasm eval: --data is required (a labelled file)", EXIT.usage);
  const top = v.top === undefined ? 10 : intFlag("top", v.top);
  const { model, recipe } = await openModel(v.model);
  const keep = keepFlag(v, recipe, model);
  const items = await readFor(recipe, v.data, { format: v.format && choiceFlag("format", v.format, ["csv", "json"]) });
  const result = { task: recipe.task, sequences: items.length ?? items.sequences.length };
  const lines = [];
  if (recipe.task === "tag") {
    const k = model.labels.size;
    const gold = goldLabels(model.labels, items, "tags");
    const enc = new WordEncoder(model.vocabulary, { unk: recipe.unk });
    // The module scores a tag it has: an unknown one stands in as tag 0 (for the loss only,
    // which is then taken over the other sentences).
    const data = labellingData(items.map((it) => enc.encode(it.words)), gold.ids.map((y) => y.map((id) => (id < k ? id : 0))), { lookahead: recipe.lookahead });
    const ev = evaluateTagger(model, data, items, recipe.lookahead);
    const partial = gold.unknown.size > 0;
    const loss = !partial ? ev.loss : gold.clean.length ? model.evaluate(pick(data, gold.clean), { batchSize: 256 }).lossPerStep : NaN;
    const cm = new ConfusionMatrix(gold.classes);
    const seen = seenInTraining(recipe, model.vocabulary);
    const split = { seen: [0, 0, 0, 0], id: [0, 0, 0, 0] };           // right and total of known words, then of unknown ones
    const count = (part, isKnown, ok) => { const at = isKnown ? 0 : 2; part[at] += ok; part[at + 1]++; };
    items.forEach((it, i) => it.words.forEach((w, j) => {
      const y = gold.ids[i][j], p = ev.predicted[i][j];
      cm.add(y, p);
      count(split.id, enc.known(w), y === p ? 1 : 0);
      if (seen) count(split.seen, seen(w), y === p ? 1 : 0);
    }));
    const rates = ([kr, kn, ur, un]) => ({ known: kr / kn, unknown: ur / un, unknownShare: un / cm.total });
    const words = rates(seen ? split.seen : split.id);
    const unknownTokens = [...gold.unknown.values()].reduce((a, n) => a + n, 0);
    const perClass = cm.perClass();
    Object.assign(result, {
      tokens: cm.total, loss, accuracy: cm.accuracy, ...words, knownWords: seen ? "seen in training" : "with an id in the vocabulary",
      ...(seen ? { byVocabulary: rates(split.id) } : {}),
      unknownTags: { tokens: unknownTokens, sentences: items.length - gold.clean.length, tags: Object.fromEntries(gold.unknown) },
      ...(partial ? { lossSentences: gold.clean.length } : {}),
      perClass, confusion: cm.toJSON(),
    });
    lines.push(`${v.data}: ${items.length} sentences, ${cm.total} tokens`,
      `loss ${Number.isFinite(loss) ? loss.toFixed(4) : "—"} per step${partial ? ` (over the ${gold.clean.length} sentences whose tags the model knows)` : ""}`,
      `accuracy ${pct(cm.accuracy)}   known words ${pct(words.known)}   unknown words ${pct(words.unknown)} (${pct(words.unknownShare)} of the tokens)` +
        (seen ? "   (known: seen in training)" : ""));
    if (!seen) lines.push("  (known: with an id in the vocabulary; this model's recipe does not list the training words seen fewer than --min-count times)");
    else if (split.id[3] !== split.seen[3]) {
      const ids = rates(split.id);
      lines.push(`  by vocabulary id: words with an id ${pct(ids.known)}   without one (seen < ${recipe.minCount ?? "--min-count"} times, or never) ${pct(ids.unknown)} (${pct(ids.unknownShare)} of the tokens)`);
    }
    if (partial) lines.push(`${unknownTokens} token${unknownTokens === 1 ? "" : "s"} in ${items.length - gold.clean.length} sentence${items.length - gold.clean.length === 1 ? "" : "s"} ` +
      `with a tag the model does not know (never seen in training: ${labelCounts(gold.unknown)}), counted as errors`);
    lines.push("", ...perClassTable(perClass.filter((c) => c.support > 0 || c.predicted > 0), top, "tag", "tags", { byFrequency: true }), "", cm.toString({ top }));
  } else if (recipe.task === "classify") {
    const k = model.labels.size;
    const gold = goldLabels(model.labels, items, "label");
    const enc = new WordEncoder(model.vocabulary, { unk: recipe.unk });
    const data = { inputs: items.map((it) => textIds(enc, it.words, recipe, keep)), targets: gold.ids.map((id) => (id < k ? id : 0)) };
    const ev = model.evaluate(data, { predictions: true });
    const partial = gold.unknown.size > 0;
    const loss = !partial ? ev.lossPerStep : gold.clean.length ? model.evaluate(pick(data, gold.clean)).lossPerStep : NaN;
    const cm = new ConfusionMatrix(gold.classes);
    gold.ids.forEach((y, i) => cm.add(y, ev.predictions[i]));
    const counts = new Map();
    for (const y of gold.ids) counts.set(y, (counts.get(y) ?? 0) + 1);
    const [majority, n] = [...counts].sort((a, b2) => b2[1] - a[1])[0];
    const perClass = cm.perClass();
    const unknownExamples = items.length - gold.clean.length;
    Object.assign(result, {
      loss, accuracy: cm.accuracy, majority: { label: gold.classes[majority], accuracy: n / items.length },
      unknownLabels: { examples: unknownExamples, labels: Object.fromEntries(gold.unknown) }, ...(partial ? { lossExamples: gold.clean.length } : {}),
      perClass, confusion: cm.toJSON(),
    });
    lines.push(`${v.data}: ${items.length} examples`, `loss ${Number.isFinite(loss) ? loss.toFixed(4) : "—"}${partial ? ` (over the ${gold.clean.length} examples whose label the model knows)` : ""}`,
      `accuracy ${pct(cm.accuracy)}   (always "${gold.classes[majority]}", the most frequent class here: ${pct(n / items.length)})`);
    if (partial) lines.push(`${unknownExamples} example${unknownExamples === 1 ? "" : "s"} with a label the model does not know (never seen in training: ${labelCounts(gold.unknown)}), counted as errors`);
    lines.push("", ...perClassTable(perClass, top, "class", "classes"), "", cm.toString({ top }));
  } else if (recipe.task === "lm") {
    const data = dataset(recipe, model, items, v.data);
    const ev = model.evaluate(data);
    result.sequences = data.inputs.length;                          // windows of --max-length steps
    Object.assign(result, { lossPerToken: ev.lossPerStep, perplexity: Math.exp(ev.lossPerStep), accuracy: ev.accuracy, tokens: ev.scored });
    lines.push(`${v.data}: ${items.length} lines, ${ev.scored} ${recipe.chars ? "characters" : "tokens"} predicted (<eos> included)`,
      `loss ${ev.lossPerStep.toFixed(4)} per token   perplexity ${Math.exp(ev.lossPerStep).toFixed(2)}   next-token accuracy ${pct(ev.accuracy)}`);
  } else {
    const data = dataset(recipe, model, items, v.data);
    const ev = model.evaluate(data);
    // MSE of always predicting the targets' mean, for scale.
    const flat = data.targets.flatMap((t) => (recipe.manyToOne ? [t] : t));
    const k = flat[0].length;
    const mean = Array.from({ length: k }, (_, j) => flat.reduce((a, y) => a + y[j], 0) / flat.length);
    const meanMse = flat.reduce((a, y) => a + y.reduce((b2, yj, j) => b2 + (yj - mean[j]) ** 2, 0) / k, 0) / flat.length;
    Object.assign(result, { mse: ev.lossPerStep, meanBaselineMse: meanMse, scored: ev.scored });
    lines.push(`${v.data}: ${data.inputs.length} sequences, ${ev.scored} scored steps`,
      `mean squared error ${ev.lossPerStep.toPrecision(4)} per scored step   (predicting the mean target: ${meanMse.toPrecision(4)})`);
  }
  model.dispose();
  process.stdout.write(v.json ? JSON.stringify(result, null, 2) + "\n" : lines.join("\n") + "\n");
  return 0;
}

// ── predict ──────────────────────────────────────────────────────────────────────────────

/** eval's and predict's --keep: classify only; undefined: the model's, as trained. */
function keepFlag(v, recipe, model) {
  if (v.keep === undefined) return undefined;
  if (recipe.task !== "classify") { model.dispose(); throw new CliError(`--keep is for classify models (which tokens of a long text to read); this is a ${recipe.task} model`, EXIT.usage); }
  return choiceFlag("keep", v.keep, KEEP);
}

async function predictCommand(v) {
  const { model, recipe } = await openModel(v.model);
  const path = v.input ?? "-";
  const name = path === "-" ? "standard input" : path;
  const top = v.top === undefined ? 5 : intFlag("top", v.top);
  const keep = keepFlag(v, recipe, model);
  const out = [];
  if (recipe.task === "series") {
    const items = await readData(path, "series", { manyToOne: recipe.manyToOne, targets: recipe.targets, requireTargets: false, format: v.format ?? recipe.format });
    const n = model.config.inputSize;
    items.sequences.forEach((sq) => { if (sq.inputs[0].length !== n) throw new CliError(`${name}: ${sq.inputs[0].length} features per step, but the model takes ${n}`, EXIT.data); });
    const outputs = model.predict(items.sequences.map((sq) => sq.inputs));
    const rows = outputs.map((seq) => ({ outputs: recipe.manyToOne ? Array.from(seq[0]) : seq.map((o) => Array.from(o)) }));
    out.push(JSON.stringify(rows));
  } else {
    const text = readText(path, "input");
    const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
    if (lines.at(-1) === "") lines.pop();
    if (lines.every((l) => l.trim() === "")) throw new CliError(`${name}: no input (empty, or only blank lines)`, EXIT.data);
    const vocab = model.vocabulary;
    if (recipe.task === "tag") {
      const enc = new WordEncoder(vocab, { unk: recipe.unk });
      const sentences = lines.map((l) => l.trim().split(/\s+/).filter(Boolean));
      checkUntagged(sentences, name, model.labels.classes);
      const filled = sentences.filter((w) => w.length);
      const tags = predictTags(model, enc, filled, recipe.lookahead);
      let k = 0;
      for (const words of sentences) {
        if (!words.length) { out.push(""); continue; }
        const t = tags[k++];
        out.push(words.map((w, j) => `${w}/${model.labels.label(t[j])}`).join(" "));
      }
    } else if (recipe.task === "classify") {
      const enc = new WordEncoder(vocab, { unk: recipe.unk });
      // A blank line is no example (an empty line out); "label<TAB>" is one with an empty text, as in train and eval.
      const texts = lines.map((l, i) => (l.trim() === "" ? null : l.includes("\t") ? labelledText(l, name, i + 1) : l.trim()));
      const filled = texts.map((t, i) => [t, i]).filter(([t]) => t !== null);
      const probs = filled.length ? model.predict(filled.map(([t]) => textIds(enc, t === "" ? [] : t.split(/\s+/), recipe, keep))) : [];
      const byLine = new Map(filled.map(([, i], r) => [i, probs[r][0]]));
      texts.forEach((t, i) => {
        const p = byLine.get(i);
        if (!p) { out.push(""); return; }
        const c = argmax(p);
        out.push(v.probs ? `${model.labels.label(c)}\t${p[c].toFixed(4)}\t${t}` : `${model.labels.label(c)}\t${t}`);
      });
    } else {
      const enc = recipe.chars ? { encode: (t) => vocab.encode(t) } : new WordEncoder(vocab, { unk: recipe.unk });
      for (const l of lines) {
        const tokens = recipe.chars ? Array.from(l) : l.trim().split(/\s+/).filter(Boolean);
        const ids = [Vocabulary.SOS, ...enc.encode(tokens)];
        const p = model.predict([ids])[0].at(-1);
        const best = Array.from(p, (x, id) => [id, x]).sort((a, b2) => b2[1] - a[1]).slice(0, top);
        const show = (id) => (id === Vocabulary.EOS ? "<eos>" : JSON.stringify(vocab.token(id)));
        out.push(`${recipe.chars ? JSON.stringify(l) : l}\t→ ${best.map(([id, x]) => `${show(id)} ${x.toFixed(3)}`).join("  ")}`);
      }
    }
  }
  model.dispose();
  process.stdout.write(out.join("\n") + "\n");
  return 0;
}

// ── generate ─────────────────────────────────────────────────────────────────────────────

async function generateCommand(v) {
  const count = v.count === undefined ? 3 : intFlag("count", v.count);
  const maxLength = v["max-length"] === undefined ? 200 : intFlag("max-length", v["max-length"]);
  const temperature = v.temperature === undefined ? 1 : numFlag("temperature", v.temperature, 1e-3, 100);
  const topK = v["top-k"] === undefined ? undefined : intFlag("top-k", v["top-k"]);
  const seed = v.seed === undefined ? 0 : intFlag("seed", v.seed, 0);
  const { model, recipe } = await openModel(v.model);
  if (recipe.task !== "lm") { model.dispose(); throw new CliError(`rnn-wasm generate: ${v.model} is a ${recipe.task} model; generate needs one trained with --task lm`, EXIT.usage); }
  if (model.config.bidirectional) {
    model.dispose();
    throw new CliError(`rnn-wasm generate: ${v.model} is bidirectional; generation feeds one token at a time, which needs a forward-only model (one trained without --bidirectional)`, EXIT.usage);
  }
  const prefixText = v.prefix ?? "";
  const prefix = recipe.chars ? Array.from(prefixText) : prefixText.trim().split(/\s+/).filter(Boolean);
  const enc = recipe.chars ? { encode: (t) => model.vocabulary.encode(t) } : new WordEncoder(model.vocabulary, { unk: recipe.unk });
  const ids = enc.encode(prefix);
  const sep = recipe.chars ? "" : " ";
  for (let i = 0; i < count; i++) {
    const g = model.generate({ prefix: ids, maxLength, temperature, seed: seed + i, ...(topK ? { topK } : {}) });
    const text = g.tokens.join(sep);
    process.stdout.write(`${prefixText}${prefixText && text && !recipe.chars ? " " : ""}${text}\n`);
  }
  model.dispose();
  return 0;
}

// ── dispatch ─────────────────────────────────────────────────────────────────────────────

const COMMANDS = { train, eval: evaluateCommand, predict: predictCommand, generate: generateCommand };

/** Run the CLI on argv (without "node" and the script); resolves to the exit code. Errors are printed here. */
export async function main(argv, { stdout = process.stdout, stderr = process.stderr } = {}) {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === "--help" || command === "-h") { stdout.write(`${HELP.main}\n`); return command === undefined ? EXIT.usage : 0; }
    if (command === "help") {
      const topic = rest[0] ?? "main";
      if (!HELP[topic]) throw new CliError(`rnn-wasm help: no command ${JSON.stringify(topic)} (commands: train, eval, predict, generate; or formats)`, EXIT.usage);
      stdout.write(`${HELP[topic]}\n`);
      return 0;
    }
    if (command === "--version") { stdout.write(`${JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version}\n`); return 0; }
    const run = COMMANDS[command];
    if (!run) throw new CliError(`rnn-wasm: unknown command ${JSON.stringify(command)} (commands: train, eval, predict, generate, help)`, EXIT.usage);
    const { values } = parseFlags(rest, FLAGS[command], { command: `rnn-wasm ${command}` });
    if (values.help) { stdout.write(`${HELP[command]}\n`); return 0; }
    return await run(values);
  } catch (e) {
    if (e instanceof CliError) {
      // Usage errors say which command they are about (data errors start with their file:line).
      const prefix = e.code === EXIT.usage && COMMANDS[command] && !e.message.startsWith("rnn-wasm") ? `rnn-wasm ${command}: ` : "";
      stderr.write(`${prefix}${e.message}\n`);
      return e.code;
    }
    if (e instanceof RnnError) { stderr.write(`rnn-wasm: ${e.message}\n`); return EXIT.data; }
    throw e;
  }
}
