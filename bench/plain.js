// The plain-JavaScript peer: the same Elman training step as rnn-wasm, written the way a
// careful JS programmer would without SIMD or wasm — Float32Array buffers, straightforward
// nested loops, Math.tanh / Math.exp, one sequence row at a time.
//
//   n input size (vocabulary)   d hidden   k outputs   T steps   B sequences
//
//   z_t = U[:, x_t] + W s_{t−1} + b     s_t = tanh(z_t)     o_t = V s_t + c
//   L = (1/B) Σ_i Σ_t −log softmax(o_t^i)[y_t^i]
//
// Parameters are row-major with the library's shapes: U (d×n), W (d×d), b (d), V (k×d), c (k).
// Inputs and targets are B arrays of T ids (full-length sequences). One call of trainStep
// is forward + full BPTT + SGD, i.e. 6d² + 6dk FLOP per token (the same count as ours).

export class PlainRNN {
  /** @param {{ n: number, d: number, k: number }} sizes */
  constructor({ n, d, k }) {
    this.n = n; this.d = d; this.k = k;
    this.U = new Float32Array(d * n); this.W = new Float32Array(d * d); this.b = new Float32Array(d);
    this.V = new Float32Array(k * d); this.c = new Float32Array(k);
    this.dU = new Float32Array(d * n); this.dW = new Float32Array(d * d); this.db = new Float32Array(d);
    this.dV = new Float32Array(k * d); this.dc = new Float32Array(k);
    this.T = 0; this.B = 0;
  }

  /** Copy parameters ({ U, W, b, V, c }, the library's `parameters()` format). */
  setParameters(p) {
    this.U.set(p.U); this.W.set(p.W); this.b.set(p.b); this.V.set(p.V); this.c.set(p.c);
  }

  #reserve(T, B) {
    if (T === this.T && B === this.B) return;
    const { d, k } = this;
    this.T = T; this.B = B;
    this.H = new Float32Array((T + 1) * B * d);   // states, time-major: H[t][i] = s_{t} of sequence i (H[0] = h0 = 0)
    this.dO = new Float32Array(T * B * k);        // ∂L/∂o
    this.dnext = new Float32Array(B * d);         // ∂L/∂s flowing back from step t+1
    this.dh = new Float32Array(d);
    this.dz = new Float32Array(d);
    this.o = new Float64Array(k);
  }

  /** Forward, loss and BPTT; gradients land in dU…dc. Returns L. */
  computeGradients(inputs, targets) {
    const { n, d, k, U, W, b, V, c } = this;
    const B = inputs.length, T = inputs[0].length;
    this.#reserve(T, B);
    const { H, dO, dnext, dh, dz, o } = this;
    const { dU, dW, db, dV, dc } = this;
    dU.fill(0); dW.fill(0); db.fill(0); dV.fill(0); dc.fill(0);
    H.fill(0, 0, B * d);
    const invB = 1 / B;
    let loss = 0;

    // Forward, step by step, sequence by sequence.
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < B; i++) {
        const hp = (t * B + i) * d, hc = ((t + 1) * B + i) * d;
        const x = inputs[i][t];
        for (let j = 0; j < d; j++) {
          let s = b[j] + U[j * n + x];
          const wr = j * d;
          for (let p = 0; p < d; p++) s += W[wr + p] * H[hp + p];
          H[hc + j] = Math.tanh(s);
        }
        // Output layer, softmax and cross-entropy, dO = (softmax − onehot)/B.
        let max = -Infinity;
        for (let m = 0; m < k; m++) {
          let s = c[m];
          const vr = m * d;
          for (let j = 0; j < d; j++) s += V[vr + j] * H[hc + j];
          o[m] = s;
          if (s > max) max = s;
        }
        let sum = 0;
        for (let m = 0; m < k; m++) { o[m] = Math.exp(o[m] - max); sum += o[m]; }
        const y = targets[i][t];
        loss -= Math.log(o[y] / sum);
        const od = (t * B + i) * k;
        for (let m = 0; m < k; m++) dO[od + m] = (o[m] / sum) * invB;
        dO[od + y] -= invB;
      }
    }

    // Backward through time.
    dnext.fill(0);
    for (let t = T - 1; t >= 0; t--) {
      for (let i = 0; i < B; i++) {
        const hp = (t * B + i) * d, hc = ((t + 1) * B + i) * d, od = (t * B + i) * k, nx = i * d;
        // dh = dnext + Vᵀ dO_t ; dV += dO_t s_tᵀ ; dc += dO_t
        for (let j = 0; j < d; j++) dh[j] = dnext[nx + j];
        for (let m = 0; m < k; m++) {
          const g = dO[od + m];
          const vr = m * d;
          dc[m] += g;
          for (let j = 0; j < d; j++) {
            dh[j] += g * V[vr + j];
            dV[vr + j] += g * H[hc + j];
          }
        }
        // dz = dh ⊙ (1 − s²) ; db += dz ; dU[:, x] += dz ; dW += dz s_{t−1}ᵀ ; dnext = Wᵀ dz
        const x = inputs[i][t];
        for (let j = 0; j < d; j++) {
          const s = H[hc + j];
          dz[j] = dh[j] * (1 - s * s);
          db[j] += dz[j];
          dU[j * n + x] += dz[j];
          dnext[nx + j] = 0;
        }
        for (let j = 0; j < d; j++) {
          const g = dz[j];
          const wr = j * d;
          for (let p = 0; p < d; p++) {
            dW[wr + p] += g * H[hp + p];
            dnext[nx + p] += g * W[wr + p];
          }
        }
      }
    }
    return loss * invB;
  }

  /** One SGD step: p −= lr · ∂L/∂p. */
  sgd(lr) {
    const pairs = [[this.U, this.dU], [this.W, this.dW], [this.b, this.db], [this.V, this.dV], [this.c, this.dc]];
    for (const [p, g] of pairs) for (let i = 0; i < p.length; i++) p[i] -= lr * g[i];
  }

  /** Forward + BPTT + SGD; returns the loss before the update. */
  trainStep(inputs, targets, lr) {
    const loss = this.computeGradients(inputs, targets);
    this.sgd(lr);
    return loss;
  }
}
