// rnn-wasm: the public API. Everything not exported here (the raw ABI's pointers, the batch
// writer, the memory plan) is internal and may change between versions.

export { RNN } from "./model.js";
export type { Parameters, ParameterInput, Gradients, StepResult, PredictOptions, ForwardResult } from "./model.js";
export type { RNNConfig, ResolvedConfig, OptimizerOptions, SGDOptions, AdamOptions, TrainStepOptions } from "./options.js";
export type { Batch, Sequence, IdSequence, DenseSequence, Targets } from "./batch.js";
export { RnnError } from "./errors.js";
export { init, initSync } from "./wasm.js";
export type { Engine, WasmSource } from "./wasm.js";
export { MODEL_FORMAT_VERSION, downloadModel, saveModelToIndexedDB, loadModelFromIndexedDB } from "./io.js";
export type { SaveOptions, LoadOptions, IndexedDBOptions } from "./io.js";
export { saveModelFile, loadModelFile } from "./files.js";
export { readSafetensors, readTensor, writeSafetensors, exportSafetensors, importSafetensors, importSafetensorsSync } from "./safetensors.js";
export type { SafetensorsFile, TensorEntry, TensorToWrite, ExportOptions, ImportOptions, WeightLayout, LoadCheckOptions } from "./safetensors.js";
export { Vocabulary, LabelEncoder } from "./vocab.js";
export type { VocabularyOptions, VocabularyJSON, LabelEncoderJSON, EncodeOptions, Tokens } from "./vocab.js";
export { Random, nextTokenData, cutSequences, makeBatches } from "./data.js";
export type { Dataset, IndexedBatch, CutOptions, BatchOptions } from "./data.js";
export { trainTruncated, truncatedGradients } from "./train.js";
export type { FitOptions, FitAsyncOptions, FitControl, EarlyStoppingOptions, History, EpochLog, BatchLog, EvaluateOptions, Evaluation, TruncatedStepOptions, TruncatedResult } from "./train.js";
export { accuracy, argmax, confusionMatrix, perClassAccuracy, ConfusionMatrix } from "./metrics.js";
export type { ClassStats, RenderOptions } from "./metrics.js";
export { sampleIndex } from "./generate.js";
export type { GenerateOptions, Generated } from "./generate.js";
export { Stepper } from "./stepper.js";
export type { StepperSnapshot } from "./stepper.js";
