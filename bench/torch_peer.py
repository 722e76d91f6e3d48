#!/usr/bin/env python3
"""PyTorch as a peer in `npm run bench`: the same Elman training step as rnn-wasm, served
over stdin/stdout so that bench/run.js can interleave it with rnn-wasm round by round.

The model is nn.RNN(n, d, nonlinearity="tanh", batch_first=True) + nn.Linear(d, k), loaded
from the safetensors file rnn-wasm's exportSafetensors(model) wrote (PyTorch names,
load_state_dict strict), so both start from the same weights. Deep and bidirectional configs
(issue 12: "layers", "bidirectional", "embeddingSize" in the setup request) use
[nn.Embedding(n, e)] + nn.RNN(e | n, d, num_layers=L, bidirectional=...) + nn.Linear(D·d, k),
state_dict keys embedding.weight, rnn.weight_ih_l{l}[_reverse], ..., fc.weight, fc.bias. One
training step:

    logits = fc(rnn(x)[0])                                   x: one-hot ids, (B, T, n) float32
    loss = F.cross_entropy(logits, y, reduction="sum") / B   sum over time, mean over the batch
    loss.backward(); SGD(lr).step()

The input is one-hot, built once outside the timed steps: that is how nn.RNN consumes token
ids without an extra layer (an nn.Embedding would add a d×d-sized table and its own update),
and it makes nn.RNN's weight_ih exactly rnn-wasm's U. It costs PyTorch a (B·T×n)·(n×d)
product forward and one for the gradient of weight_ih (4·n·d FLOP per token) that rnn-wasm
replaces by a gather and a scatter; the bench reports that share beside the row.
With an embedding the input is the ids themselves, through nn.Embedding (a gather, and a dense
gradient of the n×e table, as rnn-wasm's). Every rnn.bias_hh_* is frozen (the export writes
rnn-wasm's single bias b into bias_ih and zeros into bias_hh; training both would move the
effective bias twice as fast as rnn-wasm's).

Threads are set before torch is imported: --threads N sets OPENBLAS_NUM_THREADS,
OMP_NUM_THREADS and MKL_NUM_THREADS to N and calls torch.set_num_threads(N); --threads all
uses every CPU this process may run on.

Protocol: one JSON object per line. On start the script prints {"ready": true, "info": ...}
(versions, threads, the BLAS in use and how it was found) or {"ready": false, "error": ...}
(torch not importable) and exits. Requests:
    {"op": "setup", "n", "d", "k", "B", "T", "lr", "weights": FILE, "inputs": [[id]*T]*B,
     "targets": [[id]*T]*B, "checkSteps": 2, optional "layers": L, "bidirectional": bool,
     "embeddingSize": e}
        -> {"losses": [loss of step 1, loss of step 2, ...], "reader": ...}; the weights are
           then reloaded, so the timed steps start from the file's weights again
    {"op": "run", "steps": N}  -> {"ms": [...], "cpuMs": [...], "loss": last loss}
    {"op": "gemm", "size": 256, "reps": R} -> {"gflops": median over R products}
    {"op": "quit"}

Standalone: python3 bench/torch_peer.py --info [--threads 1|all] prints the info and exits.
Needs torch and numpy (Debian: apt-get install python3-torch, and libopenblas0-pthread for an
optimised BLAS). The `safetensors` package is used if present, else a reader written here.
"""
import ctypes
import json
import os
import re
import struct
import sys
import time


def parse_threads(argv):
    threads = "all"
    if "--threads" in argv:
        threads = argv[argv.index("--threads") + 1]
    if threads == "all":
        try:
            return len(os.sched_getaffinity(0))
        except AttributeError:
            return os.cpu_count() or 1
    return max(1, int(threads))


THREADS = parse_threads(sys.argv)
# Before torch (and the BLAS and OpenMP runtimes it links) is loaded: they read these at load.
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(THREADS)


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


try:
    import numpy as np
    import torch
    import torch.nn.functional as F
    from torch import nn
except Exception as e:  # ImportError, or a broken install
    reply({"ready": False, "error": f"{type(e).__name__}: {e}", "python": sys.executable})
    sys.exit(0)

torch.set_num_threads(THREADS)


# ── which BLAS does torch call? ──────────────────────────────────────────────────────────


class _DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]


def _symbol_file(handle, name):
    """The file that provides `name` as seen from `handle` (dlsym, then dladdr), or None."""
    try:
        fn = getattr(handle, name)
    except AttributeError:
        return None
    libc = ctypes.CDLL(None)
    libc.dladdr.argtypes = [ctypes.c_void_p, ctypes.POINTER(_DlInfo)]
    info = _DlInfo()
    if not libc.dladdr(ctypes.cast(fn, ctypes.c_void_p), ctypes.byref(info)) or not info.dli_fname:
        return None
    return os.path.realpath(info.dli_fname.decode())


def _string_fn(handle, name):
    try:
        fn = getattr(handle, name)
    except AttributeError:
        return None
    fn.restype = ctypes.c_char_p
    return fn().decode(errors="replace")


