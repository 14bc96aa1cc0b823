// Awaiting pipeline events in tests. Subscribe BEFORE causing the event: the bus delivers only
// what is published after a subscriber joined.
import type { PipelineEvent, PipelineEventOf, PipelineEventType, PipelineEvents } from '../../src/events/index.js';

export function nextEvent<K extends PipelineEventType>(
  bus: PipelineEvents,
  type: K,
  predicate: (e: PipelineEventOf<K>) => boolean = () => true,
  opts: { timeoutMs?: number } = {},
): Promise<PipelineEventOf<K>> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  return new Promise((resolve, reject) => {
    let settled = false;
    const off = bus.subscribe([type], (e) => {
      if (settled || !predicate(e)) return;
      settled = true;
      clearTimeout(timer);
      off();
      resolve(e);
    }, { name: `nextEvent(${type})`, bufferSize: 100_000 });
    const timer = setTimeout(() => {
      settled = true;
      off();
      reject(new Error(`no '${type}' event matching the test's condition within ${timeoutMs} ms`));
    }, timeoutMs);
  });
}

/** Every event from now on, in order; `stop()` unsubscribes. */
export function recordEvents(bus: PipelineEvents): { events: PipelineEvent[]; of<K extends PipelineEventType>(type: K): Array<PipelineEventOf<K>>; types(relPath?: string): string[]; stop(): void } {
  const events: PipelineEvent[] = [];
  const stop = bus.subscribe((e) => void events.push(e), { name: 'test recorder', bufferSize: 100_000 });
  return {
    events,
    of: <K extends PipelineEventType>(type: K) => events.filter((e) => e.type === type) as Array<PipelineEventOf<K>>,
    types: (relPath?: string) => events.filter((e) => relPath === undefined || e.relPath === relPath).map((e) => e.type),
    stop,
  };
}
