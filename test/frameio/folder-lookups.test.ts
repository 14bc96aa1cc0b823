// FolderResolver against the emulator over real sockets, counting the emulator's own request
// figures: listing is the scarce call (100/min on Frame.io against 3 folder creates a second), so
// a drop into many new directories must list each parent about once, never once per directory,
// and still make exactly one folder per name.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { createFrameioClient, FolderResolver, staticTokenAuth, type FrameioClient } from '../../src/frameio/index.js';
import { isAgentError } from '../../src/frameio/errors.js';

let emu: Emulator;
let client: FrameioClient;

beforeEach(async () => {
  // Pacing off: the figures asserted are call counts, not time (and 3 creates/s would make this slow).
  emu = await startEmulator({ rateLimits: false, seed: 11 });
  client = createFrameioClient({ apiUrl: emu.apiUrl, auth: staticTokenAuth(emu.token), retryBaseMs: 10, rateLimit: false });
});
afterEach(async () => {
  await client.close();
  await emu.close();
});

const lists = (): number => emu.stats().requests.list_folders ?? 0;
const creates = (): number => emu.stats().requests.create_folder ?? 0;

/** Every folder path in the emulator with how many folders carry it (1 = no duplicate). */
function pathCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const f of emu.folders()) {
    const p = emu.folderPath(f.id);
    counts.set(p, (counts.get(p) ?? 0) + 1);
  }
  return counts;
}

/**
 * Resolves every path `perPath` times at once, as that many files settling together would, in
 * waves of `wave` paths one after another: a drop settles over time, not in one instant (all at
 * once, every name would wait for one shared listing and hide a listing per directory).
 */
async function resolveAll(resolver: FolderResolver, paths: string[][], perPath: number, wave = paths.length): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let start = 0; start < paths.length; start += wave) {
    await Promise.all(
      paths.slice(start, start + wave).flatMap((segments) =>
        Array.from({ length: perPath }, async () => {
          const id = await resolver.resolve(emu.rootFolderId, segments);
          const key = segments.join('/');
          const before = out.get(key);
          if (before !== undefined) expect(id).toBe(before);
          out.set(key, id);
        }),
      ),
    );
  }
  return out;
}

describe('folder lookups per new directory', () => {
  it('500 files into 100 new sibling directories beside 250 existing ones: one paginated listing, one folder per name', async () => {
    // Enough existing folders that the one listing takes three pages (page size 100).
    for (let i = 0; i < 250; i++) emu.createFolder(emu.rootFolderId, `old-${String(i).padStart(3, '0')}`);
    const resolver = new FolderResolver(client, emu.accountId);
    const paths = Array.from({ length: 100 }, (_, i) => [`new-${i}`]);
    // 5 files per directory, as 500 files arriving in one drop, 10 directories settling at a time.
    const ids = await resolveAll(resolver, paths, 5, 10);

    expect(lists()).toBe(3);
    expect(lists()).toBeLessThanOrEqual(1.1 * 100);
    expect(creates()).toBe(100);
    const counts = pathCounts();
    for (let i = 0; i < 100; i++) expect(counts.get(`Root/new-${i}`)).toBe(1);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(ids.values()).size).toBe(100);
    // Existing folders are reused, not twinned, without another listing.
    const old = await resolver.resolve(emu.rootFolderId, ['old-042']);
    expect(emu.folderPath(old)).toBe('Root/old-042');
    expect(lists()).toBe(3);
  });

  it('20 files resolved at once per directory, 100 new directories: still one listing and one create each', async () => {
    const resolver = new FolderResolver(client, emu.accountId);
    const paths = Array.from({ length: 100 }, (_, i) => [`dir-${i}`]);
    await resolveAll(resolver, paths, 20, 1);
    expect(lists()).toBe(1);
    expect(creates()).toBe(100);
    expect([...pathCounts().values()].every((n) => n === 1)).toBe(true);
  });

  it('three levels deep (124 new directories), 20 at once per leaf: the base is listed once, new folders never', async () => {
    const resolver = new FolderResolver(client, emu.accountId);
    // 4 top folders, 20 distinct second-level folders, 100 leaves.
    const paths = Array.from({ length: 100 }, (_, i) => [`L1-${i % 4}`, `L2-${i % 10}`, `L3-${i}`]);
    const newDirs = new Set(paths.flatMap((p) => [p[0]!, `${p[0]}/${p[1]}`, p.join('/')])).size;
    expect(newDirs).toBe(124);
    await resolveAll(resolver, paths, 20, 5);
    expect(lists()).toBeLessThanOrEqual(1.1 * newDirs);
    // A folder this agent just made is known to be empty: only the base needed listing.
    expect(lists()).toBe(1);
    expect(creates()).toBe(newDirs);
    const counts = pathCounts();
    expect(counts.size).toBe(newDirs + 1);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });

  it('an existing tree three levels deep is listed once per existing parent and reused', async () => {
    const a = emu.createFolder(emu.rootFolderId, 'Show');
    const b = emu.createFolder(a.id, 'EP01');
    emu.createFolder(b.id, 'Renders');
    const resolver = new FolderResolver(client, emu.accountId);
    const ids = await resolveAll(resolver, [['Show', 'EP01', 'Renders'], ['Show', 'EP01', 'Audio'], ['Show', 'EP02', 'Renders']], 10, 1);
    expect(emu.folderPath(ids.get('Show/EP01/Renders')!)).toBe('Root/Show/EP01/Renders');
    // root, Show and EP01 existed and were listed once each; EP02 was made by us and never listed.
    expect(lists()).toBe(3);
    expect(creates()).toBe(3);
    expect([...pathCounts().values()].every((n) => n === 1)).toBe(true);
  });
});

