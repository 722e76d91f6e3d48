// The PyTorch peer: bench/torch_peer.py run as a long-lived child process (one with 1 thread,
// one with all threads), driven over stdin/stdout with one JSON object per line, so that
// bench/run.js can time rnn-wasm and PyTorch round by round in the same run.
//
// Which Python: $BENCH_PYTHON if set (only that one; BENCH_PYTHON=/nonexistent turns the peer
// off), else every `python3` on PATH in order (the first one that imports torch wins; e.g. a
// pyenv shim first and the system Python later). Absent torch, the peer is "not installed"
// and the bench goes on without it.
//
// Which BLAS: the script finds out at run time (dladdr on the sgemm_ torch binds to; see
// blas_info in torch_peer.py). If that is the reference BLAS and an OpenBLAS build of
// libblas.so.3 is installed (Debian: libopenblas0-pthread), the peers are restarted with
// LD_LIBRARY_PATH set to its directory (the path comes from the running system, not from
// here); BENCH_TORCH_BLAS=as-is keeps whatever the loader picked.

import { spawn } from "node:child_process";
import { accessSync, constants, realpathSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("./torch_peer.py", import.meta.url));

/** Python executables to try, in order. */
export function pythonCandidates(env = process.env) {
  if (env.BENCH_PYTHON !== undefined) return env.BENCH_PYTHON ? [env.BENCH_PYTHON] : [];
  const seen = new Set(), out = [];
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, "python3");
    try {
      accessSync(file, constants.X_OK);
      const real = realpathSync(file);
      if (seen.has(real)) continue;
      seen.add(real);
      out.push(file);
    } catch { /* not there */ }
    if (out.length >= 4) break;
  }
  return out;
}

