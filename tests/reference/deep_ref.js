/**
 * An independent, scalar, f64 implementation of the deep / bidirectional Elman network of issue
 * #12 and DESIGN.md §6 — the oracle the layer/direction kernels will be proven against. Written
 * from the equations (not from assembly/); the activations, per-step losses, targets and test
 * utilities are rnn_ref.js's, imported, not copied. Notation (DESIGN §1, §6; D = 2 when
 * bidirectional, else 1; every matrix row-major):
 *
 *     layer 0 input   x_t^0 = E[id_t] (embedding, E: n×e, row per id, nn.Embedding) | dense x_t
 *                     | id_t itself (no embedding: U x_t is column id_t of U, as in rnn_ref.js)
 *     forward         s→_t = f1(U_ℓ  x_t^ℓ + W_ℓ  s→_{t−1} + b_ℓ)     t = 0 .. len_i − 1,   s→_{−1}    = h0[ℓ, fwd]
 *     reverse         s←_t = f1(U'_ℓ x_t^ℓ + W'_ℓ s←_{t+1} + b'_ℓ)    t = len_i − 1 .. 0,   s←_{len_i} = h0[ℓ, rev]
 *     between layers  x_t^{ℓ+1} = [s→_t ; s←_t] ⊙ mask_ℓ,t / (1 − p)   (no mask given: no dropout)
 *     head            o_t = V [s→_t ; s←_t] + c   (top layer, every real t: many-to-many)
 *                     o   = V [s→_{len_i−1} ; s←_0] + c               (many-to-one: PyTorch h_n of the top layer)
 *     loss            L = (1/B) Σ_i Σ_{scored t} loss(o_it, y_it)    (softmax CE | sigmoid BCE | MSE, rnn_ref.js)
 *
 * Shapes: U_0 is d×m with m = e (embedding), n (ids or dense); U_ℓ (ℓ > 0) is d×(D·d); W d×d;
 * b d; V k×(D·d); c k. The reverse direction runs over each sequence's TRUE length: there is
 * no padding here at all (every sequence is run alone at its own length), so this file also
 * defines what a padded batch must give. `batch.lengths`, if given, cuts each input to its
 * length (what follows is padding and is never read).
 *
 * States, h0 and finalState are "slots" in PyTorch's h_n order: slot = ℓ·D + r (layer-major,
 * forward r = 0 before reverse r = 1). h0 is either nested h0[slot][i] = d numbers or flat
 * (L·D)·B·d in the same order (= torch's h_n.flatten()); finalState and grads.h0 are flat in
 * that order. For L = 1 unidirectional that is exactly rnn_ref.js's flat B·d.
 *
 * Dropout: the reference takes the masks, so whatever generator the kernels use, their masks
 * can be replayed here: opts.dropout = { p, masks }, masks[ℓ][i][t] = D·d keep values (0 or 1)
 * for the boundary after layer ℓ (ℓ = 0 .. L−2), t < len_i (entries past len_i are ignored).
 * The layer output stays undropped in finalState / h_n (as in PyTorch).
 *
 * Issue #14 (items 1, 6, 7), written from these equations:
 *
 *   feature bags    with ids input a step may be an array of ids (x_t multi-hot, a duplicate
 *                   counts twice): U x_t = Σ_{id ∈ bag_t} column id of U (no embedding), or
 *                   x_t^0 = Σ_{id ∈ bag_t} E[id] (embedding), summed in the bag's order; the
 *                   gradients scatter-add back into every id of the bag. An empty bag throws.
 *                   A single id and a bag of one give the same; bags and ids mix freely.
 *   pooling         cfg.pooling = "last" (default: the head reads [s→_{len−1} ; s←_0]) | "mean"
 *                   | "max", many-to-one only: with y_t = [s→_t ; s←_t] the top layer's output,
 *                   the head reads  mean: (Σ_{t<len} y_t) / len  (step order), or
 *                   max: per feature j, max_{t<len} y_t[j] (the FIRST step of a tie); the
 *                   backward sends ∂L/∂ȳ / len to every real step (mean), or ∂L/∂ȳ[j] to that
 *                   feature's argmax step alone (max).
 *   input dropout   opts.inputDropout = { p, masks }, masks[i][t] = m_0 keep values (0 or 1):
 *                   layer 0 reads x̃_t^0 = x_t^0 ⊙ mask_t / (1 − p), x_t^0 the embedding row
 *                   (after the bag sum) or the dense features (ids without embedding: refused).
 *   output dropout  opts.outputDropout = { p, masks }: the head reads h̃ = h ⊙ mask / (1 − p),
 *                   h its input (y_t per step many-to-many: masks[i][t] = D·d keep values;
 *                   many-to-one: the last state or the pooled vector, masks[i] = D·d values).
 *   Both are inverted dropout as between layers; finalState (h_n) stays undropped, and so does
 *   every state. `scale` may be given next to p to use another keep scale than 1/(1 − p).
 *
 * Parameters, by name (parameterTable(cfg) is this table as code):
 *
 *     JS name           shape           PyTorch state_dict key (nn.Embedding `embedding`, nn.RNN `rnn`, nn.Linear `fc`)
 *     E                 n × e           embedding.weight                  (only with embeddingSize)
 *     U                 d × m_0         rnn.weight_ih_l0
 *     W                 d × d           rnn.weight_hh_l0
 *     b                 d               rnn.bias_ih_l0   (+ rnn.bias_hh_l0 = zeros on export; import: their sum)
 *     U_reverse         d × m_0         rnn.weight_ih_l0_reverse
 *     W_reverse         d × d           rnn.weight_hh_l0_reverse
 *     b_reverse         d               rnn.bias_ih_l0_reverse (+ rnn.bias_hh_l0_reverse = zeros)
 *     U_l1, W_l1, b_l1  d × D·d, d×d, d rnn.weight_ih_l1, rnn.weight_hh_l1, rnn.bias_ih_l1 (+ bias_hh_l1)
 *     U_l1_reverse …    …               rnn.weight_ih_l1_reverse …       (and so on for ℓ = 2 ..)
 *     V                 k × D·d         fc.weight
 *     c                 k               fc.bias
 *
 * i.e. base + (ℓ > 0 ? "_l" + ℓ : "") + (reverse ? "_reverse" : ""): layer 0 forward keeps
 * today's U, W, b, so a one-layer unidirectional model keeps today's names. Order (state_dict
 * order): E, then per layer forward then reverse U, W, b, then V, c.
 *
 * API (cfg is the RNN.create config plus layers (default 1), bidirectional (default false),
 * embeddingSize (ids only; default none), pooling (default "last"); params are arrays by JS
 * name; opts = { dropout, inputDropout, outputDropout }, each { p, masks, scale? }):
 *   parameterTable(cfg)                      [{ name, shape, torch, torchZero? }] in state_dict order
 *   tensorName(base, layer, reverse)         "U" | "W" | "b" with its suffixes
 *   forwardSequence(cfg, params, seq, h0s?, masks?, p?, io?)   one sequence, every layer and
 *                                            direction; io = { input, output } dropout of this
 *                                            sequence: { scale, mask } (mask[t] or, m2o output, mask)
 *   lossAndGradients(cfg, params, batch, opts?)  { loss, grads (every JS name, and h0 if given),
 *                                            finalState, logits, perSequence }
 *   lossOnly(cfg, params, batch, opts?)      the loss alone (forward only), for finite differences
 *   predict(cfg, params, inputs, h0?)        { outputs (ŷ per scored step), finalState }
 *   adamStep(params, grads, state, hyper?)   one torch.optim.Adam step (PyTorch's defaults), in place
 *   fromTorch(cfg, stateDict), toTorch(cfg, params)   state_dict ↔ JS names (bias_ih + bias_hh = b)
 */
