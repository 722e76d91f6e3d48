/**
 * The memory plan of assembly/layout.ts and the work block of model_reserve (index.ts):
 * - the planner: for ids and dense input, many-to-many and many-to-one, each loss, and sizes
 *   that are and are not multiples of 4, the pointers it assigns tile the block exactly as
 *   the sizes it totals say: every tensor starts on 16 bytes, right after the previous one
 *   padded to 4 floats, and the last one ends at the block's size (param and work blocks);
 * - sizes are f64 and never wrap: a request past 2^32 bytes is sized exactly;
 * - model_reserve plans exactly T × B: 0 when already planned, 1 and a re-plan inside the
 *   same block when its capacity holds T × B (the new plan's tensors zeroed, padding lanes
 *   included), a new block only when it does not; −1 and nothing changed past
 *   MAX_BLOCK_BYTES; a long sequence then a wide batch re-plans in place and allocates nothing.
 */
import {
  Model, INPUT_IDS, INPUT_DENSE, TASK_MANY_TO_MANY, TASK_MANY_TO_ONE, ACT_TANH,
  LOSS_SOFTMAX_XENT, LOSS_SIGMOID_BCE, LOSS_MSE, MAX_BLOCK_BYTES,
  param_block_floats, plan_params, work_block_floats, plan_work,
} from "../../assembly/layout";
import { model_create, model_free, model_reserve } from "../../assembly/index";
import { f32_packed_floats, f32_gemm_scratch_floats } from "../../assembly/gemm";
import { pad4 } from "../../assembly/simd";

const NS: i32[] = [1, 5, 8];
const DS: i32[] = [1, 6, 16];
const KS: i32[] = [1, 3, 4];

/** A header (never a model) with these sizes and kinds, for planning at a made-up address. */
function header(n: i32, d: i32, k: i32, input: i32, task: i32, loss: i32): Model {
  const p = heap.alloc(offsetof<Model>());
  memory.fill(p, 0, offsetof<Model>());
  const m = changetype<Model>(p);
  m.n = n; m.d = d; m.k = k; m.input = input; m.task = task; m.loss = loss; m.act = ACT_TANH;
  return m;
}

// Walks a plan's tensors in the order the diagram draws them, checking each one.
let cursor: usize = 0;
let what = "";
function next(ptr: usize, floats: i32, name: string): void {
  expect<u32>(<u32>(ptr & 15)).toBe(0, `${what}: ${name} is not 16-byte aligned`);
  expect<usize>(ptr).toBe(cursor, `${what}: ${name} does not follow the previous tensor (padded to 4 floats)`);
  cursor = ptr + (<usize>pad4(floats) << 2);
}

