// Two progress figures for one file: bytes handed to the network (fine-grained, for bars; a
// failed attempt's bytes are taken back so it never double counts) and bytes in finished parts
// (coarse, like the Python SDK's on_progress). Parts skipped on resume count as done from the start.
import type { EventEmitter } from 'node:events';
import type { Logger } from '../util/logger.js';

export interface ProgressCallbacks {
  onProgress?: ((bytesUploaded: number, totalBytes: number) => void) | undefined;
  onBytes?: ((bytesSent: number, totalBytes: number) => void) | undefined;
}

export class ProgressTracker {
  private sent: number;
  private finished: number;

  constructor(
    private readonly total: number,
    alreadyDone: number,
    private readonly callbacks: ProgressCallbacks,
    private readonly emitter: EventEmitter,
    private readonly logger: Logger,
    private readonly name: string,
  ) {
    this.sent = alreadyDone;
    this.finished = alreadyDone;
  }

  get bytesSent(): number {
    return this.sent;
  }

  moved(delta: number): void {
    this.sent += delta;
    this.safely('onBytes', () => this.callbacks.onBytes?.(this.sent, this.total));
    this.safely('progress listener', () => this.emitter.emit('progress', this.sent, this.total));
  }

  partFinished(size: number): void {
    this.finished += size;
    this.safely('onProgress', () => this.callbacks.onProgress?.(this.finished, this.total));
  }

  // A broken progress bar must not fail an upload.
  private safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logger.warn(`${what} callback for "${this.name}" threw; ignored`, { error: String(err) });
    }
  }
}
