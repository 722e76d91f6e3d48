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
  Model, cell, layer, header_bytes, link_header, INPUT_IDS, INPUT_DENSE, TASK_MANY_TO_MANY, TASK_MANY_TO_ONE, ACT_TANH,
  LOSS_SOFTMAX_XENT, LOSS_SIGMOID_BCE, LOSS_MSE, MAX_BLOCK_BYTES,
  param_block_floats, plan_params, work_block_floats, plan_work,
} from "../../assembly/layout";
import { model_create, model_free, model_reserve } from "../../assembly/index";
import { f32_packed_floats, f32_gemm_scratch_floats } from "../../assembly/gemm";
import { pad4 } from "../../assembly/simd";

const NS: i32[] = [1, 5, 8];
const DS: i32[] = [1, 6, 16];
const KS: i32[] = [1, 3, 4];
// (L, D, e, dropout·10) shapes of the stack: one layer as before, deep, bidirectional, embedded, dropped.
const STACKS: i32[] = [1, 1, 0, 0, 2, 1, 0, 0, 1, 2, 0, 0, 3, 2, 3, 5, 2, 1, 5, 5];

/** A header (never a model) with these sizes and kinds, for planning at a made-up address. */
function header(n: i32, d: i32, k: i32, input: i32, task: i32, loss: i32, L: i32 = 1, D: i32 = 1, e: i32 = 0, dropout: f32 = 0): Model {
  const bytes = header_bytes(L, D);
  const p = heap.alloc(bytes);
  memory.fill(p, 0, bytes);
  const m = changetype<Model>(p);
  m.n = n; m.d = d; m.k = k; m.input = input; m.task = task; m.loss = loss; m.act = ACT_TANH;
  m.e = e; m.dropout = dropout;
  link_header(m, L, D);
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
  it("parameter block: params | grads | m | v | packed | scratch, for ids (with and without E) and dense input, any stack", () => {
    const base: usize = 0x10000;   // planning only computes addresses: nothing is written there
    for (let a = 0; a < NS.length; a++) for (let b = 0; b < DS.length; b++) for (let c = 0; c < KS.length; c++)
    for (let q = 0; q < STACKS.length; q += 4) {
      for (let input = INPUT_IDS; input <= INPUT_DENSE; input++) {
        const n = NS[a], d = DS[b], k = KS[c], L = STACKS[q], D = STACKS[q + 1];
        const e = input == INPUT_IDS ? STACKS[q + 2] : 0, Dd = D * d;
        const m = header(n, d, k, input, TASK_MANY_TO_MANY, LOSS_SOFTMAX_XENT, L, D, e);
        plan_params(m, base);
        what = `params n=${n} d=${d} k=${k} input=${input} L=${L} D=${D} e=${e}`;
        cursor = base;
        if (e) next(base + (<usize>m.offE << 2), n * e, "E");
        for (let s = 0; s < L * D; s++) {
          const cl = cell(m, s), mm = s < D ? (e ? e : n) : Dd;
          expect<i32>(cl.m).toBe(mm, `${what}: cell ${s} input size`);
          expect<i32>(cl.layer).toBe(s / D); expect<i32>(cl.rev).toBe(s % D);
          next(base + (<usize>cl.offU << 2), d * mm, "U");
          next(base + (<usize>cl.offW << 2), d * d, "W");
          next(base + (<usize>cl.offb << 2), d, "b");
        }
        next(base + (<usize>m.offV << 2), k * Dd, "V");
        next(base + (<usize>m.offc << 2), k, "c");
        expect<usize>(cursor).toBe(base + (<usize>m.nparams << 2), `${what}: nparams`);
        expect<usize>(m.params).toBe(base, what);
        next(m.grads, m.nparams, "grads");
        next(m.m, m.nparams, "m");
        next(m.v, m.nparams, "v");
        for (let s = 0; s < L * D; s++) {
          const cl = cell(m, s);
          if (s < D && input == INPUT_IDS && !e) expect<usize>(cl.UTp).toBe(0, `${what}: no Uᵀ for ids`);
          else next(cl.UTp, f32_packed_floats(cl.m, d), "Uᵀ packed");
          next(cl.WTp, f32_packed_floats(d, d), "Wᵀ packed");
          next(cl.Wp, f32_packed_floats(d, d), "W packed");
          if (s >= D || e) next(cl.Up, f32_packed_floats(d, cl.m), "U packed");
          else expect<usize>(cl.Up).toBe(0, `${what}: no U packed below the first layer's input`);
        }
        next(m.VTp, f32_packed_floats(Dd, k), "Vᵀ packed");
        next(m.Vp, f32_packed_floats(k, Dd), "V packed");
        next(m.scratch, <i32>f32_gemm_scratch_floats(<f64>max(max(n, e), max(Dd, k))), "scratch");
        expect<f64>(<f64>(cursor - base)).toBe(4 * param_block_floats(n, d, k, input, L, D, e), `${what}: block size`);
        heap.free(changetype<usize>(m));
      }
    }
  });
  it("work block: X | targets | weights | lengths | per cell H Z dnext | Xe | per layer out mask | O | dO | h0 hN dh0 | gnorm | gnorm2", () => {
    const base: usize = 0x20000;
    const TB: i32[] = [1, 1, 3, 2, 7, 5];   // (T, B) pairs
    for (let a = 0; a < NS.length; a++) for (let c = 0; c < KS.length; c++) for (let q = 0; q < TB.length; q += 2)
    for (let st = 0; st < STACKS.length; st += 4) {
      for (let input = INPUT_IDS; input <= INPUT_DENSE; input++)
      for (let task = TASK_MANY_TO_MANY; task <= TASK_MANY_TO_ONE; task++)
      for (let loss = LOSS_SOFTMAX_XENT; loss <= LOSS_MSE; loss++) {
        const n = NS[a], d = 6, k = KS[c], T = TB[q], B = TB[q + 1];
        const L = STACKS[st], D = STACKS[st + 1], e = input == INPUT_IDS ? STACKS[st + 2] : 0, p = <f32>STACKS[st + 3] / 10;
        const Dd = D * d, m2o = task == TASK_MANY_TO_ONE;
        const m = header(n, d, k, input, task, loss, L, D, e, p);
        plan_work(m, base, T, B);
        what = `work n=${n} k=${k} T=${T} B=${B} input=${input} task=${task} loss=${loss} L=${L} D=${D} e=${e} p=${p}`;
        const rows = m2o ? B : T * B;
        cursor = base;
        next(m.X, input == INPUT_DENSE ? T * B * n : T * B, "X");
        next(m.targets, loss == LOSS_SOFTMAX_XENT ? rows : rows * k, "targets");
        next(m.weights, rows, "weights");
        next(m.lengths, B, "lengths");
        for (let s = 0; s < L * D; s++) {
          next(cell(m, s).H, (T + 1) * B * d, "H");
          next(cell(m, s).Z, T * B * d, "Z");
          next(cell(m, s).dnext, B * d, "dnext");
        }
        if (e) next(m.Xe, T * B * e, "Xe");
        for (let l = 0; l < L; l++) {
          const ly = layer(m, l), top = l == L - 1, H = cell(m, l * D).H;
          if (D == 2 || (p > 0 && !top)) {
            expect<i32>(ly.owned).toBe(1, what);
            next(ly.out, top && m2o ? B * Dd : T * B * Dd, "out");
          } else {
            expect<i32>(ly.owned).toBe(0, what);
            expect<usize>(ly.out).toBe(H + ((<usize>(top && m2o ? T : 1) * <usize>(B * d)) << 2), `${what}: out aliases the forward cell's states`);
          }
          if (p > 0 && !top) next(ly.mask, T * B * Dd, "mask");
          else expect<usize>(ly.mask).toBe(0, `${what}: no mask`);
          expect<usize>(ly.input).toBe(l > 0 ? layer(m, l - 1).out : e ? m.Xe : input == INPUT_DENSE ? m.X : 0, `${what}: layer ${l} input`);
        }
        next(m.O, rows * k, "O");
        next(m.dO, rows * k, "dO");
        if (L * D > 1) {
          next(m.h0, B * L * D * d, "h0");
          next(m.hN, B * L * D * d, "hN");
          next(m.dh0, B * L * D * d, "dh0");
        } else {
          expect<usize>(m.h0).toBe(cell(m, 0).H, what);
          expect<usize>(m.hN).toBe(cell(m, 0).H + (<usize>(T * B * d) << 2), what);
          expect<usize>(m.dh0).toBe(cell(m, 0).dnext, what);
        }
        next(m.gnorm, T, "gnorm");
        next(m.gnorm2, 2 * T, "gnorm2");
        expect<f64>(<f64>(cursor - base)).toBe(4 * work_block_floats(n, d, k, input, task, loss, L, D, e, p, T, B, 1), `${what}: block size`);
        expect<i32>(m.T).toBe(T); expect<i32>(m.B).toBe(B); expect<usize>(m.work).toBe(base);
        heap.free(changetype<usize>(m));
      }
    }
  });
  it("feature bags: X holds F ids a step for ids input (F = 1: as one id a step); dense X ignores F", () => {
    const base: usize = 0x30000;
    for (let input = INPUT_IDS; input <= INPUT_DENSE; input++) {
      const m = header(5, 6, 3, input, TASK_MANY_TO_MANY, LOSS_SOFTMAX_XENT);
      plan_work(m, base, 7, 3, 4);
      expect<i32>(m.F).toBe(4);
      expect<usize>(m.targets - m.X).toBe(<usize>pad4(input == INPUT_IDS ? 7 * 3 * 4 : 7 * 3 * 5) << 2, "X's size");
      expect<f64>(work_block_floats(5, 6, 3, input, TASK_MANY_TO_MANY, LOSS_SOFTMAX_XENT, 1, 1, 0, 0, 7, 3, 4) -
        work_block_floats(5, 6, 3, input, TASK_MANY_TO_MANY, LOSS_SOFTMAX_XENT, 1, 1, 0, 0, 7, 3, 1)).toBe(input == INPUT_IDS ? <f64>(pad4(7 * 3 * 4) - pad4(7 * 3)) : 0);
      heap.free(changetype<usize>(m));
    }
  });
  it("sizes are f64: T = 2^20, B = 2^12, d = 64 is sized exactly (no 32-bit wrap), sizing leaves no trace", () => {
    const T: f64 = 1048576, B: f64 = 4096, d: f64 = 64, k: f64 = 4;
    // ids, many-to-many, softmax: X T·B, targets T·B, weights T·B, lengths B, H (T+1)·B·d, Z T·B·d, dnext B·d, O and dO T·B·k, gnorm T, gnorm2 2T
    const want = T * B + T * B + T * B + B + (T + 1) * B * d + T * B * d + B * d + 2 * T * B * k + T + 2 * T;
    expect<f64>(work_block_floats(4, 64, 4, INPUT_IDS, TASK_MANY_TO_MANY, LOSS_SOFTMAX_XENT, 1, 1, 0, 0, 1 << 20, 1 << 12, 1)).toBe(want);
    expect<bool>(4 * want > 4294967296.0).toBe(true, "the case is past 2^32 bytes");
    // A model planned before and after sizing keeps its plan (sizing walks a header of its own).
    const p = model_create(4, 64, 4, INPUT_IDS, TASK_MANY_TO_MANY, ACT_TANH, LOSS_SOFTMAX_XENT, 2, 2, 3, 0.5, 1, 0);
    model_reserve(p, 3, 2, 1);
    const m = changetype<Model>(p);
    const X = m.X, H = cell(m, 3).H, out = layer(m, 1).out, gnorm = m.gnorm, offV = m.offV, offU = cell(m, 2).offU;
    work_block_floats(7, 9, 11, INPUT_DENSE, TASK_MANY_TO_ONE, LOSS_MSE, 3, 1, 0, 0, 13, 17, 1);
    param_block_floats(7, 9, 11, INPUT_DENSE, 3, 1, 0);
    expect<usize>(m.X).toBe(X); expect<usize>(cell(m, 3).H).toBe(H); expect<usize>(layer(m, 1).out).toBe(out);
    expect<usize>(m.gnorm).toBe(gnorm); expect<i32>(m.offV).toBe(offV); expect<i32>(cell(m, 2).offU).toBe(offU);
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
    const p = model_create(5, 6, 3, INPUT_DENSE, TASK_MANY_TO_MANY, ACT_TANH, LOSS_MSE, 1, 1, 0, 0, 3, 0);
    const m = changetype<Model>(p);
    expect<i32>(model_reserve(p, 8, 4, 1)).toBe(1, "first reserve");
    const block = m.work, cap = m.workBytes;
    const bytes84 = <usize>(4 * work_block_floats(5, 6, 3, INPUT_DENSE, TASK_MANY_TO_MANY, LOSS_MSE, 1, 1, 0, 0, 8, 4, 1));
    expect<usize>(cap).toBe(bytes84, "capacity: exactly 8 × 4");
    expect<bool>(zeroBytes(block, cap)).toBe(true, "a new block is zero");
    memory.fill(block, 0xa5, cap);                       // junk everywhere, padding lanes included
    expect<i32>(model_reserve(p, 8, 4, 1)).toBe(0, "same shape");
    expect<u8>(load<u8>(block + cap - 1)).toBe(0xa5, "same shape: contents kept");
    expect<i32>(model_reserve(p, 3, 5, 1)).toBe(1, "3 × 5 fits in 8 × 4's block");
    expect<usize>(m.work).toBe(block, "re-planned in the same block");
    expect<usize>(m.workBytes).toBe(cap, "capacity unchanged");
    expect<i32>(m.T).toBe(3); expect<i32>(m.B).toBe(5);
    const used = <usize>(4 * work_block_floats(5, 6, 3, INPUT_DENSE, TASK_MANY_TO_MANY, LOSS_MSE, 1, 1, 0, 0, 3, 5, 1));
    expect<usize>(m.gnorm2 + (<usize>pad4(6) << 2) - block).toBe(used, "the plan ends where its size says");
    expect<bool>(zeroBytes(block, used)).toBe(true, "the new plan's tensors (and padding lanes) are zero");
    expect<u8>(load<u8>(block + used)).toBe(0xa5, "only the part the plan uses is zeroed");
    expect<i32>(model_reserve(p, 9, 4, 1)).toBe(1, "9 × 4 does not fit");
    expect<usize>(m.workBytes).toBe(<usize>(4 * work_block_floats(5, 6, 3, INPUT_DENSE, TASK_MANY_TO_MANY, LOSS_MSE, 1, 1, 0, 0, 9, 4, 1)));
    expect<bool>(zeroBytes(m.work, m.workBytes)).toBe(true, "the new block is zero");
    model_free(p);
  });
  it("a long sequence then a wide batch (T = 4096, B = 1, then T = 1, B = 1900): re-planned in place, no allocation", () => {
    const p = model_create(4, 64, 4, INPUT_IDS, TASK_MANY_TO_MANY, ACT_TANH, LOSS_SOFTMAX_XENT, 1, 1, 0, 0, 1, 0);
    const m = changetype<Model>(p);
    expect<i32>(model_reserve(p, 4096, 1, 1)).toBe(1);
    const block = m.work, cap = m.workBytes, pages = memory.size();
    expect<i32>(model_reserve(p, 1, 1900, 1)).toBe(1);
    expect<usize>(m.work).toBe(block, "same block");
    expect<usize>(m.workBytes).toBe(cap, "no bigger capacity");
    expect<i32>(memory.size()).toBe(pages, "memory did not grow");
    const grown = 4 * work_block_floats(4, 64, 4, INPUT_IDS, TASK_MANY_TO_MANY, LOSS_SOFTMAX_XENT, 1, 1, 0, 0, 4096, 1900, 1);
    expect<bool>(<f64>cap * 100 < grown).toBe(true, "max T × max B would be over 100 times the block");
    expect<i32>(model_reserve(p, 4096, 1, 1)).toBe(1, "and back");
    expect<usize>(m.work).toBe(block);
    model_free(p);
  });
  it("past MAX_BLOCK_BYTES: −1 and nothing changed", () => {
    const p = model_create(4, 64, 4, INPUT_IDS, TASK_MANY_TO_MANY, ACT_TANH, LOSS_SOFTMAX_XENT, 1, 1, 0, 0, 1, 0);
    const m = changetype<Model>(p);
    model_reserve(p, 5, 3, 1);
    const block = m.work, cap = m.workBytes, X = m.X, gnorm = m.gnorm, pages = memory.size();
    // 1 × 2^21 sequences: 2^21·(1 + 1 + 1 + 2·64 + 64 + 2·4 + 64) floats ≈ 2.1 GB
    expect<i32>(model_reserve(p, 1, 1 << 21, 1)).toBe(-1);
    expect<i32>(model_reserve(p, 1 << 20, 1 << 12, 1)).toBe(-1, "past 2^32 bytes: no wrap to a small block");
    expect<bool>(4 * work_block_floats(4, 64, 4, INPUT_IDS, TASK_MANY_TO_MANY, LOSS_SOFTMAX_XENT, 1, 1, 0, 0, 1, 1 << 21, 1) > MAX_BLOCK_BYTES).toBe(true);
    expect<usize>(m.work).toBe(block); expect<usize>(m.workBytes).toBe(cap);
    expect<usize>(m.X).toBe(X); expect<usize>(m.gnorm).toBe(gnorm);
    expect<i32>(m.T).toBe(5); expect<i32>(m.B).toBe(3);
    expect<i32>(memory.size()).toBe(pages);
    model_free(p);
  });
});