def blas_info():
    """The BLAS library torch's float GEMM calls, found at run time.

    torch's CPU matmul calls the Fortran symbol sgemm_ when torch was built against a BLAS
    (Debian: BLAS_INFO=generic, bound to whatever libblas.so.3 the loader finds). We resolve
    sgemm_ the way libtorch_cpu.so sees it (dlsym on its handle), ask dladdr which file
    defines it, and look in that file for a vendor's entry points: openblas_get_config
    (OpenBLAS), mkl_get_version_string (MKL), bli_info_get_version_str (BLIS); a libblas
    with none of them is the reference (netlib) BLAS."""
    out = {"build": None, "library": None, "kind": "unknown", "name": "unknown", "method": None}
    m = re.search(r"BLAS_INFO=([^,\s]+)", torch.__config__.show())
    out["build"] = m.group(1) if m else None
    out["mkldnn"] = bool(torch.backends.mkldnn.is_available())
    lib = None
    for name in ("libtorch_cpu.so", "libtorch_cpu.dylib"):
        path = os.path.join(os.path.dirname(torch.__file__), "lib", name)
        if os.path.exists(path):
            try:
                lib = ctypes.CDLL(path, mode=getattr(os, "RTLD_NOLOAD", 0) | getattr(os, "RTLD_LAZY", 1))
            except OSError:
                lib = None
            break
    file = _symbol_file(lib, "sgemm_") if lib is not None else None
    if file is None:
        # Statically linked BLAS (pip wheels link MKL into libtorch_cpu): trust the build info.
        out["method"] = "torch.__config__.show() (sgemm_ not resolvable through libtorch_cpu)"
        b = (out["build"] or "").lower()
        out["kind"] = "mkl" if "mkl" in b else "openblas" if "open" in b else "unknown"
        out["name"] = {"mkl": "MKL (linked into torch)", "openblas": "OpenBLAS (linked into torch)"}.get(out["kind"], f"BLAS_INFO={out['build']}")
        return out
    out["library"] = file
    out["method"] = "dladdr(sgemm_ as resolved from libtorch_cpu) -> vendor entry points in that file"
    try:
        blas = ctypes.CDLL(file, mode=getattr(os, "RTLD_NOLOAD", 0) | getattr(os, "RTLD_LAZY", 1))
    except OSError:
        blas = ctypes.CDLL(file)
    conf = _string_fn(blas, "openblas_get_config")
    if conf is not None:
        out["kind"] = "openblas"
        out["name"] = conf
        try:
            out["threads"] = int(blas.openblas_get_num_threads())
            out["parallel"] = {0: "sequential", 1: "pthreads", 2: "OpenMP"}.get(int(blas.openblas_get_parallel()), "?")
        except AttributeError:
            pass
        core = _string_fn(blas, "openblas_get_corename")
        if core:
            out["core"] = core
        return out
    mkl = _string_fn(blas, "mkl_get_version_string")
    if mkl is not None:
        out["kind"], out["name"] = "mkl", mkl.strip()
        return out
    blis = _string_fn(blas, "bli_info_get_version_str")
    if blis is not None:
        out["kind"], out["name"] = "blis", f"BLIS {blis}"
        return out
    out["kind"] = "reference"
    out["name"] = "reference BLAS (netlib; no OpenBLAS, MKL or BLIS entry points in the library)"
    out["openblasDir"] = openblas_dir()
    return out


def openblas_dir():
    """A directory holding an OpenBLAS build of libblas.so.3 (Debian: libopenblas0-pthread),
    found through the loader's own search (libopenblas.so.0), or None."""
    import ctypes.util
    soname = ctypes.util.find_library("openblas")
    if not soname:
        return None
    try:
        lib = ctypes.CDLL(soname)
        file = _symbol_file(lib, "openblas_get_config")
    except OSError:
        return None
    if not file:
        return None
    d = os.path.dirname(file)
    return d if os.path.exists(os.path.join(d, "libblas.so.3")) else None


def info():
    return {
        "python": sys.executable,
        "pythonVersion": sys.version.split()[0],
        "torch": torch.__version__,
        "numpy": np.__version__,
        "threads": torch.get_num_threads(),
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        # Every variable that steers the BLAS or OpenMP runtimes (threads, kernels, waiting).
        "env": {v: os.environ[v] for v in sorted(os.environ) if v.startswith(("OPENBLAS_", "OMP_", "GOMP_", "MKL_", "KMP_", "BLIS_"))},
        "ldLibraryPath": bool(os.environ.get("LD_LIBRARY_PATH")),
        "blas": blas_info(),
        "safetensors": safetensors_reader()[0],
    }


# ── weights ─────────────────────────────────────────────────────────────────────────────


def safetensors_reader():
    try:
        from safetensors.torch import load_file  # noqa: F401
        return "safetensors package", lambda path: load_file(path)
    except ImportError:
        return "torch_peer.py's reader", read_safetensors


