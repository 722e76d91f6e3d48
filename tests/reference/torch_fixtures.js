// The PyTorch fixtures of the deep model (tests/fixtures/torch_<name>*, made by
// scripts/make_torch_fixture.py --deep), read here without the library: the reference's suite
// (deep_reference.test.js) and the library's (deep_torch.test.js) check against the same files
// read the same way.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

/** A safetensors file (F32 only) → { name: Float32Array }, parsed here. */
export function readSafetensors(bytes) {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  const out = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    assert.equal(info.dtype, "F32");
    const [b, e] = info.data_offsets;
    const raw = bytes.slice(8 + n + b, 8 + n + e);
    out[name] = new Float32Array(raw.buffer, raw.byteOffset, (e - b) / 4);
  }
  return out;
}

/** torch_<name>: { name, doc (the outputs JSON), stateDict (the safetensors file's tensors by torch name) }. */
export const loadTorchFixture = (name) => ({
  name,
  doc: JSON.parse(readFileSync(new URL(`../fixtures/torch_${name}_outputs.json`, import.meta.url), "utf8")),
  stateDict: readSafetensors(readFileSync(new URL(`../fixtures/torch_${name}.safetensors`, import.meta.url))),
});
