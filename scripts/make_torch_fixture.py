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

Needs torch and numpy (Debian: apt-get install python3-torch python3-numpy). The
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


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--check-export":
        sys.exit(check_export(sys.argv[2], sys.argv[3]))
    if len(sys.argv) != 1:
        print(__doc__)
        sys.exit(2)
    make()