describe("the planner: the pointers it assigns tile exactly the size it totals", () => {
  it("parameter block: params | grads | m | v | packed | scratch, for ids and dense input", () => {
    const base: usize = 0x10000;   // planning only computes addresses: nothing is written there
    for (let a = 0; a < NS.length; a++) for (let b = 0; b < DS.length; b++) for (let c = 0; c < KS.length; c++) {
      for (let input = INPUT_IDS; input <= INPUT_DENSE; input++) {
        const n = NS[a], d = DS[b], k = KS[c];
        const m = header(n, d, k, input, TASK_MANY_TO_MANY, LOSS_SOFTMAX_XENT);
        plan_params(m, base);
        what = `params n=${n} d=${d} k=${k} input=${input}`;
        cursor = base;
        next(base + (<usize>m.offU << 2), d * n, "U");
        next(base + (<usize>m.offW << 2), d * d, "W");
        next(base + (<usize>m.offb << 2), d, "b");
        next(base + (<usize>m.offV << 2), k * d, "V");
        next(base + (<usize>m.offc << 2), k, "c");
        expect<usize>(cursor).toBe(base + (<usize>m.nparams << 2), `${what}: nparams`);
        expect<usize>(m.params).toBe(base, what);
        next(m.grads, m.nparams, "grads");
        next(m.m, m.nparams, "m");
        next(m.v, m.nparams, "v");
        if (input == INPUT_DENSE) next(m.UTp, f32_packed_floats(n, d), "Uᵀ packed");
        else expect<usize>(m.UTp).toBe(0, `${what}: no Uᵀ for ids`);
        next(m.WTp, f32_packed_floats(d, d), "Wᵀ packed");
        next(m.Wp, f32_packed_floats(d, d), "W packed");
        next(m.VTp, f32_packed_floats(d, k), "Vᵀ packed");
        next(m.Vp, f32_packed_floats(k, d), "V packed");
        next(m.scratch, <i32>f32_gemm_scratch_floats(<f64>max(n, max(d, k))), "scratch");
        expect<f64>(<f64>(cursor - base)).toBe(4 * param_block_floats(n, d, k, input), `${what}: block size`);
        heap.free(changetype<usize>(m));
      }
    }
  });
  it("work block: X | targets | weights | lengths | H | Z | O | dO | dnext | gnorm, for every input, task and loss", () => {
    const base: usize = 0x20000;
    const TB: i32[] = [1, 1, 3, 2, 7, 5];   // (T, B) pairs
    for (let a = 0; a < NS.length; a++) for (let c = 0; c < KS.length; c++) for (let q = 0; q < TB.length; q += 2) {
      for (let input = INPUT_IDS; input <= INPUT_DENSE; input++)
      for (let task = TASK_MANY_TO_MANY; task <= TASK_MANY_TO_ONE; task++)
      for (let loss = LOSS_SOFTMAX_XENT; loss <= LOSS_MSE; loss++) {
        const n = NS[a], d = 6, k = KS[c], T = TB[q], B = TB[q + 1];
        const m = header(n, d, k, input, task, loss);
        plan_work(m, base, T, B);
        what = `work n=${n} k=${k} T=${T} B=${B} input=${input} task=${task} loss=${loss}`;
        const rows = task == TASK_MANY_TO_ONE ? B : T * B;
        cursor = base;
        next(m.X, input == INPUT_DENSE ? T * B * n : T * B, "X");
        next(m.targets, loss == LOSS_SOFTMAX_XENT ? rows : rows * k, "targets");
        next(m.weights, rows, "weights");
        next(m.lengths, B, "lengths");
        next(m.H, (T + 1) * B * d, "H");
        next(m.Z, T * B * d, "Z");
        next(m.O, rows * k, "O");
        next(m.dO, rows * k, "dO");
        next(m.dnext, B * d, "dnext");
        next(m.gnorm, T, "gnorm");
        expect<f64>(<f64>(cursor - base)).toBe(4 * work_block_floats(n, d, k, input, task, loss, T, B), `${what}: block size`);
        expect<i32>(m.T).toBe(T); expect<i32>(m.B).toBe(B); expect<usize>(m.work).toBe(base);
        heap.free(changetype<usize>(m));
      }
    }
  });
  it("sizes are f64: T = 2^20, B = 2^12, d = 64 is sized exactly (no 32-bit wrap), sizing leaves no trace", () => {
    const T: f64 = 1048576, B: f64 = 4096, d: f64 = 64, k: f64 = 4;
    // ids, many-to-many, softmax: X T·B, targets T·B, weights T·B, lengths B, H (T+1)·B·d, Z T·B·d, O and dO T·B·k, dnext B·d, gnorm T
    const want = T * B + T * B + T * B + B + (T + 1) * B * d + T * B * d + 2 * T * B * k + B * d + T;
    expect<f64>(work_block_floats(4, 64, 4, INPUT_IDS, TASK_MANY_TO_MANY, LOSS_SOFTMAX_XENT, 1 << 20, 1 << 12)).toBe(want);
    expect<bool>(4 * want > 4294967296.0).toBe(true, "the case is past 2^32 bytes");
    // A model planned before and after sizing keeps its plan (sizing walks a header of its own).
    const p = model_create(4, 64, 4, INPUT_IDS, TASK_MANY_TO_MANY, ACT_TANH, LOSS_SOFTMAX_XENT, 1, 0);
    model_reserve(p, 3, 2);
    const m = changetype<Model>(p);
    const X = m.X, H = m.H, gnorm = m.gnorm, offV = m.offV;
    work_block_floats(7, 9, 11, INPUT_DENSE, TASK_MANY_TO_ONE, LOSS_MSE, 13, 17);
    param_block_floats(7, 9, 11, INPUT_DENSE);
    expect<usize>(m.X).toBe(X); expect<usize>(m.H).toBe(H); expect<usize>(m.gnorm).toBe(gnorm); expect<i32>(m.offV).toBe(offV);
    model_free(p);
  });
});

/** Every byte of [p, p + bytes) zero. */
function zeroBytes(p: usize, bytes: usize): bool {
  for (let i: usize = 0; i < bytes; i++) if (load<u8>(p + i) != 0) return false;
  return true;
}

