#!/usr/bin/env python3
"""Make the PyTorch fixture for the safetensors tests, or check an exported file in PyTorch.

    python3 scripts/make_torch_fixture.py
        builds nn.RNN(n, d, nonlinearity='tanh', batch_first=True) + nn.Linear(d, k) from a
        fixed seed and writes
          tests/fixtures/torch_rnn.safetensors     the state dict, PyTorch names
          tests/fixtures/torch_rnn_outputs.json    inputs and what PyTorch computed on them

    python3 scripts/make_torch_fixture.py --check-export FILE.safetensors FILE.json
        loads a file written by rnn-wasm's exportSafetensors into nn.RNN + nn.Linear
        (load_state_dict, strict; nonlinearity from the file's metadata) and compares PyTorch's logits and final states with the
        ones rnn-wasm wrote to FILE.json ({"inputs": [...], "logits": [...], "finalState": [...]}).

    python3 scripts/make_torch_fixture.py --deep
        builds two networks of issue #12 from fixed seeds (DEEP_SPECS below):
          deep        nn.Embedding(11, 5) + nn.RNN(5, 6, num_layers=2, bidirectional=True,
                      batch_first=True) + nn.Linear(12, 3), tanh, h0 given, softmax CE
          deep_dense  7 dense features + nn.RNN(7, 5, num_layers=3, nonlinearity='relu',
                      bidirectional=True, batch_first=True) + nn.Linear(10, 3), no h0,
                      MSE (many-to-many) and sigmoid BCE (many-to-one)
        runs a ragged batch through pack_padded_sequence(enforce_sorted=False), and writes for each
          tests/fixtures/torch_<name>.safetensors   the state dict, PyTorch names (bias_hh zeros:
                                                    the rnn-wasm export form, b = bias_ih)
          tests/fixtures/torch_<name>_outputs.json  config, lengths, inputs (real steps only), h0,
                                                    and for manyToMany (every real step scored) and
                                                    manyToOne (fc([h_n fwd ; h_n rev]) of the top
                                                    layer): lossKind, targets, loss, logits of every
                                                    scored step, h_n, every parameter gradient
                                                    (state_dict names), h0Grad, and the parameters
                                                    after three Adam steps (torch.optim.Adam
                                                    defaults, the same batch; bias_hh frozen at 0)
        tests/wrapper/deep_reference.test.js checks tests/reference/deep_ref.js against them.

Needs torch and numpy (Debian: apt-get install python3-torch python3-numpy), so run it with
the Python that has them: Debian's python3-torch is in the system interpreter, so if another
python3 comes first on PATH, run `/usr/bin/python3 scripts/make_torch_fixture.py --deep`. Both
modes are deterministic on a given machine (fixed seeds, CPU): rerunning rewrites identical
files there. Inputs and parameters are seed-exact everywhere; another BLAS may change the last
f32 bit of computed values (logits, gradients), far inside the tolerances of the tests. The
safetensors file is read and written by hand (struct + json), so the `safetensors` package
is not needed.
"""
import json
import struct
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures"

N, D, K = 5, 7, 3          # not multiples of 4: the wasm side pads tensors to 4 floats
SEED = 20240607


