// The bus reports outages per job (outage-began / outage-ended); observers want one state for
// the agent: offline from the first job that waits on an outage until none does. A job that
// fails or finishes while waiting no longer holds the agent offline.
import type { PipelineEvent } from './types.js';

export type OutageChange = 'offline' | 'online' | undefined;

export class AgentOutage {
  private readonly waiting = new Set<number>();
  /** The first job's reason, for messages. */
  reason: { code: string; message: string; since: number } | undefined;

  get offline(): boolean {
    return this.waiting.size > 0;
  }

  /** Feed every event; returns 'offline' / 'online' when the agent-level state changed. */
  apply(e: PipelineEvent): OutageChange {
    const was = this.offline;
    if (e.type === 'outage-began') {
      this.waiting.add(e.jobId);
      if (!was) this.reason = { code: e.code, message: e.message, since: e.time };
    } else if (e.type === 'outage-ended' || e.type === 'failed' || e.type === 'finalized') {
      this.waiting.delete(e.jobId);
    } else return undefined;
    if (was === this.offline) return undefined;
    if (!this.offline) this.reason = undefined;
    return this.offline ? 'offline' : 'online';
  }
}
