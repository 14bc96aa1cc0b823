// Server-sent events: pipeline events pushed to each open status page. Each client is bounded:
// when its socket backs up, events are dropped and it gets one `resync` (fetch the status
// again) once the socket drains, so a stalled tab costs a fixed amount of memory, never more.
import type { ServerResponse } from 'node:http';
import type { PipelineEvent } from '../events/index.js';

/** Bytes buffered in a client's socket before its events are dropped. */
const HIGH_WATER = 256 * 1024;
/** Progress events per job are sent at most this often: the bars need no more. */
const PROGRESS_MS = 250;
const HEARTBEAT_MS = 15_000;

class Client {
  private behind = false;
  private readonly lastProgress = new Map<number, number>();

  constructor(readonly res: ServerResponse) {
    res.on('drain', () => {
      if (this.behind) {
        this.behind = false;
        this.write('resync', {});
      }
    });
  }

  send(e: PipelineEvent, now: number): void {
    if (e.type === 'progress') {
      const last = this.lastProgress.get(e.jobId);
      if (last !== undefined && now - last < PROGRESS_MS) return;
      this.lastProgress.set(e.jobId, now);
    } else if (e.type === 'finalized' || e.type === 'failed') {
      this.lastProgress.delete(e.jobId);
    }
    this.write('pipeline', e);
  }

  write(name: string, data: unknown): void {
    if (this.behind) return;
    if (this.res.writableLength > HIGH_WATER) {
      this.behind = true;
      return;
    }
    this.res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  }
}

export class EventStream {
  private readonly clients = new Set<Client>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    this.heartbeat = setInterval(() => {
      for (const c of this.clients) c.res.write(': keep-alive\n\n');
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  open(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    const client = new Client(res);
    this.clients.add(client);
    res.on('close', () => this.clients.delete(client));
  }

  publish(e: PipelineEvent): void {
    const now = this.now();
    for (const c of this.clients) c.send(e, now);
  }

  /** A change that is not a pipeline event (paused, resumed, retried). */
  notice(name: string, data: unknown): void {
    for (const c of this.clients) c.write(name, data);
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const c of this.clients) c.res.end();
    this.clients.clear();
  }
}
