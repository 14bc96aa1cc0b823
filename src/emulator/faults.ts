// Scripted faults (inject: consumed in order, first match wins) and probabilistic ones
// (seeded RNG, so a failing benchmark or soak run can be replayed with the same seed).
import type { Random } from './rng.js';
import type { ApiFaultKind, LostAnswerKind, EndpointKey, FaultOptions, OneShotFault, PartFaultKind } from './types.js';

export interface ApiFault {
  kind: ApiFaultKind;
  retryAfter: string | null;
}

interface Pending {
  fault: OneShotFault;
  left: number;
}

export class FaultPlan {
  private readonly queue: Pending[] = [];
  private rates: FaultOptions;
  injectedCount = 0;

  constructor(private readonly random: Random, rates: FaultOptions = {}) {
    this.rates = { ...rates };
  }

  setRates(rates: FaultOptions): void {
    this.rates = { ...rates };
  }

  inject(fault: OneShotFault): void {
    const left = fault.count ?? 1;
    if (!Number.isInteger(left) || left < 1) throw new RangeError(`fault count must be a positive integer, got ${String(fault.count)}`);
    this.queue.push({ fault, left });
  }

  private take(match: (f: OneShotFault) => boolean): OneShotFault | undefined {
    const i = this.queue.findIndex((p) => match(p.fault));
    if (i < 0) return undefined;
    const p = this.queue[i]!;
    p.left -= 1;
    if (p.left <= 0) this.queue.splice(i, 1);
    this.injectedCount += 1;
    return p.fault;
  }

  private roll(rate: number | undefined): boolean {
    return rate !== undefined && rate > 0 && this.random() < rate;
  }

  partFault(partIndex: number): PartFaultKind | undefined {
    const f = this.take((x) => x.target === 'part' && (x.partIndex === undefined || x.partIndex === partIndex));
    if (f && f.target === 'part') return f.kind;
    if (this.roll(this.rates.partErrorRate)) {
      this.injectedCount += 1;
      return this.random() < 0.5 ? '500' : '503';
    }
    if (this.roll(this.rates.partResetRate)) {
      this.injectedCount += 1;
      return 'reset';
    }
    return undefined;
  }

  apiFault(endpoint: EndpointKey): ApiFault | undefined {
    const f = this.take((x) => x.target === 'api' && (x.endpoint === undefined || x.endpoint === endpoint));
    if (f && f.target === 'api') return { kind: f.kind, retryAfter: f.retryAfter === undefined ? '1' : f.retryAfter };
    if (this.roll(this.rates.api429Rate)) {
      this.injectedCount += 1;
      return { kind: '429', retryAfter: '1' };
    }
    if ((endpoint === 'create_folder' || endpoint === 'create_local_upload') && this.roll(this.rates.lostAnswerRate)) {
      this.injectedCount += 1;
      return { kind: 'reset-after', retryAfter: null };
    }
    if (this.roll(this.rates.api5xxRate)) {
      this.injectedCount += 1;
      return { kind: this.random() < 0.5 ? '500' : '503', retryAfter: null };
    }
    return undefined;
  }

  /** Asked once per upload, when its last part arrives. */
  uploadFails(): boolean {
    if (this.take((x) => x.target === 'upload')) return true;
    if (this.roll(this.rates.uploadFailRate)) {
      this.injectedCount += 1;
      return true;
    }
    return false;
  }
}

export function isLostAnswer(kind: string): kind is LostAnswerKind {
  return kind === 'reset-after' || kind === 'hang-after';
}
