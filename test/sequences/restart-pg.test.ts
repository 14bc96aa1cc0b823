// What a restart goes on with, kept in PostgreSQL's settings table instead of SQLite's: an open
// image sequence and a version stacking left undone. The whole agent twice over one database (each
// start opens its own store, as a new process would), real files, the strict emulator.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PgJobStore } from '../../src/journal/index.js';
import { EventBus } from '../../src/events/index.js';
import { agentEnv, type AgentEnv } from '../helpers/agent-env.js';
import { nextEvent } from '../helpers/events.js';
import { sharedPostgres, type TestPostgres } from '../helpers/postgres.js';
import { waitFor } from '../helpers/wait.js';

let server: TestPostgres;
let env: AgentEnv | undefined;
const stores: PgJobStore[] = [];

beforeAll(async () => {
  server = await sharedPostgres();
}, 120_000);
afterEach(async () => {
  await env?.close();
  env = undefined;
  for (const s of stores.splice(0)) await s.close();
});
afterAll(async () => {
  await server?.stop();
});

async function writeFrames(hot: string, first: number, last: number, missing: Set<number>): Promise<number> {
  await fs.mkdir(path.join(hot, 'r'), { recursive: true });
  let bytes = 0;
  for (let f = first; f <= last; f++) {
    if (missing.has(f)) continue;
    await fs.writeFile(path.join(hot, 'r', `sh070.${f}.exr`), Buffer.alloc(1000 + f, 7));
    bytes += 1000 + f;
  }
  return bytes;
}

describe('restart state in PostgreSQL', () => {
  it('an open sequence and an undone stacking go on after the restart', async () => {
    const url = await server.createDatabase(`seq${process.pid}`);
    env = await agentEnv();
    const watchYaml = ['sequences:', '  enabled: true', '  quiet_seconds: 4', 'versions: {}'].join('\n');
    const open = async (): Promise<PgJobStore> => {
      const s = await PgJobStore.open(url);
      stores.push(s);
      return s;
    };
    // The stacking's first try fails (all the client's attempts) and its retry is a minute away.
    env.emu.inject({ target: 'api', kind: '503', endpoint: 'create_version_stack', count: 4 });
    const first = await env.start({ watchYaml, store: await open(), agent: { marksRetryBaseMs: 60_000 } });
    const ids = new Map<string, string>();
    first.events.subscribe((e) => e.type === 'verified', (e) => void (e.type === 'verified' && ids.set(e.relPath, e.fileId!)));
    await env.write('promo_v001.mov', 'one');
    await waitFor(() => ids.has('promo_v001.mov'), { what: 'v001 uploaded' });
    await env.write('promo_v002.mov', 'two');
    await waitFor(() => env!.logger.records.some((r) => /stacking promo_v002\.mov .*trying again/.test(r.message)), { timeoutMs: 30_000, what: 'the stacking waiting to retry' });
    const firstBytes = await writeFrames(env.hot, 101, 110, new Set([105]));
    await waitFor(async () => (await first.status()).sequences?.find((s) => s.name === 'sh070' && s.uploaded === 9 && s.state !== 'complete'), { timeoutMs: 30_000, what: '9 frames uploaded' });
    await first.stop();
    const secondBytes = await writeFrames(env.hot, 111, 115, new Set());

    const bus = new EventBus();
    const done = nextEvent(bus, 'sequence-complete', (e) => e.name === 'sh070', { timeoutMs: 30_000 });
    const second = await env.start({ watchYaml, store: await open(), events: bus });
    expect(await done).toMatchObject({ first: 101, last: 115, frames: 14, uploaded: 14, gaps: '105', bytes: firstBytes + secondBytes });
    await second.versions!.idle();
    expect(env.emu.versionStacks().map((s) => s.fileIds)).toEqual([[ids.get('promo_v001.mov'), ids.get('promo_v002.mov')]]);
    expect(env.emu.stats().requests.create_local_upload).toBe(16);
    await waitFor(async () => (await second.journal.listSettings('after-upload/')).size === 0 && (await second.journal.listSettings('sequence-track/')).size === 0, {
      what: 'the kept state cleared',
    });
  }, 90_000);
});
