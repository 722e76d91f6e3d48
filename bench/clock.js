// The core clock, measured in the same process as the benchmark.
//
// Method: a hand-assembled wasm function runs a loop whose body is a chain of 32 dependent
// i32.add instructions (x = x + a, 32 times; `a` is a parameter, so the compiler can neither
// fold nor reassociate the chain). An integer add has a latency of exactly 1 cycle on every
// x86-64 and Arm core of the last decade, and each add needs the previous result, so the chain
// retires one add per cycle no matter how wide the core is. The loop counter (its own
// 1-cycle chain), the compare-and-branch and V8's loop stack check run on other ports in
// parallel and add nothing to the critical path. Hence
//
//     cycles = adds executed,   GHz = adds / seconds / 1e9.
//
// We take the fastest of many short repetitions (~3 ms each, so that some of them run
// between two preemptions on a shared machine; noise only ever makes a run slower), after
// enough calls for V8 to tier the function up from Liftoff to TurboFan. The figure is the
// clock the core actually ran at (turbo included) while the benchmark ran — which is what
// the wasm-SIMD peak must be scaled by.
//
// Self-check: the same loop with i32.mul (latency 3 cycles on current Intel and AMD cores)
// must run exactly 3× slower. If it does, both loops are latency-bound, so the add loop
// really counts cycles (and is not limited by the front end or the loop overhead).

const CHAIN = 32;
const I32_ADD = 0x6a, I32_MUL = 0x6c;

function chainModuleBytes(op) {
  const body = [
    0x01, 0x01, 0x7f,             // one local: x (i32), index 2 (params: 0 = iterations, 1 = a)
    0x03, 0x40,                   // loop (void)
    0x20, 0x02,                   //   local.get x
  ];
  for (let i = 0; i < CHAIN; i++) body.push(0x20, 0x01, op);     // local.get a; i32.add (or mul)
  body.push(
    0x21, 0x02,                   //   local.set x
    0x20, 0x00, 0x41, 0x01, 0x6b, //   n − 1
    0x22, 0x00,                   //   local.tee n
    0x0d, 0x00,                   //   br_if 0 (n ≠ 0)
    0x0b,                         // end loop
    0x20, 0x02,                   // local.get x
    0x0b,                         // end function
  );
  const code = [0x01, ...uleb(body.length), ...body];
  const name = [..."chain"].map((ch) => ch.charCodeAt(0));
  const exportSec = [0x01, name.length, ...name, 0x00, 0x00];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,            // \0asm, version 1
    0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f,      // type 0: (i32, i32) → i32
    0x03, 0x02, 0x01, 0x00,                                    // function 0 has type 0
    0x07, ...uleb(exportSec.length), ...exportSec,             // export "chain"
    0x0a, ...uleb(code.length), ...code,                       // code
  ]);
}

function uleb(v) {
  const out = [];
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v) byte |= 0x80;
    out.push(byte);
  } while (v);
  return out;
}

/**
 * Measure the clock by the dependent-add chain.
 * @param {{ reps?: number, adds?: number }} options repetitions, and adds per repetition.
 * @returns {{ ghz: number, samples: number[], method: string }}
 */
export function measureClockGHz({ reps = 60, adds = 8e6 } = {}) {
  const add = chainRate(I32_ADD, reps, adds);
  const mul = chainRate(I32_MUL, Math.max(5, reps >> 1), adds / 3);
  return {
    ghz: add.best,
    samples: add.samples.map((g) => +g.toFixed(3)),
    mulChainRatio: +(add.best / mul.best).toFixed(3),
    method: `fastest of ${reps} runs of ${Math.round(adds / 1e6)}M dependent i32.add in wasm (${CHAIN}-add chain per loop iteration, latency 1 cycle each); ` +
      "check: the same chain of i32.mul (latency 3) must be 3× slower",
  };
}

/** Operations per second (G/s) of a dependent chain of `op`: best of `reps`, and all samples. */
function chainRate(op, reps, ops) {
  const { chain } = new WebAssembly.Instance(new WebAssembly.Module(chainModuleBytes(op))).exports;
  const iters = Math.round(ops / CHAIN);
  // Tier-up: V8 compiles with Liftoff first and TurboFan after a few hot calls.
  for (let i = 0; i < 20; i++) chain(1000, 3);
  const samples = [];
  let sink = 0;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    sink ^= chain(iters, r | 1);
    const s = (performance.now() - t0) / 1e3;
    samples.push((iters * CHAIN) / s / 1e9);
  }
  if (sink === 0.5) console.log(sink);   // keep the result alive
  samples.sort((a, b) => b - a);
  return { best: samples[0], samples };
}

/** Whether a measured clock is believable for a desktop/server core (warn otherwise). */
export function plausibleClock(ghz) {
  return ghz >= 1.5 && ghz <= 6.0;
}