describe("model_reserve: exactly T × B, re-planned in the block it has when it fits", () => {
  it("0 when planned already (contents kept); 1 and a re-plan in place when smaller; a new block only when bigger", () => {
    const p = model_create(5, 6, 3, INPUT_DENSE, TASK_MANY_TO_MANY, ACT_TANH, LOSS_MSE, 3, 0);
    const m = changetype<Model>(p);
    expect<i32>(model_reserve(p, 8, 4)).toBe(1, "first reserve");
    const block = m.work, cap = m.workBytes;
    const bytes84 = <usize>(4 * work_block_floats(5, 6, 3, INPUT_DENSE, TASK_MANY_TO_MANY, LOSS_MSE, 8, 4));
    expect<usize>(cap).toBe(bytes84, "capacity: exactly 8 × 4");
    expect<bool>(zeroBytes(block, cap)).toBe(true, "a new block is zero");
    memory.fill(block, 0xa5, cap);                       // junk everywhere, padding lanes included
    expect<i32>(model_reserve(p, 8, 4)).toBe(0, "same shape");
    expect<u8>(load<u8>(block + cap - 1)).toBe(0xa5, "same shape: contents kept");
    expect<i32>(model_reserve(p, 3, 5)).toBe(1, "3 × 5 fits in 8 × 4's block");
    expect<usize>(m.work).toBe(block, "re-planned in the same block");
    expect<usize>(m.workBytes).toBe(cap, "capacity unchanged");
    expect<i32>(m.T).toBe(3); expect<i32>(m.B).toBe(5);
    const used = <usize>(4 * work_block_floats(5, 6, 3, INPUT_DENSE, TASK_MANY_TO_MANY, LOSS_MSE, 3, 5));
    expect<usize>(m.gnorm + (<usize>pad4(3) << 2) - block).toBe(used, "the plan ends where its size says");
    expect<bool>(zeroBytes(block, used)).toBe(true, "the new plan's tensors (and padding lanes) are zero");
    expect<u8>(load<u8>(block + used)).toBe(0xa5, "only the part the plan uses is zeroed");
    expect<i32>(model_reserve(p, 9, 4)).toBe(1, "9 × 4 does not fit");
    expect<usize>(m.workBytes).toBe(<usize>(4 * work_block_floats(5, 6, 3, INPUT_DENSE, TASK_MANY_TO_MANY, LOSS_MSE, 9, 4)));
    expect<bool>(zeroBytes(m.work, m.workBytes)).toBe(true, "the new block is zero");
    model_free(p);
  });
  it("a long sequence then a wide batch (T = 4096, B = 1, then T = 1, B = 1900): re-planned in place, no allocation", () => {
    const p = model_create(4, 64, 4, INPUT_IDS, TASK_MANY_TO_MANY, ACT_TANH, LOSS_SOFTMAX_XENT, 1, 0);
    const m = changetype<Model>(p);
    expect<i32>(model_reserve(p, 4096, 1)).toBe(1);
    const block = m.work, cap = m.workBytes, pages = memory.size();
    expect<i32>(model_reserve(p, 1, 1900)).toBe(1);
    expect<usize>(m.work).toBe(block, "same block");
    expect<usize>(m.workBytes).toBe(cap, "no bigger capacity");
    expect<i32>(memory.size()).toBe(pages, "memory did not grow");
    const grown = 4 * work_block_floats(4, 64, 4, INPUT_IDS, TASK_MANY_TO_MANY, LOSS_SOFTMAX_XENT, 4096, 1900);
    expect<bool>(<f64>cap * 100 < grown).toBe(true, "max T × max B would be over 100 times the block");
    expect<i32>(model_reserve(p, 4096, 1)).toBe(1, "and back");
    expect<usize>(m.work).toBe(block);
    model_free(p);
  });
  it("past MAX_BLOCK_BYTES: −1 and nothing changed", () => {
    const p = model_create(4, 64, 4, INPUT_IDS, TASK_MANY_TO_MANY, ACT_TANH, LOSS_SOFTMAX_XENT, 1, 0);
    const m = changetype<Model>(p);
    model_reserve(p, 5, 3);
    const block = m.work, cap = m.workBytes, X = m.X, gnorm = m.gnorm, pages = memory.size();
    // 1 × 2^21 sequences: 2^21·(1 + 1 + 1 + 2·64 + 64 + 2·4 + 64) floats ≈ 2.1 GB
    expect<i32>(model_reserve(p, 1, 1 << 21)).toBe(-1);
    expect<i32>(model_reserve(p, 1 << 20, 1 << 12)).toBe(-1, "past 2^32 bytes: no wrap to a small block");
    expect<bool>(4 * work_block_floats(4, 64, 4, INPUT_IDS, TASK_MANY_TO_MANY, LOSS_SOFTMAX_XENT, 1, 1 << 21) > MAX_BLOCK_BYTES).toBe(true);
    expect<usize>(m.work).toBe(block); expect<usize>(m.workBytes).toBe(cap);
    expect<usize>(m.X).toBe(X); expect<usize>(m.gnorm).toBe(gnorm);
    expect<i32>(m.T).toBe(5); expect<i32>(m.B).toBe(3);
    expect<i32>(memory.size()).toBe(pages);
    model_free(p);
  });
});
