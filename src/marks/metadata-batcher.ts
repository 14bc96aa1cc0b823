// Frame.io allows 10 bulk metadata updates a minute, each setting the same values on many files.
// Files waiting for the same values are gathered and sent together: every `flushMs` or as soon as
// a group reaches `maxIds`. Field definitions are looked up by name once per run.
import type { FrameioClient } from '../frameio/index.js';
import type { Logger } from '../util/logger.js';
import type { RetryQueue } from '../versions/retry-queue.js';

/** Not documented by Frame.io; the emulator refuses more, so larger batches would fail there first. */
export const MAX_IDS_PER_UPDATE = 100;

interface Group {
  projectId: string;
  values: Array<{ field: string; value: string }>;
  fileIds: string[];
}

export interface MetadataBatcherOptions {
  client: FrameioClient;
  accountId: string;
  queue: RetryQueue;
  logger: Logger;
  flushMs?: number;
  maxIds?: number;
  /** Create a text field definition when the account has none of that name (default true). */
  createMissing?: boolean;
  /** A bulk call's files are done with: sent, or refused for good (not when it ran out of retries). */
  settled?(fileIds: string[]): void | Promise<void>;
}

export class MetadataBatcher {
  private readonly groups = new Map<string, Group>();
  private defs: Promise<Map<string, string>> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Bulk calls sent (successful or not). */
  calls = 0;

  constructor(private readonly opts: MetadataBatcherOptions) {}

  add(projectId: string, fileId: string, values: Array<{ field: string; value: string }>): void {
    const key = JSON.stringify([projectId, values]);
    let g = this.groups.get(key);
    if (!g) this.groups.set(key, (g = { projectId, values, fileIds: [] }));
    g.fileIds.push(fileId);
    if (g.fileIds.length >= (this.opts.maxIds ?? MAX_IDS_PER_UPDATE)) this.send(key);
    else this.timer ??= setTimeout(() => this.flush(), this.opts.flushMs ?? 6000).unref();
  }

  /** Sends every waiting group now (on the queue: paced by the client, retried on failure). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const key of [...this.groups.keys()]) this.send(key);
  }

  private send(key: string): void {
    const g = this.groups.get(key)!;
    this.groups.delete(key);
    const max = this.opts.maxIds ?? MAX_IDS_PER_UPDATE;
    for (let i = 0; i < g.fileIds.length; i += max) {
      const ids = g.fileIds.slice(i, i + max);
      this.opts.queue.push({
        what: `setting metadata (${g.values.map((v) => v.field).join(', ')}) on ${ids.length} file(s)`,
        run: async () => {
          const defs = await this.definitions(g.values.map((v) => v.field));
          const values = g.values.map((v) => ({ field_definition_id: defs.get(v.field)!, value: v.value }));
          this.calls += 1;
          await this.opts.client.updateMetadataValues(this.opts.accountId, g.projectId, ids, values);
        },
        finished: (outcome) => (outcome === 'gave-up' ? undefined : this.opts.settled?.(ids)),
      });
    }
  }

  /** Field name → definition id, listed once; missing ones created as text fields (once). */
  private async definitions(names: string[]): Promise<Map<string, string>> {
    const { client, accountId } = this.opts;
    this.defs ??= client.listFieldDefinitions(accountId).then((list) => new Map(list.map((d) => [d.name, d.id])));
    let defs: Map<string, string>;
    try {
      defs = await this.defs;
    } catch (err) {
      this.defs = undefined; // listed again on the retry
      throw err;
    }
    for (const name of names) {
      if (defs.has(name)) continue;
      if (this.opts.createMissing === false) throw new Error(`no metadata field named "${name}" in the account (create it in Frame.io)`);
      const made = await client.createFieldDefinition(accountId, name, 'text');
      this.opts.logger.info(`created the metadata field "${name}" (text) in Frame.io`);
      defs.set(name, made.id);
    }
    return defs;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
