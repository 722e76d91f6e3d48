// The epoch loop shared by the CLI's train command and the examples: one fitAsync call per
// epoch (Adam at lr · lrDecay^(e − 1) in epoch e: fit's exponential schedule, through
// apps/schedule.js), then the held-out metrics, the model file (written atomically: a
// temporary file renamed into place), its recipe (MODEL.json, written right after the model:
// never before, so the pair always belongs together) and the plot. Epochs are numbered on
// from `startEpoch` (the epochs a resumed model has done): epoch e shuffles with seed + e, and
// fit's schedule goes on from it, so a run split across a save and a resume trains exactly as
// one run. Ctrl-C stops after the current batch; the epoch in progress is not saved, so the
// model file stays the last complete epoch's. A second Ctrl-C exits at once (after the model
// and recipe being written, if any).
// Opt-in (the CLI's train with --validation), `keepBest`: modelPath is then the epoch with the
// lowest held-out loss (ties: the earlier), and keepBest.lastPath the last epoch (what --resume
// continues); each recipe records the best epoch so far. Without it, modelPath is the last
// epoch, as the examples want.
import { mkdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { saveModelFile } from "../dist/index.js";
import { writeAtomic } from "./files.js";
import { writeRecipe } from "./recipe.js";
import { trainingPlot } from "./plot.js";
import { Progress } from "./progress.js";
import { decayingRate, rateAt } from "./schedule.js";

/**
 * @param model      an RNN
 * @param train      { inputs, targets }
 * @param options.epochs, batchSize, lr, lrDecay (1), clipNorm, seed, weightDecay (0: Adam; > 0: AdamW)
 * @param options.workers    data-parallel training in N workers (fitAsync's `workers`); 1
 *                           (default): none, on this thread, as before the option existed
 * @param options.evaluate   (model) → { loss, accuracy? } on held-out data, after every epoch
 * @param options.trainAccuracy (model) → accuracy on (a sample of) the training data, after every epoch
 * @param options.startEpoch epochs the model has already done (a resumed run; default 0)
 * @param options.modelPath  where to save the model after every epoch
 * @param options.recipe     with modelPath: MODEL.json's fields (task, unk, …), written after each save
 * @param options.plot       { path, title, subtitle?, baseline?, baselineName? }: an SVG after every epoch
 * @param options.log        (line) → void for the epoch summaries (default: under the progress bar)
 * @param options.keepBest   with modelPath and evaluate: { lastPath, best? } — save the epoch of
 *                           the lowest held-out loss (ties: the earlier; NaN: never better) to
 *                           modelPath and every epoch to lastPath; `best` ({ epoch, valLoss }) is
 *                           the best of the epochs a resumed run has done
 * @param options.replaces   paths this run's first saved model makes stale (removed after it)
 * @returns { epochs: [{ epoch, loss, valLoss?, accuracy?, valAccuracy?, seconds, lr, best? }], interrupted, seconds, best? }
 */
export async function trainEpochs(model, train, options) {
  const { epochs, batchSize = 32, lr = 0.001, lrDecay = 1, clipNorm, seed = 0, weightDecay = 0, workers = 1, startEpoch = 0, evaluate, trainAccuracy, modelPath, recipe, plot, unit = "tok", quiet = false } = options;
  const keepBest = modelPath && evaluate ? options.keepBest : undefined;
  let best = keepBest?.best;
  let replaces = options.replaces ?? [];
  const last = startEpoch + epochs;
  const progress = options.progress ?? new Progress({ epochs, firstEpoch: startEpoch + 1, unit, perSequence: model.config.task === "many-to-one", ...(quiet ? { stream: { write() {} } } : {}) });
  const say = options.log ?? ((line) => progress.line(line));
  const controller = new AbortController();
  const log = [];
  let presses = 0;
  let saving = false;
  let quitAfterSave = false;
  const onSigint = () => {
    presses++;
    if (presses > 1) {
      if (saving) quitAfterSave = true;            // the model and its recipe first: they go together
      else process.exit(130);
      return;
    }
    const kept = keepBest && best ? `; ${modelPath} keeps epoch ${best.epoch} (the best on validation)${log.length ? `, ${keepBest.lastPath} epoch ${log.at(-1).epoch}` : ""}`
      : modelPath && log.length ? `; ${modelPath} keeps epoch ${log.at(-1).epoch}` : modelPath ? `; nothing saved yet` : "";
    progress.line(`\ninterrupted: stopping after this batch (Ctrl-C again to quit now)${kept}`);
    controller.abort();
  };
  process.on("SIGINT", onSigint);
  const started = performance.now();
  if (modelPath) mkdirSync(dirname(modelPath) || ".", { recursive: true });
  try {
    for (let epoch = startEpoch + 1; epoch <= last; epoch++) {
      const t0 = performance.now();
      const history = await model.fitAsync(train, {
        ...decayingRate({ lr, gamma: lrDecay, done: epoch - 1, epochs: 1, weightDecay }), batchSize, seed: seed + epoch,
        ...(clipNorm ? { clipNorm } : {}),
        ...(workers > 1 ? { workers } : {}),
        signal: controller.signal,
        onBatch: (b) => progress.batch(b, epoch),
      });
      if (history.stopped === "stopped") break;          // interrupted: this epoch is not saved
      const entry = { epoch, loss: history.epochs[0].lossPerStep, lr: rateAt(lr, lrDecay, epoch), tokensPerSecond: history.epochs[0].tokensPerSecond };
      if (trainAccuracy) entry.accuracy = trainAccuracy(model);
      if (evaluate) {
        const v = evaluate(model);
        entry.valLoss = v.loss;
        if (v.accuracy !== undefined) entry.valAccuracy = v.accuracy;
      }
      entry.seconds = (performance.now() - t0) / 1000;
      log.push(entry);
      let saved = modelPath;
      if (modelPath) {
        saving = true;
        try {
          // weightDecay and workers only when set: a recipe without them resumes as plain Adam on
          // one thread, as before they existed (and a run without them writes the same recipe).
          const training = { epochs: epoch, lr, lrDecay, seed, batchSize, clipNorm: clipNorm ?? 0, ...(weightDecay > 0 ? { weightDecay } : {}), ...(workers > 1 ? { workers } : {}) };
          if (keepBest) {
            // The best first, then the last: stopped between the two, --resume (from the last)
            // trains this epoch again, exactly, and writes the same best.
            const score = (x) => (typeof x === "number" && !Number.isNaN(x) ? x : Infinity);
            entry.best = best === undefined || score(entry.valLoss) < score(best.valLoss);
            if (entry.best) best = { epoch, valLoss: entry.valLoss, ...(entry.valAccuracy !== undefined ? { valAccuracy: entry.valAccuracy } : {}) };
            if (entry.best) {
              await saveModelFile(model, modelPath);
              if (recipe) writeRecipe(modelPath, recipe, model, { ...training, best });
            }
            await saveModelFile(model, keepBest.lastPath);
            if (recipe) writeRecipe(keepBest.lastPath, recipe, model, { ...training, best });
            saved = entry.best ? `${modelPath}, the best so far, and ${keepBest.lastPath}` : `${keepBest.lastPath}; ${modelPath} keeps epoch ${best.epoch}, the best`;
          } else {
            await saveModelFile(model, modelPath);
            if (recipe) writeRecipe(modelPath, recipe, model, training);
          }
          for (const path of replaces) rmSync(path, { force: true });
          replaces = [];
        } finally {
          saving = false;
        }
        if (quitAfterSave) process.exit(130);
      }
      if (plot?.path) writeAtomic(plot.path, trainingPlot(log, { ...plot, planned: last }));
      const pct = (x) => `${(100 * x).toFixed(2)}%`;
      say(`epoch ${epoch}/${last}  loss ${entry.loss.toFixed(4)}` +
        (entry.accuracy !== undefined ? `  acc ${pct(entry.accuracy)}` : "") +
        (entry.valLoss !== undefined ? `  val loss ${entry.valLoss.toFixed(4)}` : "") +
        (entry.valAccuracy !== undefined ? `  val acc ${pct(entry.valAccuracy)}` : "") +
        `  (${entry.seconds.toFixed(1)} s${saved ? `, saved ${saved}` : ""})`);
    }
  } finally {
    process.off("SIGINT", onSigint);
  }
  return { epochs: log, interrupted: controller.signal.aborted, seconds: (performance.now() - started) / 1000, ...(keepBest ? { best } : {}) };
}
