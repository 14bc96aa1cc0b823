// Sequence progress as kept in the job store's settings, one key per sequence run, so
// `frameio-agent status` (another process, reading the journal) can list what the agent follows.
import type { SequenceInfo } from '../events/types.js';
import type { JobStore } from '../journal/store.js';

export const SEQUENCE_PREFIX = 'sequence/';

/** One sequence in status: its watch, its `dir/name.####.ext`, and its figures. */
export interface SequenceStatusEntry extends SequenceInfo {
  watch: string;
  sequence: string;
  /** Its review proxy (src/sequences/proxy), once one was started. */
  proxy?: ProxyStatus;
}

/** Settings key prefix of the proxy records (`proxy/<watch>/<sequence>`, src/sequences/proxy/maker.ts). */
export const PROXY_PREFIX = 'proxy/';

export interface ProxyStatus {
  state: 'rendering' | 'rendered' | 'uploaded' | 'failed';
  /** The movie's path under the derived watch `<watch>:proxy` (its name in Frame.io). */
  path: string;
  first: number;
  last: number;
  error?: string;
}

/** What status reads of a proxy record (src/sequences/proxy/maker.ts ProxyRecord). */
export type ProxyRecordView = Omit<ProxyStatus, 'path'> & { watch: string; sequence: string; relPath: string };

/** Each completed sequence's proxy, from the proxy records: matched by watch and sequence. */
export function withProxies(entries: SequenceStatusEntry[], records: Iterable<ProxyRecordView>): SequenceStatusEntry[] {
  const byKey = new Map<string, ProxyStatus>();
  for (const r of records) byKey.set(`${r.watch}\0${r.sequence}`, { state: r.state, path: r.relPath, first: r.first, last: r.last, ...(r.error ? { error: r.error } : {}) });
  return entries.map((e) => {
    const p = e.state === 'complete' ? byKey.get(`${e.watch}\0${e.sequence}`) : undefined;
    return p ? { ...e, proxy: p } : e;
  });
}

export function sequenceSettingKey(watch: string, key: string, startedAt: number): string {
  return `${SEQUENCE_PREFIX}${watch}/${key}@${startedAt}`;
}

/** The saved sequences, open first, then the most recently completed. */
export async function readSequenceStatus(store: Pick<JobStore, 'listSettings'>): Promise<SequenceStatusEntry[]> {
  const out: SequenceStatusEntry[] = [];
  for (const value of (await store.listSettings(SEQUENCE_PREFIX)).values()) {
    try {
      const e = JSON.parse(value) as SequenceStatusEntry;
      if (typeof e.watch === 'string' && typeof e.sequence === 'string') out.push(e);
    } catch {
      /* a damaged record is only a missing status line */
    }
  }
  const open = out.filter((e) => e.state !== 'complete').sort((a, b) => b.startedAt - a.startedAt);
  const done = out.filter((e) => e.state === 'complete').sort((a, b) => (b.completedAt ?? 0) - (a.completedAt ?? 0));
  const proxies: ProxyRecordView[] = [];
  for (const value of (await store.listSettings(PROXY_PREFIX)).values()) {
    try {
      proxies.push(JSON.parse(value) as ProxyRecordView);
    } catch {
      /* a damaged record: no proxy shown */
    }
  }
  return withProxies([...open, ...done], proxies);
}