def write_safetensors(path, tensors, metadata=None):
    """tensors: {name: torch.Tensor (float32)} -> the safetensors layout, by hand."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        data = t.detach().cpu().contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    raw = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", (name, info["dtype"])
        b, e = info["data_offsets"]
        arr = np.frombuffer(raw[base + b:base + e], dtype="<f4").reshape(info["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out, meta


class Net(nn.Module):
    """The rnn-wasm model in PyTorch: s_t = tanh(U x_t + W s_{t-1} + b), o_t = V s_t + c."""

    def __init__(self, n, d, k, nonlinearity="tanh"):
        super().__init__()
        self.rnn = nn.RNN(n, d, nonlinearity=nonlinearity, batch_first=True)
        self.fc = nn.Linear(d, k)

    def forward(self, x, h0=None):
        s, h = self.rnn(x, h0)
        return self.fc(s), h[0]


def run_each(net, seqs):
    """Each sequence alone (ragged lengths): logits per step and the final state."""
    logits, finals = [], []
    with torch.no_grad():
        for x in seqs:
            o, h = net(torch.tensor([x], dtype=torch.float32))
            logits.append(o[0].tolist())
            finals.append(h[0].tolist())
    return logits, finals


def make():
    torch.manual_seed(SEED)
    net = Net(N, D, K).float()
    g = torch.Generator().manual_seed(SEED + 1)
    lengths = [6, 3, 1, 4]
    dense = [torch.randn(t, N, generator=g).tolist() for t in lengths]
    ids = [torch.randint(0, N, (t,), generator=g).tolist() for t in [5, 2, 7]]
    one_hot = [torch.nn.functional.one_hot(torch.tensor(s), N).float().tolist() for s in ids]
    d_logits, d_final = run_each(net, dense)
    i_logits, i_final = run_each(net, one_hot)
    softmax = [torch.softmax(torch.tensor(o), dim=-1).tolist() for o in d_logits]
    OUT.mkdir(parents=True, exist_ok=True)
    write_safetensors(OUT / "torch_rnn.safetensors", net.state_dict(),
                      {"made_by": f"scripts/make_torch_fixture.py, torch {torch.__version__}"})
    doc = {
        "torch": torch.__version__,
        "seed": SEED,
        "sizes": {"n": N, "d": D, "k": K},
        "dense": {"inputs": dense, "logits": d_logits, "softmax": softmax, "finalState": d_final},
        "ids": {"inputs": ids, "logits": i_logits, "finalState": i_final},
    }
    (OUT / "torch_rnn_outputs.json").write_text(json.dumps(doc) + "\n")
    print("wrote", OUT / "torch_rnn.safetensors", "and", OUT / "torch_rnn_outputs.json")


def check_export(st_path, json_path):
    tensors, meta = read_safetensors(st_path)
    doc = json.loads(Path(json_path).read_text())
    d, n = tensors["rnn.weight_ih_l0"].shape
    k = tensors["fc.weight"].shape[0]
    net = Net(n, d, k, meta.get("nonlinearity", "tanh")).float()
    net.load_state_dict(tensors, strict=True)
    logits, finals = run_each(net, doc["inputs"])
    worst_o = max(abs(a - b) for o1, o2 in zip(logits, doc["logits"]) for r1, r2 in zip(o1, o2) for a, b in zip(r1, r2))
    worst_h = max(abs(a - b) for h1, h2 in zip(finals, doc["finalState"]) for a, b in zip(h1, h2))
    print(f"metadata {meta}")
    print(f"n={n} d={d} k={k}; {len(doc['inputs'])} sequences")
    print(f"max |logits(torch) - logits(rnn-wasm)| = {worst_o:.3e}")
    print(f"max |h_T(torch) - h_T(rnn-wasm)|       = {worst_h:.3e}")
    ok = worst_o <= 1e-5 and worst_h <= 1e-5
    print("OK" if ok else "MISMATCH")
    return 0 if ok else 1


# ───────────────────────── --deep: L layers, bidirectional, with or without an embedding ─────────────────────────

# Two networks. Sizes pairwise distinct (and 2d != n) so a transposed or misplaced tensor
# cannot pass; lengths unsorted, 1 included.
#   deep        ids -> nn.Embedding(11, 5) -> nn.RNN(tanh, 2 layers, bidirectional), h0 given,
#               softmax CE (many-to-many and many-to-one)
#   deep_dense  7 dense features -> nn.RNN(relu, 3 layers, bidirectional), h0 = zeros (None),
#               MSE (many-to-many) and sigmoid BCE (many-to-one)
DEEP_SPECS = {
    "deep": {"input": "ids", "n": 11, "e": 5, "d": 6, "k": 3, "layers": 2, "nonlinearity": "tanh",
             "h0": True, "lengths": [4, 1, 6, 3], "seed": 20261207,
             "loss": {"many-to-many": "softmax-cross-entropy", "many-to-one": "softmax-cross-entropy"}},
    "deep_dense": {"input": "dense", "n": 7, "e": None, "d": 5, "k": 3, "layers": 3, "nonlinearity": "relu",
                   "h0": False, "lengths": [2, 5, 1, 4], "seed": 20261208,
                   "loss": {"many-to-many": "mse", "many-to-one": "sigmoid-binary-cross-entropy"}},
}


class DeepNet(nn.Module):
    """[nn.Embedding ->] L-layer bidirectional Elman RNN -> Linear, as issue #12 defines it."""

    def __init__(self, spec):
        super().__init__()
        n, e, d, k = spec["n"], spec["e"], spec["d"], spec["k"]
        self.embedding = nn.Embedding(n, e) if e else None
        self.rnn = nn.RNN(e or n, d, num_layers=spec["layers"], nonlinearity=spec["nonlinearity"],
                          bidirectional=True, batch_first=True)
        self.fc = nn.Linear(2 * d, k)

    def forward(self, x, lengths, h0):
        """x: B x T ids or B x T x n (padded), lengths: B. Returns the top layer's outputs
        (B x T x 2d, zeros past each length) and h_n (2L x B x d, layer-major, forward then reverse)."""
        if self.embedding is not None:
            x = self.embedding(x)
        packed = nn.utils.rnn.pack_padded_sequence(x, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
        out, h_n = self.rnn(packed, h0)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        return out, h_n


def step_losses(kind, logits, targets):
    """Per scored step loss, as DESIGN §1: CE, BCE summed over k, MSE averaged over k."""
    if kind == "softmax-cross-entropy":
        return nn.functional.cross_entropy(logits, targets, reduction="none")
    if kind == "sigmoid-binary-cross-entropy":
        return nn.functional.binary_cross_entropy_with_logits(logits, targets, reduction="none").sum(-1)
    return nn.functional.mse_loss(logits, targets, reduction="none").mean(-1)


def deep_loss(net, spec, task, x, lengths, h0, targets):
    """L = (1/B) sum_i sum_{scored t} loss; returns (loss, logits of the scored steps, h_n)."""
    out, h_n = net(x, lengths, h0)
    B = len(lengths)
    kind = spec["loss"][task]
    if task == "many-to-many":
        logits = net.fc(out)                                    # B x T x k
        mask = torch.arange(out.shape[1])[None, :] < torch.tensor(lengths)[:, None]
        loss = step_losses(kind, logits[mask], targets[mask]).sum() / B
        scored = [logits[i, :lengths[i]] for i in range(B)]
    else:
        logits = net.fc(torch.cat([h_n[-2], h_n[-1]], dim=1))  # top layer: s-> at len-1 ; s<- at 0
        loss = step_losses(kind, logits, targets).sum() / B
        scored = [logits[i:i + 1] for i in range(B)]
    return loss, scored, h_n


def deep_case(spec, state, task, x, h0, targets):
    net = DeepNet(spec).float()
    net.load_state_dict(state)
    for name, p in net.named_parameters():
        if "bias_hh" in name:
            p.requires_grad_(False)          # b = bias_ih; bias_hh stays 0 (see the docstring)
    lengths = spec["lengths"]
    if h0 is not None:
        h0 = h0.clone().requires_grad_(True)
    loss, scored, h_n = deep_loss(net, spec, task, x, lengths, h0, targets)
    loss.backward()
    result = {
        "loss": loss.item(),
        "logits": [o.tolist() for o in scored],
        "h_n": h_n.tolist(),
        "grads": {name: p.grad.tolist() for name, p in net.named_parameters() if p.requires_grad},
    }
    if h0 is not None:
        result["h0Grad"] = h0.grad.tolist()
    opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad])
    losses = []
    for _ in range(3):
        opt.zero_grad()
        step_loss, _, _ = deep_loss(net, spec, task, x, lengths, None if h0 is None else h0.detach(), targets)
        losses.append(step_loss.item())
        step_loss.backward()
        opt.step()
    result["adam"] = {
        "steps": 3, "lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-8, "lossBeforeEachStep": losses,
        "params": {name: p.tolist() for name, p in net.named_parameters() if p.requires_grad},
    }
    return result


