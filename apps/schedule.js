// The learning-rate schedule of the apps (the CLI, the examples, the demo): Adam (AdamW with
// a weight decay) at lr · γ^(e − 1) in epoch e, counted from 1 across resumed runs (PyTorch's ExponentialLR).
// fit takes this as `schedule: { type: "exponential", gamma }`, with `initialEpoch` for the
// epochs a resumed model has already done; this file is the one place that says so. No Node
// built-ins: the demo's worker imports it.

/** The learning rate of epoch `epoch` (from 1): lr · gamma^(epoch − 1), the same double fit computes. */
export function rateAt(lr, gamma, epoch) {
  return lr * gamma ** (epoch - 1);
}

/**
 * The fitAsync options that train `epochs` epochs with Adam, starting after the `done` epochs
 * a model has already trained, at lr · gamma^(e − 1) in epoch e (absolute: done + 1, …).
 * With `weightDecay` > 0 the optimizer is AdamW with that decoupled weight decay (the
 * library's default tensors: U, W, V); 0 keeps plain Adam. Spread them into the options of
 * fitAsync; the epochs' own numbers (`log.epoch` in onBatch and onEpoch) are absolute.
 */
export function decayingRate({ lr, gamma, done = 0, epochs = 1, weightDecay = 0 }) {
  const optimizer = weightDecay > 0 ? { type: "adamw", lr, weightDecay } : { type: "adam", lr };
  return { epochs, initialEpoch: done, optimizer, schedule: { type: "exponential", gamma } };
}
