// The history recorder batches events into few writes and never lets a failing write reach
// the pipeline (it logs once and carries on).
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events/index.js';
import { HistoryRecorder } from '../../src/journal/history-recorder.js';
import type { JobEventRecord } from '../../src/journal/index.js';
import { recordingLogger } from '../helpers/logger.js';

const ref = { watch: 'hot', relPath: 'a.mov', jobId: 1 };

describe('HistoryRecorder', () => {
  it('writes a burst in one batch, without progress or part-done events', async () => {
    const batches: JobEventRecord[][] = [];
    const bus = new EventBus();
    const rec = new HistoryRecorder({ readonly: false, appendEvents: async (b) => void batches.push([...b]) }, recordingLogger()).attach(bus);
    bus.publish({ type: 'seen', ...ref, time: 1, size: 5 });
    for (let i = 0; i < 50; i++) bus.publish({ type: 'progress', ...ref, time: 2, bytes: i, size: 5 });
    bus.publish({ type: 'part-done', ...ref, time: 3, index: 0, bytes: 5 });
    bus.publish({ type: 'routed', ...ref, time: 4, folderId: 'f', folderPath: 'Shots' });
    await bus.drained();
    expect(batches).toEqual([]); // buffered, not written per event
    await rec.close();
    expect(batches).toEqual([[
      { jobId: 1, time: 1, type: 'seen', data: { size: 5 } },
      { jobId: 1, time: 4, type: 'routed', data: { folderId: 'f', folderPath: 'Shots' } },
    ]]);
  });

  it('a failing store loses history lines only: logged once, later writes still tried', async () => {
    let calls = 0;
    const logger = recordingLogger();
    const bus = new EventBus();
    const rec = new HistoryRecorder({ readonly: false, appendEvents: async () => { calls++; throw new Error('disk full'); } }, logger).attach(bus);
    bus.publish({ type: 'seen', ...ref, time: 1, size: 5 });
    await bus.drained();
    await rec.flush();
    bus.publish({ type: 'settled', ...ref, time: 2, size: 5 });
    await bus.drained();
    await rec.close();
    expect(calls).toBe(2);
    expect(logger.records.filter((r) => /file history not written: disk full/.test(r.message))).toHaveLength(1);
  });
});
