// Orphaned placeholders: only those this job made are removed (its attempt window), never
// another uploader's `created` file of the same name and size; and through the whole agent, a
// create whose answer is lost leaves exactly one folder and one file, no placeholder.
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { createFrameioClient, staticTokenAuth } from '../../src/frameio/index.js';
import type { Job } from '../../src/journal/index.js';
import { ATTEMPT_SKEW_MS, OrphanSweeper, placeholdersOf } from '../../src/pipeline/orphans.js';
import { realClock } from '../../src/util/clock.js';
import { agentEnv, recordingLogger, type AgentEnv } from '../helpers/agent-env.js';
import { pattern, waitFor } from '../helpers/tmp.js';

let env: AgentEnv | undefined;
let emu: Emulator | undefined;
afterEach(async () => {
  await env?.close();
  await emu?.close();
  env = emu = undefined;
});

const iso = (ms: number): string => new Date(ms).toISOString();

describe('placeholdersOf', () => {
  const since = Date.parse('2026-01-01T12:00:00Z');
  const f = (id: string, over: Partial<{ name: string; file_size: number; status: string; created_at: string }> = {}) => ({
    id, name: 'clip.mov', file_size: 10, status: 'created', created_at: iso(since + 500), ...over,
  });

  it('takes created files of the name and size made within the attempt window', () => {
    expect(placeholdersOf([f('a')], { name: 'clip.mov', size: 10, since })).toEqual(['a']);
    expect(placeholdersOf([f('skew', { created_at: iso(since - ATTEMPT_SKEW_MS) })], { name: 'clip.mov', size: 10, since })).toEqual(['skew']);
  });

  it('leaves older ones (another uploader in flight), other names, sizes and finished uploads', () => {
    const files = [
      f('older', { created_at: iso(since - ATTEMPT_SKEW_MS - 1) }),
      f('name', { name: 'other.mov' }),
      f('size', { file_size: 11 }),
      f('done', { status: 'uploaded' }),
      f('undated', { created_at: undefined as unknown as string }),
    ];
    expect(placeholdersOf(files, { name: 'clip.mov', size: 10, since })).toEqual([]);
  });

  it('takes a recorded id whatever its age', () => {
    expect(placeholdersOf([f('old', { created_at: iso(0) })], { name: 'clip.mov', size: 10, since }, new Set(['old']))).toEqual(['old']);
  });
});

describe('OrphanSweeper against the emulator', () => {
  it('at start, removes the settled job placeholder and leaves an older one of the same name and size', async () => {
    emu = await startEmulator({ rateLimits: false });
    const client = createFrameioClient({ apiUrl: emu.apiUrl, auth: staticTokenAuth(emu.token) });
    try {
      const other = await client.createLocalUpload(emu.accountId, emu.rootFolderId, { name: 'clip.mov', file_size: 10 });
      // Another uploader's placeholder, made before this job's attempt window opened.
      await waitFor(() => Date.now() > Date.parse(other.created_at) + ATTEMPT_SKEW_MS + 5, { intervalMs: 20 });
      const attemptAt = Date.now();
      const ours = await client.createLocalUpload(emu.accountId, emu.rootFolderId, { name: 'clip.mov', file_size: 10 });
      const job = { id: 1, relPath: 'show/clip.mov', size: 10, folderId: emu.rootFolderId, updatedAt: attemptAt } as Job;
      const logger = recordingLogger();
      await new OrphanSweeper({ client, accountId: emu.accountId, logger, clock: realClock }).removeForSettledJob(job);
      expect(emu.files().filter((x) => !x.deleted).map((x) => x.id)).toEqual([other.id]);
      expect(logger.text()).toContain(`file ${ours.id}`);
    } finally {
      await client.close();
    }
  });
});

describe('lost answers through the whole agent', () => {
  const live = (e: AgentEnv) => e.emu.files().filter((f) => !f.deleted);

  it('create folder and create upload lose their answers: one NewShow, one file each, no placeholder', async () => {
    env = await agentEnv({ partSizeTarget: 64 * 1024 });
    env.emu.inject({ target: 'api', kind: 'reset-after', endpoint: 'create_folder' });
    env.emu.inject({ target: 'api', kind: 'reset-after', endpoint: 'create_local_upload' });
    const agent = await env.start();
    await env.write('NewShow/a.mov', pattern(200_000, 1));
    await env.write('NewShow/b.mov', pattern(100_000, 2));
    await waitFor(() => agent.runner.summary.done === 2, { what: '2 uploads', timeoutMs: 20_000 });
    const shows = env.emu.folders().filter((f) => f.name === 'NewShow');
    expect(shows).toHaveLength(1);
    const files = live(env);
    expect(files.map((f) => f.name).sort()).toEqual(['a.mov', 'b.mov']);
    for (const f of files) {
      expect(f.parentId).toBe(shows[0]!.id);
      expect(f.uploadComplete).toBe(true);
    }
    expect(env.emu.stats().faultsInjected).toBe(2);
  });

  it('every retry of the create loses its answer: the runner removes the last placeholder while running', async () => {
    env = await agentEnv({ partSizeTarget: 64 * 1024 });
    // The client tries 1 + 3 times; all four lose their answer, so the call fails for the runner.
    env.emu.inject({ target: 'api', kind: 'reset-after', endpoint: 'create_local_upload', count: 4 });
    const agent = await env.start();
    const data = pattern(150_000, 3);
    await env.write('clip.mov', data);
    await waitFor(() => agent.runner.summary.done === 1, { what: 'upload', timeoutMs: 20_000 });
    const files = live(env);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatchObject({ name: 'clip.mov', uploadComplete: true });
    expect((await env.emu.readFile(files[0]!.id)).equals(data)).toBe(true);
    expect(env.emu.files().filter((f) => f.deleted)).toHaveLength(4);
    expect(env.logger.text()).toMatch(/removing the unfinished upload of clip\.mov made by a create call whose answer was lost/);
  });
});