import { ACT, stepLoss, outputActivation, steps, targetAt } from "./rnn_ref.js";

// ───────────────────────────── shapes and names ─────────────────────────────

export function tensorName(base, layer, reverse) {
  return base + (layer > 0 ? `_l${layer}` : "") + (reverse ? "_reverse" : "");
}

function shape(cfg) {
  const L = cfg.layers ?? 1;
  const D = cfg.bidirectional ? 2 : 1;
  const e = cfg.embeddingSize;
  if (e !== undefined && cfg.input !== "ids") throw new Error("embeddingSize needs ids input");
  const n = cfg.inputSize;
  const d = cfg.hiddenSize;
  const k = cfg.outputSize;
  const m0 = e ?? n;
  const pooling = cfg.pooling ?? "last";
  if (!["last", "mean", "max"].includes(pooling)) throw new Error(`unknown pooling ${pooling}`);
  if (pooling !== "last" && cfg.task !== "many-to-one") throw new Error("pooling needs many-to-one");
  return { L, D, n, e, d, k, m0, pooling, m: (l) => (l === 0 ? m0 : D * d) };
}

/** The names table of the header as code: [{ name, shape, torch, torchZero? }], state_dict order. */
export function parameterTable(cfg) {
  const { L, D, n, e, d, k, m } = shape(cfg);
  const rows = [];
  if (e !== undefined) rows.push({ name: "E", shape: [n, e], torch: "embedding.weight" });
  for (let l = 0; l < L; l++) {
    for (let r = 0; r < D; r++) {
      const sfx = `_l${l}${r ? "_reverse" : ""}`;
      rows.push({ name: tensorName("U", l, r), shape: [d, m(l)], torch: `rnn.weight_ih${sfx}` });
      rows.push({ name: tensorName("W", l, r), shape: [d, d], torch: `rnn.weight_hh${sfx}` });
      rows.push({ name: tensorName("b", l, r), shape: [d], torch: `rnn.bias_ih${sfx}`, torchZero: `rnn.bias_hh${sfx}` });
    }
  }
  rows.push({ name: "V", shape: [k, D * d], torch: "fc.weight" });
  rows.push({ name: "c", shape: [k], torch: "fc.bias" });
  return rows;
}

