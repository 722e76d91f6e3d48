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
        builds nn.Embedding(n, e) + nn.RNN(e, d, num_layers=2, bidirectional=True,
        batch_first=True) + nn.Linear(2d, k) (issue #12) from a fixed seed, runs a ragged batch
        through pack_padded_sequence(enforce_sorted=False) with a given h0, and writes
          tests/fixtures/torch_deep.safetensors    the state dict, PyTorch names (bias_hh zeros:
                                                   the rnn-wasm export form, b = bias_ih)
          tests/fixtures/torch_deep_outputs.json   inputs, lengths, h0, and for many-to-many
                                                   (softmax CE at every real step) and
                                                   many-to-one (CE on fc([h_n fwd ; h_n rev]) of
                                                   the top layer): loss, logits of every scored
                                                   step, h_n, every parameter gradient, dL/dh0,
                                                   and the parameters after three Adam steps
                                                   (torch.optim.Adam defaults; bias_hh frozen at 0)
        tests/wrapper/deep_reference.test.js checks tests/reference/deep_ref.js against it.

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


# ───────────────────────── --deep: 2 layers, bidirectional, embedding ─────────────────────────

DEEP = {"n": 11, "e": 5, "d": 6, "k": 3, "layers": 2}   # n, e, d, k pairwise distinct: a transposed
DEEP_LENGTHS = [4, 1, 6, 3]                              # tensor cannot pass; lengths unsorted, 1 included
DEEP_SEED = 20261207


class DeepNet(nn.Module):
    """Embedding -> L-layer bidirectional Elman RNN -> Linear, as issue #12 defines it."""

    def __init__(self, n, e, d, k, layers, nonlinearity="tanh"):
        super().__init__()
        self.embedding = nn.Embedding(n, e)
        self.rnn = nn.RNN(e, d, num_layers=layers, nonlinearity=nonlinearity, bidirectional=True, batch_first=True)
        self.fc = nn.Linear(2 * d, k)

    def forward(self, ids, lengths, h0):
        """ids: B x T (padded), lengths: B. Returns the top layer's outputs (B x T x 2d, zeros
        past each length) and h_n (2L x B x d, layer-major, forward then reverse)."""
        x = self.embedding(ids)
        packed = nn.utils.rnn.pack_padded_sequence(x, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
        out, h_n = self.rnn(packed, h0)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=ids.shape[1])
        return out, h_n


def deep_loss(net, task, ids, lengths, h0, targets):
    """L = (1/B) sum_i sum_{scored t} CE; returns (loss, logits of the scored steps, h_n)."""
    out, h_n = net(ids, lengths, h0)
    B = len(lengths)
    if task == "many-to-many":
        logits = net.fc(out)                                    # B x T x k
        mask = torch.arange(ids.shape[1])[None, :] < torch.tensor(lengths)[:, None]
        loss = nn.functional.cross_entropy(logits[mask], targets[mask], reduction="sum") / B
        scored = [logits[i, :lengths[i]] for i in range(B)]
    else:
        logits = net.fc(torch.cat([h_n[-2], h_n[-1]], dim=1))  # top layer: s-> at len-1 ; s<- at 0
        loss = nn.functional.cross_entropy(logits, targets, reduction="sum") / B
        scored = [logits[i:i + 1] for i in range(B)]
    return loss, scored, h_n


def deep_case(state, task, ids, lengths, h0, targets):
    net = DeepNet(DEEP["n"], DEEP["e"], DEEP["d"], DEEP["k"], DEEP["layers"]).float()
    net.load_state_dict(state)
    for name, p in net.named_parameters():
        if "bias_hh" in name:
            p.requires_grad_(False)          # b = bias_ih; bias_hh stays 0 (see the docstring)
    h0 = h0.clone().requires_grad_(True)
    loss, scored, h_n = deep_loss(net, task, ids, lengths, h0, targets)
    loss.backward()
    grads = {name: p.grad.tolist() for name, p in net.named_parameters() if p.requires_grad}
    result = {
        "loss": loss.item(),
        "logits": [o.tolist() for o in scored],
        "h_n": h_n.tolist(),
        "grads": grads,
        "h0Grad": h0.grad.tolist(),
    }
    opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad])
    losses = []
    for _ in range(3):
        opt.zero_grad()
        step_loss, _, _ = deep_loss(net, task, ids, lengths, h0.detach(), targets)
        losses.append(step_loss.item())
        step_loss.backward()
        opt.step()
    result["adam"] = {
        "steps": 3, "lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-8, "lossBeforeEachStep": losses,
        "params": {name: p.tolist() for name, p in net.named_parameters() if p.requires_grad},
    }
    return result


def make_deep():
    torch.manual_seed(DEEP_SEED)
    n, e, d, k, L = (DEEP[c] for c in ("n", "e", "d", "k", "layers"))
    net = DeepNet(n, e, d, k, L).float()
    with torch.no_grad():                    # export form: bias_ih carries b, bias_hh is zero
        for name, p in net.rnn.named_parameters():
            if name.startswith("bias_hh"):
                getattr(net.rnn, name.replace("bias_hh", "bias_ih")).add_(p)
                p.zero_()
    state = {name: t.clone() for name, t in net.state_dict().items()}
    g = torch.Generator().manual_seed(DEEP_SEED + 1)
    B, T = len(DEEP_LENGTHS), max(DEEP_LENGTHS)
    ids = torch.randint(0, n, (B, T), generator=g)
    for i, length in enumerate(DEEP_LENGTHS):
        ids[i, length:] = 0                  # padding (never read)
    h0 = 0.5 * torch.randn(2 * L, B, d, generator=g)
    y_steps = torch.randint(0, k, (B, T), generator=g)
    y_last = torch.randint(0, k, (B,), generator=g)
    m2m = deep_case(state, "many-to-many", ids, DEEP_LENGTHS, h0, y_steps)
    m2o = deep_case(state, "many-to-one", ids, DEEP_LENGTHS, h0, y_last)
    OUT.mkdir(parents=True, exist_ok=True)
    write_safetensors(OUT / "torch_deep.safetensors", state,
                      {"made_by": f"scripts/make_torch_fixture.py --deep, torch {torch.__version__}"})
    doc = {
        "torch": torch.__version__,
        "seed": DEEP_SEED,
        "config": {"input": "ids", "inputSize": n, "embeddingSize": e, "hiddenSize": d, "outputSize": k,
                   "layers": L, "bidirectional": True, "hiddenActivation": "tanh", "loss": "softmax-cross-entropy"},
        "lengths": DEEP_LENGTHS,
        "inputs": [ids[i, :length].tolist() for i, length in enumerate(DEEP_LENGTHS)],
        "h0": h0.tolist(),
        "manyToMany": {"targets": [y_steps[i, :length].tolist() for i, length in enumerate(DEEP_LENGTHS)], **m2m},
        "manyToOne": {"targets": y_last.tolist(), **m2o},
    }
    (OUT / "torch_deep_outputs.json").write_text(json.dumps(doc) + "\n")
    print("wrote", OUT / "torch_deep.safetensors", "and", OUT / "torch_deep_outputs.json")


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
