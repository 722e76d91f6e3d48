/**
 * The one error class of rnn-wasm: bad input, bad configuration, a model used after
 * `dispose()`, memory that cannot be had, a module that cannot be loaded. The message names
 * the field, what was expected and what came.
 */
export class RnnError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RnnError";
  }
}