const size = (s) => s.reduce((a, b) => a * b, 1);

/** A state_dict ({ key: flat array }) → params by JS name; b = bias_ih + bias_hh (bias_hh optional). */
export function fromTorch(cfg, dict) {
  const params = {};
  for (const row of parameterTable(cfg)) {
    const v = Float64Array.from(dict[row.torch]);
    if (v.length !== size(row.shape)) throw new Error(`${row.torch}: ${v.length} values, expected ${row.shape.join("×")}`);
    if (row.torchZero && dict[row.torchZero]) for (let i = 0; i < v.length; i++) v[i] += dict[row.torchZero][i];
    params[row.name] = v;
  }
  return params;
}

/** params by JS name → a state_dict (flat arrays), bias_hh as zeros. */
export function toTorch(cfg, params) {
  const dict = {};
  for (const row of parameterTable(cfg)) {
    dict[row.torch] = Float64Array.from(params[row.name]);
    if (row.torchZero) dict[row.torchZero] = new Float64Array(size(row.shape));
  }
  return dict;
}

// ───────────────────────────── one direction of one layer (the cell) ─────────────────────────────

/**
 * One Elman direction over one sequence. xs[t] is an input vector of m numbers, an id (then
 * U x_t is column id of U), or a bag { bag: [ids] } (U x_t = Σ over the bag of column id of U,
 * a duplicate twice). Steps run t = 0..T−1 (forward) or T−1..0 (reverse). Returns, indexed
 * by real time t: z[t], s[t], prev[t] (the state step t read), and last (the final state).
 */
function cellForward(act, U, W, b, m, d, xs, h0, reverse) {
  const T = xs.length;
  const z = new Array(T);
  const s = new Array(T);
  const prev = new Array(T);
  let h = h0 ? Float64Array.from(h0) : new Float64Array(d);
  for (let q = 0; q < T; q++) {
    const t = reverse ? T - 1 - q : q;
    const x = xs[t];
    const zt = new Float64Array(d);
    for (let a = 0; a < d; a++) {
      let acc = b[a];
      if (typeof x === "number") acc += U[a * m + x];
      else if (x.bag) for (const id of x.bag) acc += U[a * m + id];
      else for (let j = 0; j < m; j++) acc += U[a * m + j] * x[j];
      for (let j = 0; j < d; j++) acc += W[a * d + j] * h[j];
      zt[a] = acc;
    }
    prev[t] = h;
    z[t] = zt;
    s[t] = zt.map((v) => act.f(v));
    h = s[t];
  }
  return { z, s, prev, last: h };
}

