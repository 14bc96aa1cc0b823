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
  /** Speed over a sliding window so the figure follows the wire, not the average since start. */
  samples: Array<[number, number]>;
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

  start(id: string, name: string, total: number): void {
    const t = this.now();
    this.entries.set(id, { name, total, bytes: 0, startedAt: t, lastPlainAt: t, samples: [[t, 0]] });
    this.redraw(true);
  }

  update(id: string, bytes: number): void {
    const e = this.entries.get(id);
    if (!e) return;
    const t = this.now();
    e.bytes = bytes;
    e.samples.push([t, bytes]);
    while (e.samples.length > 2 && t - e.samples[0]![0] > 3000) e.samples.shift();
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

  private speed(e: Entry): number {
    const first = e.samples[0]!;
    const last = e.samples[e.samples.length - 1]!;
    const dt = last[0] - first[0];
    return dt > 0 ? ((last[1] - first[1]) * 1000) / dt : 0;
  }

  describe(e: Entry, t = this.now()): string {
    const pct = e.total > 0 ? Math.floor((e.bytes / e.total) * 100) : 100;
    const speed = this.speed(e);
    const eta = speed > 0 ? ((e.total - e.bytes) / speed) * 1000 : Number.NaN;
    return `${e.name} ${pct}% ${formatBytes(e.bytes)}/${formatBytes(e.total)} ${formatRate(speed)} ETA ${formatDuration(eta)} (${formatDuration(t - e.startedAt)} elapsed)`;
  }

  private bar(e: Entry): string {
    const width = 24;
    const frac = e.total > 0 ? Math.min(1, e.bytes / e.total) : 1;
    const filled = Math.round(frac * width);
    const speed = this.speed(e);
    const eta = speed > 0 ? ((e.total - e.bytes) / speed) * 1000 : Number.NaN;
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
