// rnn-wasm: the public API. Everything not exported here (the raw ABI's pointers, the batch
// writer, the memory plan) is internal and may change between versions. The slim entry
// (src/slim.ts) is the inference part of this, without the embedded module.

export { RNN } from "./model.js";
export type { Gradients, StepResult } from "./model.js";
export { InferenceRNN } from "./inference.js";
export type { Parameters, ParameterInput, PredictOptions, ForwardResult, CreateOptions, StepperOptions } from "./inference.js";
export type { RNNConfig, ResolvedConfig, OptimizerOptions, SGDOptions, AdamOptions, AdamWOptions, DecayOptions, TrainStepOptions } from "./options.js";
export type { Batch, Sequence, IdSequence, DenseSequence, Targets } from "./batch.js";
export { RnnError } from "./errors.js";
export { init, initSync } from "./embedded.js";
export type { Engine, EngineFeatures, InitOptions, WasmSource } from "./wasm.js";
export { MODEL_FORMAT_VERSION } from "./format.js";
export type { SaveOptions, LoadOptions } from "./format.js";
export { downloadModel, saveModelToIndexedDB, loadModelFromIndexedDB } from "./storage.js";
export type { IndexedDBOptions } from "./storage.js";
export { saveModelFile, loadModelFile } from "./files.js";
export { readSafetensors, readTensor, writeSafetensors } from "./safetensors.js";
export type { SafetensorsFile, TensorEntry, TensorToWrite, LoadCheckOptions } from "./safetensors.js";
export { exportSafetensors, importSafetensors, importSafetensorsSync } from "./interop.js";
export type { ExportOptions, ImportOptions, WeightLayout } from "./interop.js";
export { Vocabulary, LabelEncoder } from "./vocab.js";
export type { VocabularyOptions, VocabularyJSON, LabelEncoderJSON, EncodeOptions, Tokens } from "./vocab.js";
export { Random, nextTokenData, labellingData, fromLookahead, cutSequences, makeBatches } from "./data.js";
export type { Dataset, IndexedBatch, CutOptions, BatchOptions } from "./data.js";
export { trainTruncated, truncatedGradients } from "./train.js";
export type { DataStream, Example, StreamItem, ItemSource } from "./stream.js";
export type { FitOptions, FitAsyncOptions, FitControl, EarlyStoppingOptions, LrSchedule, History, EpochLog, BatchLog, EvaluateOptions, Evaluation, TruncatedStepOptions, TruncatedResult } from "./train.js";
export { accuracy, argmax, confusionMatrix, perClassAccuracy, ConfusionMatrix } from "./metrics.js";
export type { ClassStats, RenderOptions } from "./metrics.js";
export { sampleIndex } from "./generate.js";
export type { GenerateOptions, Generated } from "./generate.js";
export { Stepper } from "./stepper.js";
export type { StepperSnapshot } from "./stepper.js";