/**
 * Backward of cellForward. dS[t] = ∂L/∂s_t from above (the head or the next layer). Adds into
 * g.U, g.W, g.b; returns dx[t] = ∂L/∂x_t (null for ids) and dh0 = ∂L/∂h0. The recurrence is
 * walked in the opposite order of the forward: t = T−1..0 for forward, 0..T−1 for reverse.
 */
function cellBackward(act, U, W, m, d, xs, run, dS, g, reverse) {
  const T = xs.length;
  const dx = new Array(T);
  let dnext = new Float64Array(d); // ∂L/∂s_t through the step that reads s_t next
  for (let q = T - 1; q >= 0; q--) {
    const t = reverse ? T - 1 - q : q;
    const x = xs[t];
    const dz = new Float64Array(d);
    for (let a = 0; a < d; a++) dz[a] = (dnext[a] + dS[t][a]) * act.df(run.z[t][a], run.s[t][a]);
    const dxt = typeof x === "number" || x.bag ? null : new Float64Array(m);
    for (let a = 0; a < d; a++) {
      g.b[a] += dz[a];
      for (let j = 0; j < d; j++) g.W[a * d + j] += dz[a] * run.prev[t][j];
      if (typeof x === "number") g.U[a * m + x] += dz[a];
      else if (x.bag) for (const id of x.bag) g.U[a * m + id] += dz[a];
      else
        for (let j = 0; j < m; j++) {
          g.U[a * m + j] += dz[a] * x[j];
          dxt[j] += U[a * m + j] * dz[a];
        }
    }
    dx[t] = dxt;
    dnext = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      let acc = 0;
      for (let a = 0; a < d; a++) acc += W[a * d + j] * dz[a];
      dnext[j] = acc;
    }
  }
  return { dx, dh0: dnext };
}

// ───────────────────────────── one sequence, all layers ─────────────────────────────

function activation(cfg) {
  const act = ACT[cfg.hiddenActivation];
  if (!act) throw new Error(`unknown activation ${cfg.hiddenActivation}`);
  return act;
}

/** A step's ids as a list (a single id is a bag of one); an empty bag or a bad id throws. */
function bagOf(x, n) {
  const ids = typeof x === "number" ? [x] : Array.from(x);
  if (ids.length === 0) throw new Error("an empty feature bag");
  for (const id of ids) if (!Number.isInteger(id) || id < 0 || id >= n) throw new Error(`id ${id} out of 0..${n - 1}`);
  return ids;
}

/** v ⊙ mask · scale (a fresh array). */
const dropped = (v, mask, scale) => Float64Array.from(v, (x, j) => x * mask[j] * scale);

/** { scale, mask } of one kind of dropout (opts.inputDropout / outputDropout) for sequence i, or undefined. */
function ioOf(dr, i) {
  if (!dr?.masks) return undefined;
  return { scale: dr.scale ?? 1 / (1 - dr.p), mask: dr.masks[i] };
}

/**
 * Forward one sequence through every layer and direction. h0s[slot] (d numbers) or undefined;
 * masks[ℓ][t] (D·d keep values) or undefined, with p; io = { input, output } (each { scale,
 * mask } or undefined: input mask[t] = m_0 values; output mask[t] many-to-many, mask (D·d)
 * many-to-one). Returns { ids (the bags, lists of ids, for ids input), x0 (layer 0's input
 * before input dropout), layers: [{ xs, runs, out }], heads: [{ t, y, h, o, arg? }] (the
 * scored reads: every t, or one at len − 1 for many-to-one; y what was read (last state,
 * pooled vector, or y_t), h = y after output dropout (what V sees), arg the max's step per
 * feature), final (slot → state), T }.
 */
