// The update half of a training step, shared by trainStep (gradients and update in one wasm
// call) and data-parallel training (gradients summed from replicas into the grads copy, then
// model_apply_gradients): the optimizer switch, the update, and the non-finite rule's refusal,
// which leaves parameters and optimizer state as they were.

import { RnnError } from "./errors.js";
import { STEP_APPLIED, STEP_NONFINITE_LOSS, STEP_NONFINITE_GRAD, STEP_NONFINITE_UPDATE } from "./wasm.js";
import type { ResolvedOptimizer } from "./options.js";
import type { Core, Tensors } from "./core.js";

/** Why a training step was not applied (model_step_status). */
const REFUSED: Record<number, string> = {
  [STEP_NONFINITE_LOSS]: "the loss is non-finite",
  [STEP_NONFINITE_GRAD]: "the gradient norm is non-finite",
  [STEP_NONFINITE_UPDATE]: "the update would make parameters non-finite",
};

/**
 * Run `update` (a wasm call that ends in model_apply_gradients: model_train_step, or
 * model_apply_gradients itself) under optimizer `opt`. Changing the optimizer's type resets its
 * state first; a step the module refuses undoes that reset too and throws an RnnError named
 * `where`. Returns the loss and the gradient norm before clipping.
 */
export function applyUpdate(core: Core, opt: ResolvedOptimizer, where: string, update: () => number): { loss: number; gradNorm: number } {
  const previous = core.optimizer;
  let before: { m: Tensors; v: Tensors; step: number } | undefined;   // the state a switch of optimizer resets
  if (previous !== opt.type) {
    if (previous !== undefined) {
      before = { m: core.read("m"), v: core.read("v"), step: core.step };
      core.resetOptimizer();
    }
    core.optimizer = opt.type;
  }
  const loss = update();
  const ex = core.ex;
  const gradNorm = ex.model_grad_norm(core.ptr);
  const status = ex.model_step_status(core.ptr);
  if (status !== STEP_APPLIED) {
    if (previous !== opt.type) {                       // nothing was applied: not even the switch
      core.optimizer = previous;
      if (before) {
        core.write("m", before.m);
        core.write("v", before.v);
        core.step = before.step;
      }
    }
    throw new RnnError(`${where}: not applied: ${REFUSED[status] ?? `status ${status}`} (loss ${loss}, gradient norm ${gradNorm}); parameters and optimizer state are unchanged. Lower the learning rate or set clipNorm; allowNonFinite: true applies such steps anyway`);
  }
  return { loss, gradNorm };
}