describe('a folder deleted in Frame.io behind the agent', () => {
  it('a 404 creating an upload in it drops it; the next resolves recreate it once and list its parent once', async () => {
    const resolver = new FolderResolver(client, emu.accountId);
    const first = await resolver.resolve(emu.rootFolderId, ['Show', 'Day1']);
    const show = emu.folders().find((f) => f.name === 'Show')!;
    await emu.deleteFolder(first);
    const listsBefore = lists();

    // 20 uploads into the cached folder all hear 404 (each tells the resolver, once is enough).
    const errors = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        client.createLocalUpload(emu.accountId, first, { name: `clip-${i}.mov`, file_size: 10 }).then(
          () => undefined,
          (err: unknown) => err,
        ),
      ),
    );
    for (const err of errors) expect(isAgentError(err) && err.code).toBe('folder_gone');

    const again = await resolveAll(resolver, [['Show', 'Day1']], 20);
    const second = again.get('Show/Day1')!;
    expect(second).not.toBe(first);
    expect(emu.folderPath(second)).toBe('Root/Show/Day1');
    expect(emu.folders().filter((f) => f.name === 'Day1').map((f) => f.id)).toEqual([second]);
    // Show (still there) was listed once to see Day1 is gone; Day1 was then made without a listing.
    expect(lists() - listsBefore).toBe(1);
    expect(emu.folders().filter((f) => f.name === 'Show').map((f) => f.id)).toEqual([show.id]);
    // And the upload now goes in.
    const up = await client.createLocalUpload(emu.accountId, second, { name: 'clip.mov', file_size: 10 });
    expect(up.parent_id).toBe(second);
  });

  it('a whole deleted branch: the cached ids 404 one after another and the path is rebuilt once', async () => {
    const resolver = new FolderResolver(client, emu.accountId);
    const leaf = await resolver.resolve(emu.rootFolderId, ['Show', 'EP01', 'Renders']);
    const show = emu.folders().find((f) => f.name === 'Show')!;
    await emu.deleteFolder(show.id);
    await expect(client.createLocalUpload(emu.accountId, leaf, { name: 'a.mov', file_size: 1 })).rejects.toMatchObject({ code: 'folder_gone' });

    const ids = await resolveAll(resolver, [['Show', 'EP01', 'Renders'], ['Show', 'EP01', 'Audio']], 10);
    expect(emu.folderPath(ids.get('Show/EP01/Renders')!)).toBe('Root/Show/EP01/Renders');
    const counts = pathCounts();
    expect(counts.get('Root/Show')).toBe(1);
    expect(counts.get('Root/Show/EP01')).toBe(1);
    expect(counts.get('Root/Show/EP01/Renders')).toBe(1);
    expect(counts.get('Root/Show/EP01/Audio')).toBe(1);
  });

  it('without being told, a 404 listing or creating under a cached parent rebuilds from the base', async () => {
    const resolver = new FolderResolver(client, emu.accountId);
    await resolver.resolve(emu.rootFolderId, ['Show', 'EP01']);
    const show = emu.folders().find((f) => f.name === 'Show')!;
    await emu.deleteFolder(show.id);
    // EP02 is new under the cached (deleted) Show: its create answers 404.
    const ep2 = await resolver.resolve(emu.rootFolderId, ['Show', 'EP02']);
    expect(emu.folderPath(ep2)).toBe('Root/Show/EP02');
    expect(pathCounts().get('Root/Show')).toBe(1);
  });

  it('the base folder itself gone is an error naming it, not a loop', async () => {
    const base = emu.createFolder(emu.rootFolderId, 'Base');
    await emu.deleteFolder(base.id);
    const resolver = new FolderResolver(client, emu.accountId);
    await expect(resolver.resolve(base.id, ['A', 'B'])).rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining(base.id) });
    expect(creates()).toBe(0);
  });
});

describe('a create that failed after Frame.io made the folder', () => {
  it('the next resolve lists the parent again and uses that folder: no twin', async () => {
    // No retries: the lost answer is not recovered by the client, the resolve fails.
    const impatient = createFrameioClient({ apiUrl: emu.apiUrl, auth: staticTokenAuth(emu.token), rateLimit: false, maxRetries: 0, timeoutMs: 300 });
    try {
      const resolver = new FolderResolver(impatient, emu.accountId);
      await resolver.resolve(emu.rootFolderId, ['First']);
      emu.inject({ target: 'api', kind: 'hang-after', endpoint: 'create_folder' });
      await expect(resolver.resolve(emu.rootFolderId, ['Lost'])).rejects.toMatchObject({ code: 'timeout' });
      const made = emu.folders().filter((f) => f.name === 'Lost');
      expect(made).toHaveLength(1);
      expect(await resolver.resolve(emu.rootFolderId, ['Lost'])).toBe(made[0]!.id);
      expect(emu.folders().filter((f) => f.name === 'Lost')).toHaveLength(1);
    } finally {
      await impatient.close();
    }
  });
});
