// FolderResolver with SharedFolders, against in-process fakes (the real database and emulator:
// shared-folders.test.ts): what it reads and writes under the lock, and that it ignores a note
// naming a folder it found gone.
import { describe, expect, it } from 'vitest';
import { FolderResolver, type FolderApi, type SharedFolders } from '../../src/frameio/folders.js';
import type { Folder } from '../../src/frameio/types.js';
import { JournalError, isStoreUnwritable } from '../../src/journal/index.js';

function fakeApi(): FolderApi & { folders: Folder[]; lists: number; creates: number; goneListener?: (id: string) => boolean } {
  let n = 0;
  const api = {
    folders: [] as Folder[],
    lists: 0,
    creates: 0,
    goneListener: undefined as ((id: string) => boolean) | undefined,
    async listSubfolders(_a: string, parent: string) {
      api.lists += 1;
      return api.folders.filter((f) => f.parent_id === parent);
    },
    async createFolder(_a: string, parent: string, name: string) {
      api.creates += 1;
      const f = { id: `f${++n}`, name, parent_id: parent, type: 'folder' } as Folder;
      api.folders.push(f);
      return f;
    },
    onFolderGone(listener: (id: string) => boolean) {
      api.goneListener = listener;
      return () => undefined;
    },
  };
  return api;
}

function fakeShared(): SharedFolders & { notes: Map<string, string>; locks: string[] } {
  const notes = new Map<string, string>();
  const locks: string[] = [];
  return {
    notes,
    locks,
    async withLock(key, fn) {
      locks.push(key);
      return fn();
    },
    async getNote(key) {
      return notes.get(key);
    },
    async setNote(key, value) {
      notes.set(key, value);
    },
  };
}

describe('FolderResolver with shared folders', () => {
  it('creates under the lock and notes the id (made: empty) for the other agents', async () => {
    const api = fakeApi();
    const shared = fakeShared();
    const id = await new FolderResolver(api, 'acc', { shared }).resolve('root', ['A', 'B']);
    expect(shared.locks).toEqual(['frameio-folder/acc/root/A', 'frameio-folder/acc/f1/B']);
    expect(JSON.parse(shared.notes.get('frameio-folder/acc/f1/B')!)).toEqual({ id, made: true });
    // A made folder counts as listed and empty: one listing (the root) for two new folders.
    expect(api.lists).toBe(1);
  });

  it('takes a noted folder without creating it, and trusts it as empty when its maker made it', async () => {
    const api = fakeApi();
    const shared = fakeShared();
    api.folders.push({ id: 'theirs', name: 'A', parent_id: 'root', type: 'folder' } as Folder);
    shared.notes.set('frameio-folder/acc/root/A', JSON.stringify({ id: 'theirs', made: true }));
    // Our listing of the root predates their folder: it is not in it.
    const resolver = new FolderResolver(api, 'acc', { shared });
    api.folders.length = 0;
    expect(await resolver.resolve('root', ['A', 'B'])).toBe('f1');
    expect(api.folders.map((f) => `${f.parent_id}/${f.name}`)).toEqual(['theirs/B']);
    expect(api.lists).toBe(1);
  });

  it('a note naming a folder found gone since is not used: the folder is made again and the note replaced', async () => {
    const api = fakeApi();
    const shared = fakeShared();
    shared.notes.set('frameio-folder/acc/root/A', JSON.stringify({ id: 'deleted', made: true }));
    const resolver = new FolderResolver(api, 'acc', { shared });
    expect(await resolver.resolve('root', ['A'])).toBe('deleted');
    // An upload into it answered 404: the client tells the resolver.
    expect(api.goneListener!('deleted')).toBe(true);
    const again = await resolver.resolve('root', ['A']);
    expect(again).toBe('f1');
    expect(JSON.parse(shared.notes.get('frameio-folder/acc/root/A')!)).toEqual({ id: 'f1', made: true });
  });

  it('a failed lock (journal unreachable) fails the resolve and creates nothing', async () => {
    const api = fakeApi();
    const shared = fakeShared();
    shared.withLock = async () => {
      throw new JournalError('unwritable', 'database down');
    };
    // The runner holds a file whose journal is unwritable, and tries it again later.
    const err = await new FolderResolver(api, 'acc', { shared }).resolve('root', ['A']).catch((e: unknown) => e);
    expect(isStoreUnwritable(err)).toBe(true);
    expect(api.creates).toBe(0);
  });

  it('without shared folders nothing changes: no lock, no note', async () => {
    const api = fakeApi();
    const shared = fakeShared();
    await new FolderResolver(api, 'acc').resolve('root', ['A', 'B']);
    expect(shared.locks).toEqual([]);
    expect(api.creates).toBe(2);
    expect(api.lists).toBe(1);
  });
});