export function forwardSequence(cfg, params, seq, h0s, masks, p = 0, io = {}) {
  const { L, D, n, e, d, k, m, pooling } = shape(cfg);
  const act = activation(cfg);
  const raw = steps(cfg, seq);
  const T = raw.length;
  const ids = cfg.input === "ids" ? raw.map((x) => bagOf(x, n)) : undefined;
  // Layer 0's input: E[id] summed over the bag (embedding), the id or { bag } (no embedding), or dense.
  let x0;
  if (e !== undefined) {
    x0 = ids.map((bag) => {
      const v = new Float64Array(e);
      for (const id of bag) for (let j = 0; j < e; j++) v[j] += params.E[id * e + j];   // E[id]: row id
      return v;
    });
  } else if (ids) {
    x0 = raw.map((x, t) => (typeof x === "number" ? x : { bag: ids[t] }));
  } else {
    x0 = raw;
  }
  if (io.input) {
    if (ids && e === undefined) throw new Error("input dropout needs an embedding or dense input");
    x0 = x0.map((v, t) => dropped(v, io.input.mask[t], io.input.scale));
  }
  let xs = x0;
  const layers = [];
  const final = [];
  for (let l = 0; l < L; l++) {
    const runs = [];
    for (let r = 0; r < D; r++) {
      const P = (base) => params[tensorName(base, l, r)];
      runs.push(cellForward(act, P("U"), P("W"), P("b"), m(l), d, xs, h0s?.[l * D + r], r === 1));
      final.push(runs[r].last);
    }
    const out = Array.from({ length: T }, (_, t) => {
      const v = new Float64Array(D * d);
      for (let r = 0; r < D; r++) v.set(runs[r].s[t], r * d);
      return v;
    });
    layers.push({ xs, runs, out });
    if (l < L - 1) xs = masks?.[l] ? out.map((v, t) => v.map((x, j) => (x * masks[l][t][j]) / (1 - p))) : out;
  }
  const top = layers[L - 1];
  let reads;
  if (cfg.task === "many-to-one") {
    const y = new Float64Array(D * d);
    let arg;
    if (pooling === "last") {
      y.set(top.runs[0].s[T - 1], 0);
      if (D === 2) y.set(top.runs[1].s[0], d);
    } else if (pooling === "mean") {
      for (let t = 0; t < T; t++) for (let j = 0; j < D * d; j++) y[j] += top.out[t][j];
      for (let j = 0; j < D * d; j++) y[j] /= T;
    } else {
      arg = new Int32Array(D * d);
      y.set(top.out[0]);
      for (let t = 1; t < T; t++)
        for (let j = 0; j < D * d; j++)
          if (top.out[t][j] > y[j]) {
            y[j] = top.out[t][j];
            arg[j] = t;
          }
    }
    reads = [{ t: T - 1, y, arg, mask: io.output?.mask }];
  } else {
    reads = top.out.map((y, t) => ({ t, y, mask: io.output?.mask[t] }));
  }
  const heads = reads.map(({ t, y, arg, mask }) => {
    const h = mask ? dropped(y, mask, io.output.scale) : y;
    const o = new Float64Array(k);
    for (let r = 0; r < k; r++) {
      let acc = params.c[r];
      for (let j = 0; j < D * d; j++) acc += params.V[r * D * d + j] * h[j];
      o[r] = acc;
    }
    return { t, y, h, o, arg, mask };
  });
  return { ids, x0, layers, heads, final, T };
}

// ───────────────────────────── a batch ─────────────────────────────

function slotsOf(cfg, h0, i, B) {
  if (h0 === undefined) return undefined;
  const { L, D, d } = shape(cfg);
  return Array.from({ length: L * D }, (_, slot) => {
    if (typeof h0[0] === "number" || ArrayBuffer.isView(h0)) return Array.from(h0).slice((slot * B + i) * d, (slot * B + i + 1) * d);
    return Array.from(h0[slot][i]);
  });
}

/** The inputs cut to batch.lengths, if given (a flat dense sequence holds n numbers a step). */
function sequencesOf(cfg, batch) {
  if (!batch.lengths) return batch.inputs;
  return batch.inputs.map((seq, i) => {
    const per = cfg.input === "dense" && typeof seq[0] === "number" ? cfg.inputSize : 1;
    return Array.from(seq).slice(0, batch.lengths[i] * per);
  });
}

