// Issue 14's partition test: agent A reaches PostgreSQL through a proxy the test can cut (bytes
// held both ways, no reset, as a dead route does), agent B reaches it directly. A holds a
// multi-part upload when the link is cut for longer than the lease. B takes the upload over and
// finalizes it; A, cut off, starts nothing new, and when the link comes back it does not finalize
// the file whose lease it lost: the original is moved once, by B.
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { postgresPerFile } from '../helpers/postgres.js';
import { pause, waitFor } from '../helpers/wait.js';
import { fileBytes, jobRows, listFiles, MiB, multiAgentEnv, ownerOf, sha256 } from './harness.js';
import { apiRecorder, partitionProxy } from './proxies.js';

const LEASE_S = 5; // the smallest lease the config allows

const pgServer = postgresPerFile();

const uploadedAt = (records: Array<Record<string, unknown>>): Array<{ path: string; at: number }> =>
  records.filter((r) => r.event === 'uploaded').map((r) => ({ path: String(r.path), at: Date.parse(String(r.timestamp)) }));

describe('an agent cut off from the database for longer than its lease', () => {
  it('starts no new work and does not finalize the upload it lost; the agent that took it over finalizes it once', async () => {
    const env = await multiAgentEnv({
      pg: pgServer.server(),
      database: 'multi_partition',
      leaseSeconds: LEASE_S,
      upload: { max_workers: 4, max_files: 2 },
      emulator: { rateLimits: true, statusLagMs: 300, partSizeTarget: MiB, linkBytesPerSecond: 3_000_000 },
    });
    const dbProxy = await partitionProxy(pgServer.server().port);
    const api = await apiRecorder(env.emu.apiUrl);
    try {
      const bigRel = 'masters/reel1.mov';
      const big = fileBytes(40 * MiB + 11, 99);
      await fs.mkdir(path.join(env.hot, 'masters'), { recursive: true });
      await fs.writeFile(path.join(env.hot, bigRel), big);
      const expected = new Map<string, string>([[bigRel, sha256(big)]]);

      const a = await env.startAgent('a', { dbUrl: pgServer.server().url('multi_partition').replace(`:${pgServer.server().port}/`, `:${dbProxy.port}/`), apiUrl: api.apiUrl });
      await a.waitForOutput(/watching /, 30_000);
      const held = await waitFor(
        async () => (await jobRows(env.db, "j.rel_path = $1 AND j.state = 'uploading' AND j.owner IS NOT NULL", [bigRel])).find((r) => r.parts_done >= 2 && r.parts_done <= r.parts_count! - 10),
        { what: 'A uploading the big file with parts done', timeoutMs: 30_000, intervalMs: 100 },
      );
      expect(await ownerOf(env.db, a)).toBe(held.owner);
      const b = await env.startAgent('b');
      await b.waitForOutput(/watching /, 30_000);

      dbProxy.cut();
      const cutAt = Date.now();
      // New work while A is cut off: only B may start it.
      for (let i = 0; i < 20; i++) {
        const rel = `late/shot_${String(i).padStart(2, '0')}.exr`;
        const data = fileBytes(20_000 + i * 1000, 200 + i);
        await fs.mkdir(path.join(env.hot, 'late'), { recursive: true });
        await fs.writeFile(path.join(env.hot, rel), data);
        expected.set(rel, sha256(data));
      }

      await waitFor(
        async () => {
          const [row] = await jobRows(env.db, 'j.id = $1', [held.id]);
          return row && row.owner !== null && row.owner !== held.owner;
        },
        { what: 'B taking the big upload over', timeoutMs: LEASE_S * 1000 + 10_000, intervalMs: 100 },
      );
      await waitFor(async () => (await listFiles(env.done)).length >= expected.size && (await jobRows(env.db, "j.state <> 'done'")).length === 0, {
        what: `B finishing all ${expected.size} files (B: ${b.stderr().slice(-400)})`,
        timeoutMs: 60_000,
        intervalMs: 250,
      });
      // Part of the scenario: the outage lasts well past A's lease, whatever B's speed.
      const outage = 2 * LEASE_S * 1000 - (Date.now() - cutAt);
      if (outage > 0) await pause(outage);

      dbProxy.heal();
      // A talks to the database again (its held queries go through, its pool reconnects) …
      await waitFor(() => dbProxy.bytesSinceHeal() > 0 || a.child.exitCode !== null, { what: 'A reaching the database after the heal', timeoutMs: 2 * LEASE_S * 1000 });
      // … and gets a full lease's time to do anything stale it was going to do; nothing may come of it.
      await pause(LEASE_S * 1000);

      // Originals: each moved exactly once, intact; nothing left behind.
      expect(await listFiles(env.hot)).toEqual([]);
      expect(await listFiles(env.done)).toEqual([...expected.keys()].sort());
      for (const [rel, hash] of expected) expect(sha256(await fs.readFile(path.join(env.done, rel))), rel).toBe(hash);
      // Frame.io: each once, complete, byte-identical; the big one the upload A began.
      const live = env.emu.files().filter((f) => !f.deleted);
      expect(live.filter((f) => !f.uploadComplete).map((f) => f.name), 'placeholders left').toEqual([]);
      expect(live).toHaveLength(expected.size);
      for (const [rel, hash] of expected) {
        const f = live.find((x) => `${env.emu.folderPath(x.parentId)}/${x.name}` === `Root/${rel}`);
        expect(f, rel).toBeDefined();
        expect(sha256(await env.emu.readFile(f!.id)), rel).toBe(hash);
      }
      expect(live.find((f) => f.name === 'reel1.mov')!.id).toBe(held.file_id);
      expect(env.emu.stats().rateLimitedTotal).toBe(0);

      // A started nothing once its lease had lapsed: its only upload is the one it began before the cut.
      const creates = api.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/files/local_upload'));
      expect(creates.filter((c) => c.at > cutAt + LEASE_S * 1000), 'uploads A created after its lease lapsed').toEqual([]);
      expect(creates).toHaveLength(1);

      // Finalized once, by B: A reported no upload after the cut (least of all the big one).
      const aDone = uploadedAt(await a.logRecords());
      const bDone = uploadedAt(await b.logRecords());
      expect(aDone.filter((r) => r.at >= cutAt), 'files A finalized after the cut').toEqual([]);
      expect(bDone.filter((r) => r.path === bigRel)).toHaveLength(1);
      // The takeover raised the fence: whatever A still had to say about the job was refused.
      const [final] = await jobRows(env.db, 'j.id = $1', [held.id]);
      expect(final!.state).toBe('done');
      expect(final!.fence).toBeGreaterThan(held.fence);

      // A said so where a person looks: cut off longer than a lease, it starts nothing new.
      expect(a.stderr()).toMatch(/out of reach/);

      for (const p of [a, b]) p.child.kill('SIGTERM');
      expect((await b.exited).code, b.stderr().slice(-2000)).toBe(0);
      await a.exited;
    } finally {
      await api.close();
      await dbProxy.close();
      await env.close();
    }
  }, 180_000);
  it('an agent paused past its lease (SIGSTOP) wakes to refused writes: the file is finalized once, by the agent that took it over', async () => {
    // The partition above is noticed on the agent's own lease clock before any write is tried;
    // a paused process (a VM stalled, a laptop lid closed) wakes believing it still holds its
    // claim, with writes already under way: only the fence stops those.
    const env = await multiAgentEnv({
      pg: pgServer.server(),
      database: 'multi_pause',
      leaseSeconds: LEASE_S,
      upload: { max_workers: 4, max_files: 2 },
      emulator: { rateLimits: true, statusLagMs: 300, partSizeTarget: MiB, linkBytesPerSecond: 3_000_000 },
    });
    try {
      const bigRel = 'masters/reel2.mov';
      const big = fileBytes(40 * MiB + 5, 77);
      await fs.mkdir(path.join(env.hot, 'masters'), { recursive: true });
      await fs.writeFile(path.join(env.hot, bigRel), big);
      const a = await env.startAgent('a');
      await a.waitForOutput(/watching /, 30_000);
      const held = await waitFor(
        async () => (await jobRows(env.db, "j.rel_path = $1 AND j.state = 'uploading' AND j.owner IS NOT NULL", [bigRel])).find((r) => r.parts_done >= 2 && r.parts_done <= r.parts_count! - 15),
        { what: 'A uploading the big file with parts done', timeoutMs: 30_000, intervalMs: 100 },
      );
      const b = await env.startAgent('b');
      await b.waitForOutput(/watching /, 30_000);
      a.child.kill('SIGSTOP');
      const taken = await waitFor(
        async () => {
          const [row] = await jobRows(env.db, 'j.id = $1', [held.id]);
          return row && row.owner !== null && row.owner !== held.owner ? row : undefined;
        },
        { what: 'B taking the big upload over while A sleeps', timeoutMs: LEASE_S * 1000 + 15_000, intervalMs: 100 },
      );
      // A wakes while B is still uploading the same file: both believe they hold it.
      expect(taken.state).toBe('uploading');
      a.child.kill('SIGCONT');
      await waitFor(async () => (await listFiles(env.done)).includes(bigRel) && (await jobRows(env.db, "j.state <> 'done'")).length === 0, {
        what: 'the big file finished',
        timeoutMs: 60_000,
        intervalMs: 250,
      });
      // A gets a lease's time after waking to do whatever stale thing it was about to do.
      await pause(LEASE_S * 1000);

      expect(await listFiles(env.hot)).toEqual([]);
      expect(await listFiles(env.done)).toEqual([bigRel]);
      expect(sha256(await fs.readFile(path.join(env.done, bigRel)))).toBe(sha256(big));
      const live = env.emu.files().filter((f) => !f.deleted);
      expect(live.map((f) => f.id)).toEqual([held.file_id]);
      expect(sha256(await env.emu.readFile(held.file_id!))).toBe(sha256(big));
      const aDone = uploadedAt(await a.logRecords()).filter((r) => r.path === bigRel);
      const bDone = uploadedAt(await b.logRecords()).filter((r) => r.path === bigRel);
      expect(aDone, 'A finalized the file it had lost').toEqual([]);
      expect(bDone).toHaveLength(1);
      const [final] = await jobRows(env.db, 'j.id = $1', [held.id]);
      expect(final!.fence).toBeGreaterThan(held.fence);

      for (const p of [a, b]) p.child.kill('SIGTERM');
      expect((await b.exited).code, b.stderr().slice(-2000)).toBe(0);
      await a.exited;
    } finally {
      await env.close();
    }
  }, 180_000);
});
