// A training progress bar: epoch, batch, loss, tokens per second and the time left. On a
// terminal it redraws one line in place (at most 10 times a second); elsewhere (a pipe, a log
// file, CI) it prints a plain line at each quarter of an epoch.

const BAR = 24;

/** Seconds → "1:05" or "1:02:03". */
export function clock(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h ? `${h}:${String(m).padStart(2, "0")}:${String(r).padStart(2, "0")}` : `${m}:${String(r).padStart(2, "0")}`;
}

/** 123456 → "123k", 1234567 → "1.23M". */
export function rate(x) {
  if (!Number.isFinite(x)) return "?";
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e4 ? `${Math.round(x / 1e3)}k` : String(Math.round(x));
}

export class Progress {
  /**
   * @param options.epochs epochs planned in this run (for the ETA)
   * @param options.firstEpoch the number of this run's first epoch (a resumed run goes on counting; default 1)
   * @param options.stream where to draw (default stderr)
   * @param options.tty redraw in place (default: the stream is a terminal)
   * @param options.unit what a step of the sequences is called ("tok", "char", "step")
   * @param options.perSequence show the loss per sequence (many-to-one) instead of per token
   */
  constructor({ epochs, firstEpoch = 1, stream = process.stderr, tty = Boolean(stream.isTTY), unit = "tok", perSequence = false } = {}) {
    this.perSequence = perSequence;     // many-to-one: the loss per sequence (one scored step each)
    this.epochs = epochs;
    this.lastEpoch = firstEpoch - 1 + epochs;
    this.stream = stream;
    this.tty = tty;
    this.unit = unit;
    this.started = performance.now();
    this.batchesDone = 0;
    this.lastDraw = 0;
    this.lastQuarter = -1;
    this.epochLoss = 0;
    this.epochTokens = 0;
    this.drawn = false;
  }

  /** A fit onBatch log: { epoch, batch, batches, loss, sequences, tokens, tokensPerSecond }. */
  batch(log, epoch = log.epoch) {
    if (log.batch === 1) { this.epochLoss = 0; this.epochTokens = 0; this.lastQuarter = 0; }
    this.batchesDone++;
    this.epochLoss += log.loss * log.sequences;
    this.epochTokens += this.perSequence ? log.sequences : log.tokens;
    const elapsed = (performance.now() - this.started) / 1000;
    const total = this.epochs * log.batches;
    const eta = (elapsed / this.batchesDone) * Math.max(0, total - this.batchesDone);
    const loss = this.epochLoss / Math.max(1, this.epochTokens);
    // The fields in the order shown, each with its rank: on a narrow terminal the lowest go first.
    const parts = [
      [`epoch ${epoch}/${this.lastEpoch}`, 5], [`batch ${log.batch}/${log.batches}`, 2], [`loss ${loss.toFixed(4)}`, 4],
      [`${rate(log.tokensPerSecond)} ${this.unit}/s`, 1], [`ETA ${clock(eta)}`, 3],
    ];
    const fields = parts.map(([f]) => f).join("  ");
    if (this.tty) {
      const now = performance.now();
      if (now - this.lastDraw < 100 && log.batch !== log.batches) return;
      this.lastDraw = now;
      // Never wider than the terminal (a wrapped line cannot be redrawn with \r): the bar shrinks
      // first, then goes; then whole fields go, the least needed first (speed, batch, ETA, loss).
      const width = this.stream.columns || 120;
      const bar = Math.min(BAR, width - fields.length - 4);
      const filled = Math.round((bar * log.batch) / log.batches);
      let text;
      if (bar >= 5) text = `[${"█".repeat(filled)}${"░".repeat(bar - filled)}] ${fields}`;
      else {
        const kept = parts.slice();
        const join = () => kept.map(([f]) => f).join("  ");
        while (kept.length > 1 && join().length > width - 1) kept.splice(kept.indexOf(kept.reduce((a, b) => (b[1] < a[1] ? b : a))), 1);
        text = join().slice(0, Math.max(1, width - 1));
      }
      this.stream.write(`\r\x1b[K${text}`);
      this.drawn = true;
    } else {
      const quarter = Math.floor((4 * log.batch) / log.batches);
      if (quarter > this.lastQuarter) {
        this.lastQuarter = quarter;
        this.stream.write(`${fields}\n`);
      }
    }
  }

  /** Print a whole line (an epoch's summary) under the bar. */
  line(text) {
    if (this.tty && this.drawn) this.stream.write("\r\x1b[K");
    this.drawn = false;
    this.stream.write(`${text}\n`);
  }

  /** The mean loss per scored step of the epoch so far (what the bar shows). */
  get loss() {
    return this.epochLoss / Math.max(1, this.epochTokens);
  }
}