def read_safetensors(path):
    """8-byte little-endian header length N, N bytes of JSON, then the raw tensors."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    header.pop("__metadata__", None)
    base = 8 + n
    out = {}
    for name, spec in header.items():
        if spec["dtype"] != "F32":
            raise ValueError(f"{name}: dtype {spec['dtype']}, expected F32")
        b, e = spec["data_offsets"]
        arr = np.frombuffer(raw, dtype="<f4", count=(e - b) // 4, offset=base + b).reshape(spec["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out


# ── the model and its step ──────────────────────────────────────────────────────────────


class Net(nn.Module):
    """[nn.Embedding(n, e)] + nn.RNN(e | n, d, num_layers=L, bidirectional) + nn.Linear(D·d, k):
    the attribute names (embedding, rnn, fc) give the state_dict keys rnn-wasm's export uses."""

    def __init__(self, n, d, k, layers=1, bidirectional=False, embedding_size=None):
        super().__init__()
        if embedding_size is not None:
            self.embedding = nn.Embedding(n, embedding_size)
        self.rnn = nn.RNN(embedding_size or n, d, num_layers=layers, nonlinearity="tanh",
                          batch_first=True, bidirectional=bidirectional)
        self.fc = nn.Linear(d * (2 if bidirectional else 1), k)

    def forward(self, x):
        if hasattr(self, "embedding"):
            x = self.embedding(x)
        s, _ = self.rnn(x)
        return self.fc(s)


class Peer:
    def __init__(self, msg):
        self.n, self.d, self.k, self.B, self.T = (int(msg[key]) for key in ("n", "d", "k", "B", "T"))
        self.layers = int(msg.get("layers", 1))
        self.bidirectional = bool(msg.get("bidirectional", False))
        e = msg.get("embeddingSize")
        self.embedding_size = int(e) if e is not None else None
        self.lr = float(msg["lr"])
        self.reader_name, reader = safetensors_reader()
        self.state = reader(msg["weights"])
        ids = torch.tensor(msg["inputs"], dtype=torch.long)             # (B, T)
        if self.embedding_size is None:
            self.x = F.one_hot(ids, self.n).to(torch.float32).contiguous()  # (B, T, n)
            self.input = "one-hot (B, T, n)"
        else:
            self.x = ids.contiguous()                                   # (B, T) ids into nn.Embedding
            self.input = "ids (B, T) into nn.Embedding"
        self.y = torch.tensor(msg["targets"], dtype=torch.long).reshape(-1)   # (B·T,), batch-major like the logits
        self.reset()

    def reset(self):
        self.net = Net(self.n, self.d, self.k, self.layers, self.bidirectional, self.embedding_size).float()
        self.net.load_state_dict(self.state, strict=True)
        # rnn-wasm has one bias per layer and direction: every bias_hh stays at its zeros.
        for name, p in self.net.rnn.named_parameters():
            if name.startswith("bias_hh"):
                p.requires_grad_(False)
        self.opt = torch.optim.SGD([p for p in self.net.parameters() if p.requires_grad], lr=self.lr)

    def step(self):
        self.opt.zero_grad(set_to_none=True)
        logits = self.net(self.x)
        loss = F.cross_entropy(logits.reshape(-1, self.k), self.y, reduction="sum") / self.B
        loss.backward()
        self.opt.step()
        return loss.item()


def gemm(size, reps):
    a = torch.rand(size, size)
    b = torch.rand(size, size)
    c = torch.empty(size, size)
    for _ in range(3):
        torch.mm(a, b, out=c)
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        torch.mm(a, b, out=c)
        ts.append(time.perf_counter() - t0)
    ts.sort()
    return 2 * size ** 3 / ts[len(ts) // 2] / 1e9


def serve():
    reply({"ready": True, "info": info()})
    peer = None
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            msg = json.loads(line)
            op = msg.get("op")
            if op == "setup":
                peer = Peer(msg)
                losses = [peer.step() for _ in range(int(msg.get("checkSteps", 2)))]
                peer.reset()
                reply({"losses": losses, "reader": peer.reader_name, "input": peer.input})
            elif op == "run":
                ms, cpu, loss = [], [], None
                for _ in range(int(msg["steps"])):
                    c0, t0 = time.process_time(), time.perf_counter()
                    loss = peer.step()
                    ms.append((time.perf_counter() - t0) * 1e3)
                    cpu.append((time.process_time() - c0) * 1e3)
                reply({"ms": ms, "cpuMs": cpu, "loss": loss})
            elif op == "gemm":
                reply({"gflops": gemm(int(msg.get("size", 256)), int(msg.get("reps", 21)))})
            elif op == "quit":
                reply({"bye": True})
                return
            else:
                reply({"error": f"unknown op {op!r}"})
        except Exception as e:  # report, keep serving
            reply({"error": f"{type(e).__name__}: {e}"})


if __name__ == "__main__":
    if "--info" in sys.argv:
        print(json.dumps(info(), indent=2))
    else:
        serve()
