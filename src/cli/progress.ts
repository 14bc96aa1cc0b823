// Per-file progress for people. On a terminal: one live bar per file (bytes, speed, time
// left), redrawn in place at most 10 times a second. Elsewhere (CI, cron, a log file): a
// plain line per file every few seconds, so logs stay readable and small.
import { formatBytes, formatDuration, formatRate } from '../util/format.js';

interface Entry {
  name: string;
  total: number;
  bytes: number;
  startedAt: number;
  lastPlainAt: number;
  /**
   * Speed over a sliding window so the figure follows the wire, not the average since start. Only
   * this session's bytes: a resumed upload's first sample is its resumed bytes, not 0.
   */
  samples: Array<[number, number]>;
}

/** How long the speed window looks back. */
const WINDOW_MS = 3000;
/** Longer than any wait between two updates of a moving upload (under a limit a stream reads at least every 2 s). */
const GAP_MS = 30_000;

/**
 * Speed (bytes/s) and time left (ms, NaN while unknown) from [time, bytes] samples of one session:
 * bytes sent before it (parts resumed from the journal) must be in the first sample, so they move
 * the percentage and never the rate.
 */
export function rateAndEta(samples: ReadonlyArray<readonly [number, number]>, total: number): { bps: number; etaMs: number } {
  if (samples.length < 2) return { bps: 0, etaMs: Number.NaN };
  const [t0, b0] = samples[0]!;
  const [t1, b1] = samples[samples.length - 1]!;
  const bps = t1 > t0 ? Math.max(0, ((b1 - b0) * 1000) / (t1 - t0)) : 0;
  return { bps, etaMs: bps > 0 ? (Math.max(0, total - b1) / bps) * 1000 : Number.NaN };
}

export interface ProgressOptions {
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  tty?: boolean;
  plainIntervalMs?: number;
  now?: () => number;
}

export class ProgressView {
  private readonly entries = new Map<string, Entry>();
  private readonly stream: ProgressOptions['stream'];
  private readonly tty: boolean;
  private readonly plainIntervalMs: number;
  private readonly now: () => number;
  private drawnLines = 0;
  private lastDraw = 0;

  constructor(opts: ProgressOptions) {
    this.stream = opts.stream;
    this.tty = opts.tty ?? Boolean(opts.stream.isTTY);
    this.plainIntervalMs = opts.plainIntervalMs ?? 5000;
    this.now = opts.now ?? Date.now;
  }

  /**
   * A bar for a file. `resumed`: bytes already stored when this session starts (parts resumed from
   * the journal), counted in the percentage but not in the rate; when not known, the first update
   * starts the rate instead.
   */
  start(id: string, name: string, total: number, resumed?: number): void {
    const t = this.now();
    this.entries.set(id, { name, total, bytes: resumed ?? 0, startedAt: t, lastPlainAt: t, samples: resumed === undefined ? [] : [[t, resumed]] });
    this.redraw(true);
  }

  update(id: string, bytes: number): void {
    const e = this.entries.get(id);
    if (!e) return;
    const t = this.now();
    e.bytes = bytes;
    // Nothing for far longer than updates come (a pause, a stall): the bytes since came after it,
    // so a rate across the gap would read near zero with an ETA of hours. Start the window anew.
    const last = e.samples.at(-1);
    if (last && t - last[0] > GAP_MS) e.samples = [];
    e.samples.push([t, bytes]);
    while (e.samples.length > 2 && t - e.samples[0]![0] > WINDOW_MS) e.samples.shift();
    if (this.tty) {
      this.redraw(false);
    } else if (t - e.lastPlainAt >= this.plainIntervalMs) {
      e.lastPlainAt = t;
      this.stream.write(`${this.describe(e, t)}\n`);
    }
  }

  /** Remove the bar and print the file's final line in its place. */
  end(id: string, line?: string): void {
    this.entries.delete(id);
    this.writeLine(line);
  }

  /**
   * Write to another stream that shares the terminal (stdout results): the bars are cleared
   * first and drawn again after, so the cursor movement never erases the line.
   */
  around(write: () => void): void {
    if (this.tty) this.clear();
    write();
    if (this.tty) this.redraw(true);
  }

  /** Print a line above the bars (log output goes through here so bars never garble it). */
  writeLine(line?: string): void {
    if (this.tty) this.clear();
    if (line !== undefined) this.stream.write(line.endsWith('\n') ? line : `${line}\n`);
    if (this.tty) this.redraw(true);
  }

  describe(e: Entry, t = this.now()): string {
    const pct = e.total > 0 ? Math.floor((e.bytes / e.total) * 100) : 100;
    const { bps: speed, etaMs: eta } = rateAndEta(e.samples, e.total);
    return `${e.name} ${pct}% ${formatBytes(e.bytes)}/${formatBytes(e.total)} ${formatRate(speed)} ETA ${formatDuration(eta)} (${formatDuration(t - e.startedAt)} elapsed)`;
  }

  private bar(e: Entry): string {
    const width = 24;
    const frac = e.total > 0 ? Math.min(1, e.bytes / e.total) : 1;
    const filled = Math.round(frac * width);
    const { bps: speed, etaMs: eta } = rateAndEta(e.samples, e.total);
    const cols = this.stream.columns ?? 100;
    const name = e.name.length > 30 ? `…${e.name.slice(-29)}` : e.name.padEnd(30);
    const line = `${name} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(frac * 100)).padStart(3)}% ${formatBytes(e.bytes)}/${formatBytes(e.total)} ${formatRate(speed)} ETA ${formatDuration(eta)}`;
    return line.slice(0, Math.max(20, cols - 1));
  }

  private clear(): void {
    if (this.drawnLines > 0) {
      this.stream.write(`\x1b[${this.drawnLines}A\x1b[0J`);
      this.drawnLines = 0;
    }
  }

  private redraw(force: boolean): void {
    if (!this.tty) return;
    const t = this.now();
    if (!force && t - this.lastDraw < 100) return;
    this.lastDraw = t;
    this.clear();
    const lines = [...this.entries.values()].map((e) => this.bar(e));
    if (lines.length > 0) this.stream.write(lines.join('\n') + '\n');
    this.drawnLines = lines.length;
  }
}