function masksOf(opts, i) {
  const dr = opts?.dropout;
  if (!dr?.masks) return [undefined, 0];
  return [dr.masks.map((perSeq) => perSeq[i]), dr.p];
}

/** The input and output dropout of sequence i (issue #14), as forwardSequence's io. */
const ioMasksOf = (opts, i) => ({ input: ioOf(opts?.inputDropout, i), output: ioOf(opts?.outputDropout, i) });

function zeros(cfg) {
  return Object.fromEntries(parameterTable(cfg).map((row) => [row.name, new Float64Array(size(row.shape))]));
}

/**
 * Loss, gradients and final states of a batch, in f64 (the batch mean of rnn_ref.js).
 * Returns { loss, grads: { every JS name, h0 ((L·D)·B·d, flat, h_n order) if batch.h0 },
 * finalState ((L·D)·B·d, h_n order), logits: [per sequence [o per scored step]],
 * perSequence: [{ loss }] (each sequence's Σ_{scored t} loss, not divided by B) }.
 * Dense inputs that are padded must come with batch.lengths (see the header).
 * opts: { dropout, inputDropout, outputDropout } (the masks, see the header).
 */
export function lossAndGradients(cfg, params, batch, opts = {}) {
  const { L, D, e, d, k, m, pooling } = shape(cfg);
  const act = activation(cfg);
  const seqs = sequencesOf(cfg, batch);
  const B = seqs.length;
  const g = zeros(cfg);
  const dh0 = batch.h0 !== undefined ? new Float64Array(L * D * B * d) : undefined;
  const finalState = new Float64Array(L * D * B * d);
  const logits = [];
  const perSequence = [];
  let loss = 0;
  for (let i = 0; i < B; i++) {
    const [masks, p] = masksOf(opts, i);
    const io = ioMasksOf(opts, i);
    const fw = forwardSequence(cfg, params, seqs[i], slotsOf(cfg, batch.h0, i, B), masks, p, io);
    const { T, layers, heads } = fw;
    fw.final.forEach((h, slot) => finalState.set(h, (slot * B + i) * d));
    logits.push(heads.map((hd) => hd.o));

    // The head: ∂L/∂o (already / B), into V, c and ∂L/∂(top layer output) per real step.
    let dOut = Array.from({ length: T }, () => new Float64Array(D * d));
    let seqLoss = 0;
    for (const { t, h, o, arg, mask } of heads) {
      const y = targetAt(cfg, batch.targets[i], t, T);
      if (y === undefined) continue;
      const r = stepLoss(cfg.loss, o, y);
      seqLoss += r.loss;
      let dh = new Float64Array(D * d);
      for (let a = 0; a < k; a++) {
        const ga = r.grad[a] / B;
        g.c[a] += ga;
        for (let j = 0; j < D * d; j++) {
          g.V[a * D * d + j] += ga * h[j];
          dh[j] += params.V[a * D * d + j] * ga;
        }
      }
      if (mask) dh = dropped(dh, mask, io.output.scale);   // ∂L/∂y = ∂L/∂h ⊙ mask · scale
      if (cfg.task === "many-to-one" && pooling === "mean") {
        for (let s = 0; s < T; s++) for (let j = 0; j < D * d; j++) dOut[s][j] += dh[j] / T;
      } else if (cfg.task === "many-to-one" && pooling === "max") {
        for (let j = 0; j < D * d; j++) dOut[arg[j]][j] += dh[j];
      } else if (cfg.task === "many-to-one") {
        // [s→ at len − 1 ; s← at 0]: each half goes back to the step it was read at.
        for (let j = 0; j < d; j++) dOut[T - 1][j] += dh[j];
        for (let j = d; j < D * d; j++) dOut[0][j] += dh[j];
      } else {
        for (let j = 0; j < D * d; j++) dOut[t][j] += dh[j];
      }
    }
    loss += seqLoss / B;
    perSequence.push({ loss: seqLoss });

    // Layers, top down: each direction's BPTT; their input gradients sum into the layer below.
    for (let l = L - 1; l >= 0; l--) {
      const { xs, runs } = layers[l];
      const dx = Array.from({ length: T }, () => new Float64Array(m(l)));
      for (let r = 0; r < D; r++) {
        const name = (base) => tensorName(base, l, r);
        const dS = dOut.map((v) => v.subarray(r * d, (r + 1) * d));
        const gr = { U: g[name("U")], W: g[name("W")], b: g[name("b")] };
        const res = cellBackward(act, params[name("U")], params[name("W")], m(l), d, xs, runs[r], dS, gr, r === 1);
        if (dh0) dh0.set(res.dh0, ((l * D + r) * B + i) * d);
        res.dx.forEach((v, t) => v && v.forEach((x, j) => (dx[t][j] += x)));
      }
      if (l > 0) dOut = masks?.[l - 1] ? dx.map((v, t) => v.map((x, j) => (x * masks[l - 1][t][j]) / (1 - p))) : dx;
      else if (e !== undefined) {
        // ∂L/∂x̃ through the input dropout, then into E's row of every id of the bag (a duplicate twice).
        const dx0 = io.input ? dx.map((v, t) => dropped(v, io.input.mask[t], io.input.scale)) : dx;
        fw.ids.forEach((bag, t) => {
          for (const id of bag) dx0[t].forEach((x, j) => (g.E[id * e + j] += x));
        });
      }
    }
  }
  const grads = { ...g };
  if (dh0) grads.h0 = dh0;
  return { loss, grads, finalState, logits, perSequence };
}

