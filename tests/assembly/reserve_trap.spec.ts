/**
 * model_reserve when wasm memory cannot grow (a file of its own: it uses up the memory).
 * The new work block is allocated before the old one is freed, so the trap of the failed
 * allocation leaves the model exactly as it was: same block, same plan, same contents,
 * and the next pass on the old shape gives the same bits. Before, the old block was freed
 * first and the model was left pointing into freed memory.
 */
import { Model, cell, INPUT_IDS, TASK_MANY_TO_MANY, ACT_TANH, LOSS_SOFTMAX_XENT } from "../../assembly/layout";
import {
  model_create, model_reserve, model_inputs, model_lengths, model_outputs, model_predict,
} from "../../assembly/index";
import { copyOf, bitsAt, at, mismatch } from "./util";

const T = 4, B = 2, k = 3;
let model: usize = 0;   // a global: as-pect's toThrow takes a function without captures

function writeBatch(p: usize): void {
  for (let r = 0; r < T * B; r++) store<i32>(model_inputs(p) + (<usize>r << 2), r % 4);
  store<i32>(model_lengths(p), 4);
  store<i32>(model_lengths(p) + 4, 3);
}

describe("model_reserve when memory cannot grow", () => {
  it("traps in the allocation, and the model keeps its block, plan and contents", () => {
    model = model_create(4, 8, k, INPUT_IDS, TASK_MANY_TO_MANY, ACT_TANH, LOSS_SOFTMAX_XENT, 1, 1, 0, 0, 5, 0);
    expect<i32>(model_reserve(model, T, B, 1)).toBe(1);
    writeBatch(model);
    model_predict(model, T, B, false);
    const m = changetype<Model>(model);
    const work = m.work, cap = m.workBytes, X = m.X, H = cell(m, 0).H, O = m.O, gnorm = m.gnorm;
    const before = copyOf(work, <i32>(cap >> 2));
    const outputs = copyOf(model_outputs(model), T * B * k);

    // Use up the memory by hand, so that the allocator cannot grow it.
    // Few large steps: an engine may copy the whole memory on each grow.
    for (let pages = 65536 - memory.size(); pages > 0; ) if (memory.grow(pages) < 0) pages >>= 1;
    // 1 × 2^20 sequences: about 2^20·42 floats = 176 MB, under MAX_BLOCK_BYTES, more than is free.
    expect(() => { model_reserve(model, 1, 1 << 20, 1); }).toThrow("the allocation traps");

    expect<usize>(m.work).toBe(work, "block kept");
    expect<usize>(m.workBytes).toBe(cap, "capacity kept");
    expect<i32>(m.T).toBe(T); expect<i32>(m.B).toBe(B);
    expect<usize>(m.X).toBe(X); expect<usize>(cell(m, 0).H).toBe(H); expect<usize>(m.O).toBe(O); expect<usize>(m.gnorm).toBe(gnorm);
    for (let i = 0; i < <i32>(cap >> 2); i++) {
      if (bitsAt(work, i) != bitsAt(before, i)) { mismatch(at(work, i), at(before, i), `work block changed at float ${i}`); break; }
    }
    // Usable: the same shape is planned already, and the next pass gives the same bits.
    expect<i32>(model_reserve(model, T, B, 1)).toBe(0);
    writeBatch(model);
    model_predict(model, T, B, false);
    for (let i = 0; i < T * B * k; i++) {
      if (bitsAt(model_outputs(model), i) != bitsAt(outputs, i)) { mismatch(at(model_outputs(model), i), at(outputs, i), `output ${i}`); break; }
    }
    // A smaller shape is still planned in the block it has (no memory needed).
    expect<i32>(model_reserve(model, 2, 2, 1)).toBe(1);
    expect<usize>(m.work).toBe(work);
  });
});
