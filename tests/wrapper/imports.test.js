/**
 * The wrapper's import graph (src/*.ts) has no circle: each module builds on those below it
 * (core at the bottom, the RNN class a façade above), so a bundler can drop what an app
 * does not use and a reader can start at the bottom. `import type` and `export type` are
 * not edges: they vanish when compiled.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";

const SRC = new URL("../../src/", import.meta.url);

/** Runtime imports of one module's text: the local modules it loads. */
export function runtimeImports(text) {
  const out = new Set();
  // import …/export … from "./x.js" (not `import type` / `export type`), and bare `import "./x.js"`.
  const re = /^\s*(?:import|export)\s+(?!type\b)(?:[^;]*?\sfrom\s+)?["'](\.\/[^"']+)["']/gms;
  for (const m of text.matchAll(re)) out.add(m[1].replace(/^\.\//, "").replace(/\.js$/, ".ts"));
  return [...out];
}

/** A circle in a graph { node: [targets] } as the list of its nodes, or undefined. */
export function findCycle(graph) {
  const state = new Map();                 // 1: on the current path, 2: done
  const path = [];
  const visit = (node) => {
    if (state.get(node) === 2) return undefined;
    if (state.get(node) === 1) return [...path.slice(path.indexOf(node)), node];
    state.set(node, 1);
    path.push(node);
    for (const next of graph[node] ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(node, 2);
    return undefined;
  };
  for (const node of Object.keys(graph)) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

test("the cycle finder finds circles and passes trees (it can fail)", () => {
  assert.deepEqual(findCycle({ a: ["b"], b: ["c"], c: ["a"] }), ["a", "b", "c", "a"]);
  assert.deepEqual(findCycle({ a: ["a"] }), ["a", "a"]);
  assert.equal(findCycle({ a: ["b", "c"], b: ["c"], c: [] }), undefined);
  assert.deepEqual(runtimeImports(`import { x } from "./a.js";\nimport type { Y } from "./b.js";\nexport { z } from "./c.js";\nexport type { W } from "./d.js";\nimport {\n  p,\n  q,\n} from "./e.js";\nimport f from "../dist/rnn.wasm";`).sort(), ["a.ts", "c.ts", "e.ts"]);
});

test("src/ has no import circle", () => {
  const files = readdirSync(SRC).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
  const graph = Object.fromEntries(files.map((f) => [f, runtimeImports(readFileSync(new URL(f, SRC), "utf8"))]));
  for (const [file, targets] of Object.entries(graph)) {
    for (const t of targets) assert.ok(files.includes(t), `${file} imports ./${t.replace(/\.ts$/, ".js")}, which is not in src/`);
  }
  const cycle = findCycle(graph);
  assert.equal(cycle, undefined, `import circle: ${cycle?.join(" → ")}`);
  assert.ok(Object.keys(graph).length >= 10, "the graph was read");
});

test("the core builds on nothing above it; the slim entry reaches no training or interop module", () => {
  const files = readdirSync(SRC).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
  const graph = Object.fromEntries(files.map((f) => [f, runtimeImports(readFileSync(new URL(f, SRC), "utf8"))]));
  const reach = (from) => {
    const seen = new Set([from]);
    const todo = [from];
    while (todo.length) for (const next of graph[todo.pop()] ?? []) if (!seen.has(next)) { seen.add(next); todo.push(next); }
    return seen;
  };
  for (const above of ["model.ts", "inference.ts", "train.ts", "stepper.ts", "interop.ts", "format.ts"]) {
    assert.ok(!reach("core.ts").has(above), `core.ts reaches ${above}`);
  }
  const slim = reach("slim.ts");
  for (const heavy of ["model.ts", "train.ts", "interop.ts", "embedded.ts", "storage.ts", "files.ts"]) {
    assert.ok(!slim.has(heavy), `slim.ts reaches ${heavy}`);
  }
});