/** The batch loss alone (forward only), for finite differences. */
export function lossOnly(cfg, params, batch, opts = {}) {
  const seqs = sequencesOf(cfg, batch);
  const B = seqs.length;
  let loss = 0;
  for (let i = 0; i < B; i++) {
    const [masks, p] = masksOf(opts, i);
    const { heads, T } = forwardSequence(cfg, params, seqs[i], slotsOf(cfg, batch.h0, i, B), masks, p, ioMasksOf(opts, i));
    for (const { t, o } of heads) {
      const y = targetAt(cfg, batch.targets[i], t, T);
      if (y !== undefined) loss += stepLoss(cfg.loss, o, y).loss / B;
    }
  }
  return loss;
}


/** predict/forward in f64 (no dropout): ŷ per scored step of each sequence, finalState in h_n order. */
export function predict(cfg, params, inputs, h0) {
  const { L, D, d } = shape(cfg);
  const B = inputs.length;
  const finalState = new Float64Array(L * D * B * d);
  const outputs = Array.from(inputs, (seq, i) => {
    const { heads, final } = forwardSequence(cfg, params, seq, slotsOf(cfg, h0, i, B));
    final.forEach((h, slot) => finalState.set(h, (slot * B + i) * d));
    return heads.map((hd) => outputActivation(cfg.loss, hd.o));
  });
  return { outputs, finalState };
}

// ───────────────────────────── the optimizer ─────────────────────────────

/**
 * One torch.optim.Adam step over every tensor of `grads` that is in `params`, in place:
 *   m ← β1 m + (1 − β1) g;  v ← β2 v + (1 − β2) g²;  t ← t + 1
 *   p ← p − lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + eps)
 * PyTorch's defaults lr 1e-3, β1 0.9, β2 0.999, eps 1e-8. `state` starts as {} and holds the
 * moments and the step count.
 */
export function adamStep(params, grads, state, { lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8 } = {}) {
  state.t = (state.t ?? 0) + 1;
  state.m ??= {};
  state.v ??= {};
  const bc1 = 1 - beta1 ** state.t;
  const bc2 = 1 - beta2 ** state.t;
  for (const name of Object.keys(params)) {
    const gr = grads[name];
    if (!gr) continue;
    const p = params[name];
    const mm = (state.m[name] ??= new Float64Array(p.length));
    const vv = (state.v[name] ??= new Float64Array(p.length));
    for (let i = 0; i < p.length; i++) {
      mm[i] = beta1 * mm[i] + (1 - beta1) * gr[i];
      vv[i] = beta2 * vv[i] + (1 - beta2) * gr[i] * gr[i];
      p[i] -= ((lr / bc1) * mm[i]) / (Math.sqrt(vv[i]) / Math.sqrt(bc2) + eps);
    }
  }
}