/** One running torch_peer.py. */
class Peer {
  constructor(python, threads, extraEnv) {
    this.python = python;
    this.threads = threads;
    this.stderr = "";
    this.queue = [];      // pending { resolve, reject }
    this.buffer = "";
    this.exited = null;
    const t = String(threads);
    this.child = spawn(python, [script, "--threads", t], {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, OPENBLAS_NUM_THREADS: t === "all" ? undefined : t, OMP_NUM_THREADS: t === "all" ? undefined : t, MKL_NUM_THREADS: t === "all" ? undefined : t, ...extraEnv },
    });
    this.child.stdout.setEncoding("utf8");
    this.child.stderr.setEncoding("utf8");
    this.child.stderr.on("data", (s) => { this.stderr = (this.stderr + s).slice(-4000); });
    this.child.stdout.on("data", (s) => {
      this.buffer += s;
      let i;
      while ((i = this.buffer.indexOf("\n")) >= 0) {
        const line = this.buffer.slice(0, i);
        this.buffer = this.buffer.slice(i + 1);
        if (!line.trim()) continue;
        const waiter = this.queue.shift();
        if (!waiter) continue;
        try { waiter.resolve(JSON.parse(line)); } catch (e) { waiter.reject(new Error(`bad reply from torch_peer.py: ${line.slice(0, 200)}`)); }
      }
    });
    const fail = (why) => {
      this.exited = why;
      for (const w of this.queue.splice(0)) w.reject(new Error(`${why}${this.stderr ? `: ${lastLine(this.stderr)}` : ""}`));
    };
    this.child.on("error", (e) => fail(e.code === "ENOENT" ? `${python} not found` : String(e.message ?? e)));
    this.child.on("exit", (code, signal) => fail(`torch_peer.py exited (${signal ?? code})`));
    this.child.stdin.on("error", () => {});   // EPIPE after an early exit: reported through "exit"
    this.ready = this.next(120e3);            // the first line: {"ready": ...}
  }

  next(timeoutMs) {
    return new Promise((resolve, reject) => {
      if (this.exited) { reject(new Error(this.exited)); return; }
      let timer;
      const w = {
        resolve: (v) => { clearTimeout(timer); resolve(v); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
      if (timeoutMs) timer = setTimeout(() => { this.queue.splice(this.queue.indexOf(w), 1); reject(new Error(`torch_peer.py: no reply in ${timeoutMs / 1e3} s`)); }, timeoutMs);
      this.queue.push(w);
    });
  }

  /** Send one request; resolves to the reply (an {error} reply rejects). */
  async request(msg, timeoutMs = 600e3) {
    const p = this.next(timeoutMs);
    this.child.stdin.write(JSON.stringify(msg) + "\n");
    const r = await p;
    if (r.error) throw new Error(`torch_peer.py: ${r.error}`);
    return r;
  }

  close() {
    if (this.exited) return;
    try { this.child.stdin.end(JSON.stringify({ op: "quit" }) + "\n"); } catch { /* gone */ }
    const t = setTimeout(() => { if (!this.exited) this.child.kill(); }, 2000);
    t.unref();
  }
}

const lastLine = (s) => s.trim().split("\n").filter(Boolean).pop() ?? "";

/**
 * Start the PyTorch peers (1 thread and all threads) or say why not.
 * @returns {Promise<{ available: boolean, reason?: string, python?: string, tried: string[],
 *   ldLibraryPath?: string, peers: { id: string, threads: string, label: string, peer: Peer, info: any }[] }>}
 */
export async function startTorch({ env = process.env, log = () => {} } = {}) {
  const candidates = pythonCandidates(env);
  const tried = [];
  if (!candidates.length) return { available: false, reason: env.BENCH_PYTHON === "" ? "BENCH_PYTHON is empty" : "no python3 on PATH", tried, peers: [] };
  let first = null, reason = "";
  for (const py of candidates) {
    const probe = new Peer(py, "1", {});
    try {
      const hello = await probe.ready;
      if (hello.ready) { first = { peer: probe, info: hello.info }; break; }
      tried.push(`${py}: ${hello.error}`);
      reason = hello.error;
    } catch (e) {
      tried.push(`${py}: ${e.message}`);
      reason = e.message;
    }
    probe.close();
  }
  if (!first) return { available: false, reason: `no Python that imports torch: ${reason}`, tried, peers: [] };
  const python = first.peer.python;

  const specs = [
    { id: "torch-1", threads: "1", label: "PyTorch · 1 thread" },
    { id: "torch-all", threads: "all", label: "PyTorch · all threads" },
  ];
  const spawnAll = async (extraEnv, reuse) => {
    const out = [];
    try {
      for (const s of specs) {
        if (reuse && s.threads === "1") { out.push({ ...s, ...reuse }); continue; }
        const peer = new Peer(python, s.threads, extraEnv);
        out.push({ ...s, peer });
        const hello = await peer.ready;
        if (!hello.ready) throw new Error(hello.error);
        out[out.length - 1].info = hello.info;
      }
    } catch (e) {
      for (const p of out) p.peer.close();
      throw e;
    }
    return out;
  };
  let peers;
  try {
    peers = await spawnAll({}, first);
  } catch (e) {
    return { available: false, reason: `torch_peer.py failed to start: ${e.message}`, python, tried, peers: [] };
  }
  const blas = peers[0].info.blas;
  let ldLibraryPath;
  if (blas.kind === "reference" && blas.openblasDir && env.BENCH_TORCH_BLAS !== "as-is") {
    log(`PyTorch: torch binds the reference BLAS; restarting it with LD_LIBRARY_PATH=${blas.openblasDir} (OpenBLAS found on this system; BENCH_TORCH_BLAS=as-is to keep the reference BLAS)`);
    for (const p of peers) p.peer.close();
    ldLibraryPath = blas.openblasDir;
    try {
      peers = await spawnAll({ LD_LIBRARY_PATH: [blas.openblasDir, env.LD_LIBRARY_PATH].filter(Boolean).join(delimiter) }, null);
    } catch (e) {
      return { available: false, reason: `torch_peer.py failed to start with OpenBLAS: ${e.message}`, python, tried, peers: [] };
    }
  }
  return { available: true, python, tried, ldLibraryPath, peers };
}

/** A one-line description of a peer's BLAS, for the report. */
export function blasLabel(info) {
  const b = info?.blas;
  if (!b) return "BLAS unknown";
  if (b.kind === "openblas") {
    const version = b.name.match(/OpenBLAS\s+([\d.]+)/)?.[1] ?? "";
    return `OpenBLAS ${version}${b.core ? ` (${b.core}` : " ("}${b.parallel ? `, ${b.parallel}` : ""}, ${b.threads ?? "?"} thread${b.threads === 1 ? "" : "s"})`;
  }
  if (b.kind === "reference") return "reference BLAS (netlib)";
  return b.name;
}

// ── weights for the peer without the library's export ──────────────────────────────────

/** PyTorch's state_dict key(s) for an rnn-wasm tensor name (E; U, W, b with _l{ℓ} / _reverse; V, c). */
export function torchKeys(name) {
  if (name === "E") return ["embedding.weight"];
  if (name === "V") return ["fc.weight"];
  if (name === "c") return ["fc.bias"];
  const m = /^([UWb])(?:_l(\d+))?(_reverse)?$/.exec(name);
  if (!m) throw new Error(`no PyTorch name for tensor "${name}"`);
  const suffix = `_l${m[2] ?? 0}${m[3] ?? ""}`;
  if (m[1] === "U") return [`rnn.weight_ih${suffix}`];
  if (m[1] === "W") return [`rnn.weight_hh${suffix}`];
  return [`rnn.bias_ih${suffix}`, `rnn.bias_hh${suffix}`];   // one bias: bias_ih = b, bias_hh = zeros
}

/** The shape of an rnn-wasm tensor of a bench config { n, d, k, layers, bidirectional, embeddingSize }. */
export function tensorShape(name, { n, d, k, bidirectional, embeddingSize }) {
  const D = bidirectional ? 2 : 1;
  if (name === "E") return [n, embeddingSize];
  if (name === "V") return [k, D * d];
  if (name === "c") return [k];
  const m = /^([UWb])(?:_l(\d+))?(_reverse)?$/.exec(name);
  if (!m) throw new Error(`unknown tensor "${name}"`);
  if (m[1] === "b") return [d];
  if (m[1] === "W") return [d, d];
  return [d, m[2] ? D * d : embeddingSize ?? n];
}

/**
 * [key, { shape, data }] pairs of the model's parameters (model.parameters(), in its order)
 * under PyTorch's state_dict keys, for the library's writeSafetensors. The bench uses them only
 * when exportSafetensors(model) cannot write the model (a deep model before the library's
 * interop knows layers).
 */
export function torchTensors(cfg, params) {
  const out = [];
  for (const [name, data] of Object.entries(params)) {
    const shape = tensorShape(name, cfg);
    if (data.length !== shape.reduce((a, s) => a * s, 1)) throw new Error(`tensor ${name}: ${data.length} values, expected ${shape.join("×")}`);
    torchKeys(name).forEach((key, i) => out.push([key, { shape, data: i === 0 ? Float32Array.from(data) : new Float32Array(data.length) }]));
  }
  return out;
}
