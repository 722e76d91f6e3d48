// rnn-wasm/slim: inference only, and no embedded module. Generation is the function
// generate(model, options) here (a method would be in every app, used or not). Load rnn.wasm first with
// `await init(url | bytes | module)` (or `initSync`); models created or loaded without an
// engine then use the first module loaded. Training, evaluation and PyTorch/Keras interop
// are in the package entry ("rnn-wasm"), so an app built on this one does not carry them.

export { InferenceRNN as RNN, InferenceRNN } from "./inference.js";
export type { Parameters, ParameterInput, PredictOptions, ForwardResult, CreateOptions, StepperOptions } from "./inference.js";
export type { RNNConfig, ResolvedConfig } from "./options.js";
export type { Sequence, IdSequence, DenseSequence } from "./batch.js";
export { RnnError } from "./errors.js";
export { load as init, loadSync as initSync } from "./wasm.js";
export type { Engine, EngineFeatures, InitOptions, WasmSource } from "./wasm.js";
export { MODEL_FORMAT_VERSION } from "./format.js";
export type { SaveOptions, LoadOptions } from "./format.js";
export { Vocabulary, LabelEncoder } from "./vocab.js";
export type { VocabularyOptions, VocabularyJSON, LabelEncoderJSON, EncodeOptions, Tokens } from "./vocab.js";
export { argmax } from "./metrics.js";
export { generate, sampleIndex } from "./generate.js";
export type { GenerateOptions, Generated } from "./generate.js";
export { Stepper } from "./stepper.js";
export type { StepperSnapshot } from "./stepper.js";
