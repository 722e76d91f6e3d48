/**
 * An independent, scalar, f64 implementation of the Elman RNN of DESIGN.md §1 — the oracle the
 * wrapper suites compare rnn.wasm against. Written from the equations, not from assembly/:
 *
 *     s_0 = h0 (zeros unless given)
 *     z_t = U x_t + W s_{t−1} + b          U: d×n   W: d×d   b: d      (row-major)
 *     s_t = f1(z_t)                        f1 ∈ tanh | sigmoid | relu
 *     o_t = V s_t + c                      V: k×d   c: k
 *     L   = (1/B) Σ_i Σ_{scored t} loss(o_it, y_it)
 *
 * Every sequence is run alone at its own length (no padding at all), so this file also
 * defines what a padded batch must give. Backward is hand-written BPTT; `lossOnly` exists so
 * the gradients can themselves be proven by central finite differences (tests/wrapper/gradients.test.js).
 *
 * `cfg` is { input: "ids" | "dense", inputSize n, hiddenSize d, outputSize k,
 * task: "many-to-many" | "many-to-one", hiddenActivation, loss } (the RNN.create config).
 * A batch is { inputs, targets, h0? } as the public API takes it; dense steps are arrays of
 * n numbers, h0 is B arrays of d numbers.
 */

// ───────────────────────────── activations and losses ─────────────────────────────

/** f1 and its derivative, written with both z and s = f1(z) available (deep_ref.js reuses it). */
export const ACT = {
  tanh: { f: (z) => Math.tanh(z), df: (z, s) => 1 - s * s },
  sigmoid: { f: (z) => 1 / (1 + Math.exp(-z)), df: (z, s) => s * (1 - s) },
  relu: { f: (z) => (z > 0 ? z : 0), df: (z) => (z > 0 ? 1 : 0) },
};

