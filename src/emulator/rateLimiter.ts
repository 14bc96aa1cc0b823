// Frame.io V4 limits each endpoint per account user with a leaky bucket: a bucket holds
// `limit` requests and drains `limit` per window. Time comes in as an argument so it is testable.
import type { EndpointKey } from './types.js';

export interface Limit {
  limit: number;
  windowMs: number;
}

const PER_SECOND = (limit: number): Limit => ({ limit, windowMs: 1000 });
const PER_MINUTE = (limit: number): Limit => ({ limit, windowMs: 60_000 });

export const LIMITS: Record<EndpointKey, Limit> = {
  list_accounts: PER_MINUTE(100),
  list_workspaces: PER_MINUTE(100),
  list_projects: PER_MINUTE(100),
  show_project: PER_MINUTE(100),
  show_folder: PER_MINUTE(100),
  list_folders: PER_MINUTE(100),
  list_children: PER_MINUTE(100),
  list_files: PER_MINUTE(100),
  create_folder: PER_SECOND(3),
  create_local_upload: PER_SECOND(5),
  create_remote_upload: PER_SECOND(5),
  show_file: PER_SECOND(5),
  upload_status: PER_SECOND(5),
  delete_file: PER_SECOND(5),
  create_comment: PER_MINUTE(100),
  list_comments: PER_MINUTE(100),
  create_version_stack: PER_MINUTE(10),
  move_file: PER_MINUTE(100),
  list_field_definitions: PER_MINUTE(100),
  create_field_definition: PER_MINUTE(10),
  update_metadata_values: PER_MINUTE(10),
};

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  windowMs: number;
}

interface Bucket {
  level: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  enabled: boolean;
  private readonly limits: Record<EndpointKey, Limit>;

  /** `overrides` stand for an account on another plan: the figures enforced and advertised. */
  constructor(enabled: boolean, overrides: Partial<Record<EndpointKey, Limit>> = {}) {
    this.enabled = enabled;
    this.limits = { ...LIMITS, ...overrides };
  }

  private drained(key: string, limit: Limit, now: number): Bucket {
    const b = this.buckets.get(key) ?? { level: 0, at: now };
    const leaked = ((now - b.at) * limit.limit) / limit.windowMs;
    b.level = Math.max(0, b.level - leaked);
    b.at = now;
    this.buckets.set(key, b);
    return b;
  }

  /** Count one request by `principal` against `endpoint`; refuses it when the bucket is full. */
  take(principal: string, endpoint: EndpointKey, now: number): RateDecision {
    const limit = this.limits[endpoint];
    const b = this.drained(`${principal}\n${endpoint}`, limit, now);
    let allowed = true;
    if (this.enabled) {
      // A small epsilon absorbs float drift so a bucket that leaked exactly one slot admits one call.
      if (b.level + 1 > limit.limit + 1e-9) allowed = false;
      else b.level += 1;
    }
    const remaining = this.enabled ? Math.max(0, Math.floor(limit.limit - b.level + 1e-9)) : limit.limit;
    return { allowed, limit: limit.limit, remaining, windowMs: limit.windowMs };
  }

  /** Headers for an answer that did not consume a slot (401s, injected faults). */
  peek(principal: string, endpoint: EndpointKey, now: number): RateDecision {
    const limit = this.limits[endpoint];
    const b = this.drained(`${principal}\n${endpoint}`, limit, now);
    const remaining = this.enabled ? Math.max(0, Math.floor(limit.limit - b.level + 1e-9)) : limit.limit;
    return { allowed: remaining > 0, limit: limit.limit, remaining, windowMs: limit.windowMs };
  }
}
