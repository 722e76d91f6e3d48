// A model's recipe, MODEL.json next to MODEL: the CLI task and how text becomes ids (unk,
// lookahead, chars, maxLength, the series' columns), what the training run has done so far
// (for an exact --resume), and a description of the model it belongs to. It is written only
// together with the model (right after each saved epoch, atomically), and reading a model
// checks that the two agree: a recipe left by another run is an error, never a misread model.
import { createHash } from "node:crypto";
import { writeAtomic } from "./files.js";
import { CliError, EXIT } from "./errors.js";

export const RECIPE_KIND = "rnn-wasm-cli";
export const RECIPE_VERSION = 1;
export const TASKS = ["tag", "classify", "lm", "series"];

export const recipePath = (modelPath) => `${modelPath}.json`;

/**
 * Where a run that keeps the best epoch on validation data (MODEL) keeps its last epoch, for
 * --resume: "tagger.rnn" → "tagger.last.rnn" (a name without an extension: "tagger" → "tagger.last").
 */
export function lastModelPath(modelPath) {
  const m = /^(.*[^/\\.])(\.[^./\\]+)$/.exec(modelPath);
  return m ? `${m[1]}.last${m[2]}` : `${modelPath}.last`;
}

/**
 * What a recipe records about its model: the shapes (the stack's fields only when not a single
 * forward layer without embedding or dropout, so such a model's recipe is as it was), and a
 * fingerprint of the vocabulary and labels.
 */
export function describeModel(model) {
  const c = model.config;
  const hash = createHash("sha256");
  hash.update(JSON.stringify(model.vocabulary ? model.vocabulary.toJSON() : null));
  hash.update("\n");
  hash.update(JSON.stringify(model.labels ? model.labels.toJSON() : null));
  return {
    input: c.input, inputSize: c.inputSize, hiddenSize: c.hiddenSize, outputSize: c.outputSize, task: c.task, loss: c.loss,
    ...(c.layers > 1 ? { layers: c.layers } : {}), ...(c.bidirectional ? { bidirectional: true } : {}),
    ...(c.embeddingSize !== undefined ? { embeddingSize: c.embeddingSize } : {}), ...(c.dropout > 0 ? { dropout: c.dropout } : {}),
    vocabulary: model.vocabulary ? model.vocabulary.size : null, labels: model.labels ? model.labels.size : null,
    fingerprint: hash.digest("hex").slice(0, 16),
  };
}

/** The recipe's own fields, without the ones written with each save (kind, version, training, model). */
export function recipeFields(recipe) {
  const { kind, version, training, model, ...rest } = recipe;
  return rest;
}

/**
 * Write MODEL.json for `model` as just saved to `modelPath`: `recipe` (task, unk, …), the
 * training state `training` ({ epochs, lr, lrDecay, seed, batchSize, clipNorm, weightDecay?, workers?, best? }) and the model's
 * description. Atomic: a temporary file renamed over the old one.
 */
export function writeRecipe(modelPath, recipe, model, training) {
  const text = { kind: RECIPE_KIND, version: RECIPE_VERSION, ...recipeFields(recipe), ...(training ? { training } : {}), model: describeModel(model) };
  writeAtomic(recipePath(modelPath), JSON.stringify(text, null, 2) + "\n");
}

const shape = (m) => `${m.input === "dense" ? `${m.inputSize} features` : `${m.inputSize} ids`}${m.embeddingSize ? ` → embedding ${m.embeddingSize}` : ""} → ` +
  `${m.layers > 1 ? `${m.layers} layers × ` : ""}${m.hiddenSize} hidden${m.bidirectional ? " × 2 directions" : ""} → ${m.outputSize} outputs (${m.task}` +
  `${m.vocabulary !== null && m.vocabulary !== undefined ? `, a vocabulary of ${m.vocabulary}` : ""}${m.labels !== null && m.labels !== undefined ? `, ${m.labels} labels` : ""})`;

/** Why this recipe cannot be the model's (what its task needs and the model is not), or undefined. */
function taskMismatch(recipe, model) {
  const c = model.config;
  const v = model.vocabulary?.size, l = model.labels?.size;
  const m2o = c.task === "many-to-one";
  switch (recipe.task) {
    case "series":
      if (c.input !== "dense") return "one with dense inputs";
      if (Boolean(recipe.manyToOne) !== m2o) return `a ${recipe.manyToOne ? "many-to-one" : "many-to-many"} one`;
      if (Array.isArray(recipe.features) && recipe.features.length !== c.inputSize) return `one with an input per feature column (${recipe.features.length})`;
      if (Array.isArray(recipe.targets) && recipe.targets.length !== c.outputSize) return `one with an output per target column (${recipe.targets.length})`;
      return undefined;
    case "tag": case "classify": {
      if (c.input !== "ids") return "one that reads word ids";
      if (m2o !== (recipe.task === "classify")) return `a ${recipe.task === "classify" ? "many-to-one" : "many-to-many"} one`;
      if (l === undefined) return "one with labels";
      if (l !== c.outputSize) return "one with an output per label";
      if (v !== undefined && v !== c.inputSize) return "one with an input per vocabulary id";
      return undefined;
    }
    case "lm":
      if (c.input !== "ids" || m2o) return "a many-to-many one on ids";
      if (l !== undefined) return "one that predicts tokens, not labels";
      if (v !== undefined && (v !== c.inputSize || v !== c.outputSize)) return "one with an input and an output per vocabulary id";
      return undefined;
  }
  return undefined;
}

/**
 * Check that a recipe read from recipePath(modelPath) describes the model loaded from
 * modelPath; a CliError naming both files if not.
 */
export function checkRecipe(recipe, model, modelPath) {
  const file = recipePath(modelPath);
  const advice = `It was probably written by another training run into the same file: train again, or delete ${file} to read the model by its shape alone.`;
  const actual = describeModel(model);
  const why = taskMismatch(recipe, model);
  if (why) {
    throw new CliError(`${file} does not describe ${modelPath}: the recipe is for ${recipe.task === "lm" ? "an" : "a"} ${recipe.task} model (${why}), but ${modelPath} holds ${shape(actual)}. ${advice}`, EXIT.data);
  }
  const saved = recipe.model;
  if (saved !== undefined) {
    if (saved === null || typeof saved !== "object") throw new CliError(`${file}: "model" should describe the model (an object), got ${JSON.stringify(saved)}`, EXIT.data);
    const differ = Object.keys(actual).filter((k) => saved[k] !== undefined && saved[k] !== actual[k]);
    if (differ.length) {
      const what = differ.map((k) => (k === "fingerprint" ? "the vocabulary or labels" : `${k} (${JSON.stringify(saved[k])} in the recipe, ${JSON.stringify(actual[k])} in the model)`));
      throw new CliError(`${file} does not describe ${modelPath}: the recipe was written for ${shape(saved)}, but ${modelPath} holds ${shape(actual)}; they differ in ${what.join(", ")}. ${advice}`, EXIT.data);
    }
  }
}
