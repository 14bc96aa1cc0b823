// Pacing against Frame.io's per-account-user limits together with the other agents that use the
// same credential and database: one token from a shared bucket per call (one statement), a wait
// when the bucket says so, and the server's 429 told to every agent. While the database cannot
// be reached the agent paces alone on its share (1/N), says so once, and asks the database again
// in the background (calls never wait on that). The arithmetic is shared-pace.ts.
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { EndpointKey, RateFigure } from './ratelimit.js';
import { LocalBuckets, bucketShape, outageStep, waitForLevel } from './shared-pace.js';
import { withDeadline } from '../util/deadline.js';

/**
 * Shared leaky buckets (JobStore.coordination provides them: see src/journal/store.ts). Takes
 * never refuse; they answer the level after the take, by the store's clock.
 */
export interface SharedBuckets {
  takeTokens(key: string, n: number, drainPerMs: number): Promise<number>;
  fillTokens(key: string, level: number, drainPerMs: number): Promise<void>;
  /** Agents last seen using the buckets (at least 1). */
  peers(): number;
}

export interface SharedLimitsOptions {
  buckets: SharedBuckets;
  /**
   * Whose budget: Frame.io counts per account user, so agents with the same scope share buckets
   * (e.g. the account id). Never a credential.
   */
  scope: string;
  clock: Clock;
  logger: Logger;
  /**
   * A take that has not answered by then counts as the database being unreachable (a network
   * that drops packets answers nothing at all): the call paces alone rather than hang. Default 2 s.
   */
  takeDeadlineMs?: number;
}

export const TAKE_DEADLINE_MS = 2000;

export class SharedLimits {
  private readonly local = new LocalBuckets();
  private downSince: number | undefined;
  private lastProbe = Number.NEGATIVE_INFINITY;
  private probing = false;
  /** Tokens taken from the shared buckets / paced alone (for tests and stats). */
  shared = 0;
  alone = 0;

  constructor(private readonly opts: SharedLimitsOptions) {}

  private key(endpoint: EndpointKey): string {
    return `frameio/${this.opts.scope}/${endpoint}`;
  }

  /** Resolves when a call to `endpoint` may go; the last wait before it is sent. */
  async wait(endpoint: EndpointKey, figure: RateFigure, signal?: AbortSignal): Promise<void> {
    const { clock } = this.opts;
    const shape = bucketShape(figure);
    const step = outageStep(this.downSince, this.lastProbe, this.probing, clock.now());
    let waitMs: number;
    if (step === 'shared') {
      try {
        // A take that answers after its deadline still counted its token: on the safe side.
        const take = this.opts.buckets.takeTokens(this.key(endpoint), 1, shape.drainPerMs);
        take.catch(() => undefined);
        waitMs = waitForLevel(await withDeadline(take, this.opts.takeDeadlineMs ?? TAKE_DEADLINE_MS), shape);
        this.shared += 1;
      } catch (err) {
        this.wentDown(err);
        waitMs = this.alone1(endpoint, figure);
      }
    } else {
      if (step === 'local+probe') this.probe(endpoint, shape.drainPerMs);
      waitMs = this.alone1(endpoint, figure);
    }
    if (waitMs > 0) await clock.sleep(waitMs, signal);
  }

  /** The server answered 429: its bucket is full, whatever the shared one says. Not awaited. */
  rateLimited(endpoint: EndpointKey, figure: RateFigure): void {
    const shape = bucketShape(figure);
    this.local.fill(this.key(endpoint), figure.limit * this.share(), bucketShape(figure, this.share()), this.opts.clock.now());
    if (this.downSince !== undefined) return;
    this.opts.buckets.fillTokens(this.key(endpoint), figure.limit, shape.drainPerMs).catch((err: unknown) => this.wentDown(err));
  }

  private share(): number {
    return 1 / Math.max(1, this.opts.buckets.peers());
  }

  private alone1(endpoint: EndpointKey, figure: RateFigure): number {
    this.alone += 1;
    return this.local.take(this.key(endpoint), bucketShape(figure, this.share()), this.opts.clock.now());
  }

  private wentDown(err: unknown): void {
    const now = this.opts.clock.now();
    this.lastProbe = now;
    if (this.downSince !== undefined) return;
    this.downSince = now;
    const n = Math.max(1, this.opts.buckets.peers());
    this.opts.logger.warn(
      `shared rate limits: the journal database cannot be reached (${(err as Error).message}); pacing alone at 1/${n} of Frame.io's limits until it is back`,
    );
  }

  /** One take in the background; its token is counted though the call paces alone (safe side). */
  private probe(endpoint: EndpointKey, drainPerMs: number): void {
    this.probing = true;
    this.lastProbe = this.opts.clock.now();
    this.opts.buckets.takeTokens(this.key(endpoint), 1, drainPerMs).then(
      () => {
        this.probing = false;
        if (this.downSince === undefined) return;
        this.opts.logger.info(`shared rate limits: the journal database is back after ${Math.round((this.opts.clock.now() - this.downSince) / 1000)} s; pacing with the other agents again`);
        this.downSince = undefined;
        this.local.clear();
      },
      () => {
        this.probing = false;
        this.lastProbe = this.opts.clock.now();
      },
    );
  }
}