/** log(1 + e^x) without overflow. */
function softplus(x) {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

function sigmoid(x) {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/**
 * Per-step loss of logits o (length k) against target y, and ∂loss/∂o.
 * softmax CE:  −log softmax(o)[y]              = lse(o) − o_y;      ∂/∂o = softmax(o) − onehot(y)
 * sigmoid BCE: −Σ_j [y log σ + (1−y) log(1−σ)] = Σ_j softplus(o_j) − y_j o_j;  ∂/∂o = σ(o) − y
 * mse:         (1/k) Σ_j (o_j − y_j)²;                               ∂/∂o = (2/k)(o − y)
 */
export function stepLoss(kind, o, y) {
  const k = o.length;
  const grad = new Float64Array(k);
  let loss = 0;
  if (kind === "softmax-cross-entropy") {
    let mx = -Infinity;
    for (let j = 0; j < k; j++) mx = Math.max(mx, o[j]);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(o[j] - mx);
    const lse = mx + Math.log(sum);
    loss = lse - o[y];
    for (let j = 0; j < k; j++) grad[j] = Math.exp(o[j] - lse) - (j === y ? 1 : 0);
  } else if (kind === "sigmoid-binary-cross-entropy") {
    for (let j = 0; j < k; j++) {
      loss += softplus(o[j]) - y[j] * o[j];
      grad[j] = sigmoid(o[j]) - y[j];
    }
  } else if (kind === "mse") {
    for (let j = 0; j < k; j++) {
      const e = o[j] - y[j];
      loss += (e * e) / k;
      grad[j] = (2 * e) / k;
    }
  } else {
    throw new Error(`unknown loss ${kind}`);
  }
  return { loss, grad };
}

/** ŷ = f2(o): softmax, sigmoid or identity. */
export function outputActivation(kind, o) {
  const k = o.length;
  const y = new Float64Array(k);
  if (kind === "softmax-cross-entropy") {
    let mx = -Infinity;
    for (let j = 0; j < k; j++) mx = Math.max(mx, o[j]);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += (y[j] = Math.exp(o[j] - mx));
    for (let j = 0; j < k; j++) y[j] /= sum;
  } else if (kind === "sigmoid-binary-cross-entropy") {
    for (let j = 0; j < k; j++) y[j] = sigmoid(o[j]);
  } else {
    y.set(o);
  }
  return y;
}

/**
 * The weight ω of a scored target y of sequence i (issue #14, item 2):
 *   ω = sampleWeight[i] · classWeights[y] · [y ≠ ignoreIndex]
 * with batch.sampleWeight (every loss) and cfg.classWeights, cfg.ignoreIndex (softmax CE
 * only); each factor is 1 when absent. The batch loss is then
 *   L = (1/B) Σ_i Σ_{scored t} ω_it · loss_it,   ∂L/∂o_it = (ω_it / B) · ∂loss_it/∂o_it,
 * and an ignored target (ω = 0) is never looked at (it need not be a class id).
 */
export function lossWeightAt(cfg, batch, i, y) {
  const softmax = cfg.loss === "softmax-cross-entropy";
  if (softmax && cfg.ignoreIndex !== undefined && y === cfg.ignoreIndex) return 0;
  const cw = softmax && cfg.classWeights !== undefined ? cfg.classWeights[y] : 1;
  const sw = batch.sampleWeight !== undefined ? batch.sampleWeight[i] : 1;
  return sw * cw;
}

/** A step's { loss, grad } multiplied by ω (unchanged for ω = 1). */
function weighStep(r, w) {
  if (w === 1) return r;
  return { loss: w * r.loss, grad: r.grad.map((v) => w * v) };
}

// ───────────────────────────── one sequence ─────────────────────────────

function dims(cfg) {
  return { n: cfg.inputSize, d: cfg.hiddenSize, k: cfg.outputSize };
}

/** Steps of a sequence: ids stay numbers; dense steps become arrays of n. */
export function steps(cfg, seq) {
  if (cfg.input === "ids") return Array.from(seq);
  const n = cfg.inputSize;
  if (typeof seq[0] === "number") return Array.from({ length: seq.length / n }, (_, t) => Array.from(seq).slice(t * n, (t + 1) * n));
  return Array.from(seq, (x) => Array.from(x));
}

/** The target of step t of sequence i, or undefined if t is not scored. */
export function targetAt(cfg, tgt, t, len) {
  if (cfg.task === "many-to-one") return t === len - 1 ? tgt : undefined;
  return tgt[t];
}

/**
 * Forward one sequence. Returns z[t], s[t] (s[0] = h0, s[t+1] = state after step t),
 * o[t] for every step (scored or not) and the steps themselves.
 */
export function forwardSequence(cfg, p, seq, h0) {
  const { n, d, k } = dims(cfg);
  const act = ACT[cfg.hiddenActivation];
  if (!act) throw new Error(`unknown activation ${cfg.hiddenActivation}`);
  const xs = steps(cfg, seq);
  const T = xs.length;
  const s = [Float64Array.from(h0 ?? new Float64Array(d))];
  const z = [];
  const o = [];
  for (let t = 0; t < T; t++) {
    const zt = new Float64Array(d);
    const prev = s[t];
    for (let i = 0; i < d; i++) {
      let acc = p.b[i];
      if (cfg.input === "ids") acc += p.U[i * n + xs[t]];
      else for (let j = 0; j < n; j++) acc += p.U[i * n + j] * xs[t][j];
      for (let j = 0; j < d; j++) acc += p.W[i * d + j] * prev[j];
      zt[i] = acc;
    }
    const st = zt.map((v) => act.f(v));
    const ot = new Float64Array(k);
    for (let r = 0; r < k; r++) {
      let acc = p.c[r];
      for (let j = 0; j < d; j++) acc += p.V[r * d + j] * st[j];
      ot[r] = acc;
    }
    z.push(zt);
    s.push(st);
    o.push(ot);
  }
  return { xs, z, s, o, T };
}

// ───────────────────────────── a batch ─────────────────────────────

function zerosLike(cfg) {
  const { n, d, k } = dims(cfg);
  return { U: new Float64Array(d * n), W: new Float64Array(d * d), b: new Float64Array(d), V: new Float64Array(k * d), c: new Float64Array(k) };
}

function h0Of(batch, i, d) {
  if (batch.h0 === undefined) return undefined;
  const h = batch.h0;
  if (typeof h[0] === "number") return Array.from(h).slice(i * d, (i + 1) * d);
  return Array.from(h[i]);
}

/**
 * Loss, gradients and final states of a batch, in f64.
 * Returns { loss, grads: { U, W, b, V, c, h0? (B·d, flat) }, finalState (B·d, flat),
 * perSequence: [{ loss }] (each sequence's Σ_{scored t} loss, not divided by B),
 * stateGradNorms: [‖∂L/∂s_t‖₂ over the sequences whose length exceeds t, t = 0..T−1] }.
 */
export function lossAndGradients(cfg, params, batch) {
  const { n, d, k } = dims(cfg);
  const act = ACT[cfg.hiddenActivation];
  const B = batch.inputs.length;
  const g = zerosLike(cfg);
  const dh0 = batch.h0 !== undefined ? new Float64Array(B * d) : undefined;
  const finalState = new Float64Array(B * d);
  const perSequence = [];
  const stateGradSq = [];
  let loss = 0;
  for (let i = 0; i < B; i++) {
    const fw = forwardSequence(cfg, params, batch.inputs[i], h0Of(batch, i, d));
    const { xs, z, s, o, T } = fw;
    finalState.set(s[T], i * d);
    let seqLoss = 0;
    // do_t for every scored step, already scaled by 1/B (the batch mean).
    const dO = new Array(T).fill(undefined);
    for (let t = 0; t < T; t++) {
      const y = targetAt(cfg, batch.targets[i], t, T);
      if (y === undefined) continue;
      const w = lossWeightAt(cfg, batch, i, y);
      if (w === 0) continue;                      // ignored (or weight 0): no loss, no gradient
      const r = weighStep(stepLoss(cfg.loss, o[t], y), w);
      seqLoss += r.loss;
      dO[t] = r.grad.map((v) => v / B);
    }
    loss += seqLoss / B;
    perSequence.push({ loss: seqLoss });

    // BPTT: dh = ∂L/∂s_t, flowing from o_t (if scored) and from z_{t+1} through W.
    let dnext = new Float64Array(d);
    for (let t = T - 1; t >= 0; t--) {
      const dh = Float64Array.from(dnext);
      if (dO[t] !== undefined) {
        for (let r = 0; r < k; r++) {
          const gr = dO[t][r];
          g.c[r] += gr;
          for (let j = 0; j < d; j++) {
            g.V[r * d + j] += gr * s[t + 1][j];
            dh[j] += params.V[r * d + j] * gr;
          }
        }
      }
      stateGradSq[t] = (stateGradSq[t] ?? 0) + dh.reduce((acc, v) => acc + v * v, 0);
      const dz = new Float64Array(d);
      for (let j = 0; j < d; j++) dz[j] = dh[j] * act.df(z[t][j], s[t + 1][j]);
      for (let a = 0; a < d; a++) {
        g.b[a] += dz[a];
        for (let j = 0; j < d; j++) g.W[a * d + j] += dz[a] * s[t][j];
        if (cfg.input === "ids") g.U[a * n + xs[t]] += dz[a];
        else for (let j = 0; j < n; j++) g.U[a * n + j] += dz[a] * xs[t][j];
      }
      dnext = new Float64Array(d);
      for (let j = 0; j < d; j++) {
        let acc = 0;
        for (let a = 0; a < d; a++) acc += params.W[a * d + j] * dz[a];
        dnext[j] = acc;
      }
    }
    if (dh0) dh0.set(dnext, i * d);
  }
  const grads = { ...g };
  if (dh0) grads.h0 = dh0;
  return { loss, grads, finalState, perSequence, stateGradNorms: Array.from(stateGradSq, Math.sqrt) };
}

/** The batch loss alone (forward only), for finite differences. */
export function lossOnly(cfg, params, batch) {
  const d = cfg.hiddenSize;
  const B = batch.inputs.length;
  let loss = 0;
  for (let i = 0; i < B; i++) {
    const { o, T } = forwardSequence(cfg, params, batch.inputs[i], h0Of(batch, i, d));
    for (let t = 0; t < T; t++) {
      const y = targetAt(cfg, batch.targets[i], t, T);
      const w = y === undefined ? 0 : lossWeightAt(cfg, batch, i, y);
      if (w !== 0) loss += weighStep(stepLoss(cfg.loss, o[t], y), w).loss / B;
    }
  }
  return loss;
}

/** predict/forward in f64: per sequence, ŷ for each scored step, and the final states (B·d). */
export function predict(cfg, params, inputs, h0) {
  const d = cfg.hiddenSize;
  const finalState = new Float64Array(inputs.length * d);
  const outputs = Array.from(inputs, (seq, i) => {
    const { o, s, T } = forwardSequence(cfg, params, seq, h0Of({ h0 }, i, d));
    finalState.set(s[T], i * d);
    const scored = cfg.task === "many-to-one" ? [T - 1] : Array.from({ length: T }, (_, t) => t);
    return scored.map((t) => outputActivation(cfg.loss, o[t]));
  });
  return { outputs, finalState };
}

// ───────────────────────────── test utilities ─────────────────────────────

/** mulberry32: a small seeded generator, uniform in [0, 1). */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Central differences (f(x + εe_i) − f(x − εe_i)) / 2ε of `at` over every entry of `flat`. */
export function centralDifferences(flat, at, eps) {
  return Array.from(flat, (v, i) => {
    const plus = Array.from(flat);
    const minus = Array.from(flat);
    plus[i] = v + eps;
    minus[i] = v - eps;
    return (at(plus) - at(minus)) / (2 * eps);
  });
}

/** One layer's U, W, b, V, c drawn by `u(scale)` (uniform in ±scale), in that order, at the scales the gradient suites use. */
export function randomParameters(u, { n, d, k }) {
  return {
    U: Array.from({ length: d * n }, () => u(0.7)),
    W: Array.from({ length: d * d }, () => u(0.6)),
    b: Array.from({ length: d }, () => u(0.3)),
    V: Array.from({ length: k * d }, () => u(0.7)),
    c: Array.from({ length: k }, () => u(0.3)),
  };
}

/**
 * Random inputs and targets of a batch, drawn from `rand` in a fixed order (all inputs, then
 * all targets): ids in 0..n−1 or features in (−1, 1); targets in the loss's form.
 */
export function randomInputsTargets(rand, { loss, task, input, n, k, lengths }) {
  const u = (a) => (2 * rand() - 1) * a;
  const inputs = lengths.map((len) =>
    Array.from({ length: len }, () => (input === "ids" ? Math.floor(rand() * n) : Array.from({ length: n }, () => u(1)))));
  const target = () => {
    if (loss === "softmax-cross-entropy") return Math.floor(rand() * k);
    if (loss === "sigmoid-binary-cross-entropy") return Array.from({ length: k }, () => (rand() < 0.5 ? 0 : 1));
    return Array.from({ length: k }, () => u(1));
  };
  const targets = lengths.map((len) => (task === "many-to-one" ? target() : Array.from({ length: len }, target)));
  return { inputs, targets };
}

/**
 * Compare a tensor with its expected values, element-wise |got − want| ≤ atol + rtol·|want|
 * (llm.c's check_tensor). Returns { ok, maxDiff, message }; the message shows the first few
 * values side by side, the worst entry and the max difference.
 */
export function checkTensor(label, got, want, { atol, rtol }) {
  const lines = [];
  if (got.length !== want.length) {
    return { ok: false, maxDiff: Infinity, message: `${label}: length ${got.length}, expected ${want.length}` };
  }
  let ok = true;
  let maxDiff = 0;
  let worst = -1;
  let firstBad = -1;
  for (let i = 0; i < want.length; i++) {
    const diff = Math.abs(got[i] - want[i]);
    const bad = !(diff <= atol + rtol * Math.abs(want[i]));
    if (bad && firstBad < 0) firstBad = i;
    if (bad) ok = false;
    if (!(diff <= maxDiff)) {
      maxDiff = diff;
      worst = i;
    }
  }
  if (!ok) {
    lines.push(`${label}: mismatch (|got − want| ≤ ${atol} + ${rtol}·|want| fails), max diff ${maxDiff.toExponential(3)} at [${worst}]`);
    for (let i = 0; i < Math.min(5, want.length); i++) lines.push(`  [${i}] got ${fmt(got[i])}  want ${fmt(want[i])}`);
    lines.push(`  first bad [${firstBad}] got ${fmt(got[firstBad])}  want ${fmt(want[firstBad])}`);
    lines.push(`  worst     [${worst}] got ${fmt(got[worst])}  want ${fmt(want[worst])}`);
  }
  return { ok, maxDiff, message: lines.join("\n") };
}

function fmt(v) {
  return Number(v).toPrecision(9);
}