def make_deep_one(name):
    spec = DEEP_SPECS[name]
    torch.manual_seed(spec["seed"])
    n, d, k, L, lengths = spec["n"], spec["d"], spec["k"], spec["layers"], spec["lengths"]
    net = DeepNet(spec).float()
    with torch.no_grad():                    # export form: bias_ih carries b, bias_hh is zero
        for pname, p in net.rnn.named_parameters():
            if pname.startswith("bias_hh"):
                getattr(net.rnn, pname.replace("bias_hh", "bias_ih")).add_(p)
                p.zero_()
    state = {key: t.clone() for key, t in net.state_dict().items()}
    g = torch.Generator().manual_seed(spec["seed"] + 1)
    B, T = len(lengths), max(lengths)
    if spec["input"] == "ids":
        x = torch.randint(0, n, (B, T), generator=g)
    else:
        x = torch.randn(B, T, n, generator=g)
    for i, length in enumerate(lengths):
        x[i, length:] = 0                    # padding (never read)
    h0 = 0.5 * torch.randn(2 * L, B, d, generator=g) if spec["h0"] else None
    targets = {}
    for task in ("many-to-many", "many-to-one"):
        shape = (B, T) if task == "many-to-many" else (B,)
        kind = spec["loss"][task]
        if kind == "softmax-cross-entropy":
            targets[task] = torch.randint(0, k, shape, generator=g)
        elif kind == "sigmoid-binary-cross-entropy":
            targets[task] = torch.randint(0, 2, shape + (k,), generator=g).float()
        else:
            targets[task] = torch.randn(shape + (k,), generator=g)
    ragged = lambda t: [t[i, :length].tolist() for i, length in enumerate(lengths)]
    cases = {key: deep_case(spec, state, task, x, h0, targets[task]) for key, task in (("manyToMany", "many-to-many"), ("manyToOne", "many-to-one"))}
    OUT.mkdir(parents=True, exist_ok=True)
    write_safetensors(OUT / f"torch_{name}.safetensors", state,
                      {"made_by": f"scripts/make_torch_fixture.py --deep, torch {torch.__version__}"})
    config = {"input": spec["input"], "inputSize": n, "hiddenSize": d, "outputSize": k, "layers": L,
              "bidirectional": True, "hiddenActivation": spec["nonlinearity"]}
    if spec["e"]:
        config["embeddingSize"] = spec["e"]
    doc = {
        "torch": torch.__version__,
        "seed": spec["seed"],
        "config": config,
        "lengths": lengths,
        "inputs": ragged(x),
    }
    if h0 is not None:
        doc["h0"] = h0.tolist()
    doc["manyToMany"] = {"lossKind": spec["loss"]["many-to-many"], "targets": ragged(targets["many-to-many"]), **cases["manyToMany"]}
    doc["manyToOne"] = {"lossKind": spec["loss"]["many-to-one"], "targets": targets["many-to-one"].tolist(), **cases["manyToOne"]}
    (OUT / f"torch_{name}_outputs.json").write_text(json.dumps(doc) + "\n")
    print("wrote", OUT / f"torch_{name}.safetensors", "and", OUT / f"torch_{name}_outputs.json")


def make_deep():
    for name in DEEP_SPECS:
        make_deep_one(name)


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "--deep":
        make_deep()
        sys.exit(0)
    if len(sys.argv) == 4 and sys.argv[1] == "--check-export":
        sys.exit(check_export(sys.argv[2], sys.argv[3]))
    if len(sys.argv) != 1:
        print(__doc__)
        sys.exit(2)
    make()
