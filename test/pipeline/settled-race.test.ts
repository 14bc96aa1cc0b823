// The runner's duplicate guard with an async job store: two settled events for one path must
// never both start a pipeline, even though the first one waits on the store before it is tracked.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { AgentError } from '../../src/frameio/errors.js';
import { SqliteJobStore, type JobStore } from '../../src/journal/index.js';
import { Runner, type RunnerClient, type RunnerWatch } from '../../src/pipeline/runner.js';
import { realClock } from '../../src/util/clock.js';
import { recordingLogger } from '../helpers/agent-env.js';
import { tempDir } from '../helpers/tmp.js';

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

describe('Runner.handleSettled', () => {
  it('a second settled event for a path while the first awaits the store does not start a second upload', async () => {
    const t = await tempDir('fia-race-');
    cleanup.push(() => t.cleanup());
    const hot = path.join(t.dir, 'hot');
    await fs.mkdir(hot);
    const file = path.join(hot, 'a.mov');
    await fs.writeFile(file, 'data');
    const config = parseConfig(
      [
        'frameio:',
        '  token: t',
        '  account_id: acc',
        `state_dir: ${JSON.stringify(path.join(t.dir, 'state'))}`,
        'watches:',
        '  - name: hot',
        `    path: ${JSON.stringify(hot)}`,
        '    folder_id: root',
        '    on_failure: { action: leave }',
        '',
      ].join('\n'),
      { fileName: 'race.yaml', env: {}, baseDir: t.dir },
    );
    const store: JobStore = SqliteJobStore.inStateDir(config.stateDir);
    cleanup.push(() => store.close());
    let creates = 0;
    // An in-process fake client: the create call is what a second pipeline would repeat.
    const client: RunnerClient = {
      createLocalUpload: async () => {
        creates++;
        throw new AgentError({ code: 'forbidden', kind: 'permanent', message: 'not allowed' });
      },
      getUploadStatus: async () => ({ upload_complete: false }) as never,
      getFile: async (_a, id) => ({ id, status: 'created' }),
      deleteFile: async () => undefined,
      listFiles: async () => [],
    };
    const watch: RunnerWatch = { recheck: async () => 'same', resettle: () => undefined, markHandled: () => undefined, forget: () => undefined, pending: () => 0 };
    const runner = new Runner({ config, accountId: 'acc', client, folders: { resolve: async (id) => id }, journal: store, logger: recordingLogger(), clock: realClock });
    runner.addWatch(config.watches[0]!, watch);
    const st = await fs.stat(file);
    const facts = { path: file, relPath: 'a.mov', size: st.size, mtimeMs: st.mtimeMs, dev: st.dev, ino: st.ino };

    await Promise.all([runner.handleSettled('hot', facts), runner.handleSettled('hot', facts)]);
    await runner.whenIdle(10);

    expect(creates).toBe(1);
    expect(runner.summary.failed).toBe(1);
    expect(await store.get('hot', 'a.mov')).toMatchObject({ state: 'failed', lastErrorCode: 'forbidden' });
  });
});
