// Version stacks, moves and custom metadata in the emulator: strict about ids and places, and
// limited like Frame.io (10 stacks a minute, 10 bulk metadata updates a minute).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { acct, api } from './helpers.js';

let emu: Emulator;
beforeEach(async () => {
  emu = await startEmulator({ store: 'discard' });
});
afterEach(async () => {
  await emu.close();
});

const file = async (name: string, folder = emu.rootFolderId): Promise<string> => (await emu.addUploadedFile(folder, name, 10)).id;
const stack = (ids: unknown, folder = emu.rootFolderId) => api(emu, 'POST', `${acct(emu)}/folders/${folder}/version_stacks`, { data: { file_ids: ids } });
const children = async (folder = emu.rootFolderId) => (await api(emu, 'GET', `${acct(emu)}/folders/${folder}/children`)).json.data as Array<{ id: string; type: string; name: string }>;

describe('version stacks', () => {
  it('stacks 2 files oldest first; children show the stack, not the files; a move adds a version', async () => {
    const [a, b, c] = [await file('a_v1.mov'), await file('a_v2.mov'), await file('a_v3.mov')];
    const other = await file('other.mov');
    const r = await stack([a, b]);
    expect(r.status).toBe(201);
    expect(r.json.data).toMatchObject({ type: 'version_stack', name: 'a_v2.mov', parent_id: emu.rootFolderId });
    const sid = r.json.data.id as string;
    expect((await children()).map((x) => x.type).sort()).toEqual(['file', 'file', 'version_stack']);
    const moved = await api(emu, 'PATCH', `${acct(emu)}/files/${c}/move`, { data: { parent_id: sid } });
    expect(moved.status).toBe(200);
    expect(moved.json.data.parent_id).toBe(sid);
    expect(emu.versionStacks()).toEqual([expect.objectContaining({ id: sid, fileIds: [a, b, c] })]);
    expect((await children()).map((x) => x.id)).toEqual([sid, other]);
    // Back out into a folder.
    const out = await api(emu, 'PATCH', `${acct(emu)}/files/${c}/move`, { data: { parent_id: emu.rootFolderId } });
    expect(out.status).toBe(200);
    expect(emu.versionStacks()[0]!.fileIds).toEqual([a, b]);
  });

  it('refuses 1 or 11 files, duplicates, unknown ids, files elsewhere or already stacked (422)', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 11; i++) ids.push(await file(`x${i}.mov`));
    const sub = emu.createFolder(emu.rootFolderId, 'sub');
    const elsewhere = await file('e.mov', sub.id);
    expect((await stack([ids[0]])).status).toBe(422);
    expect((await stack(ids)).status).toBe(422);
    expect((await stack([ids[0], ids[0]])).status).toBe(422);
    expect((await stack([ids[0], 'nope'])).json.errors[0].source.pointer).toBe('/data/file_ids/1');
    expect((await stack([ids[0], elsewhere])).status).toBe(422);
    expect((await stack('x')).status).toBe(422);
    expect((await stack([ids[0], ids[1]])).status).toBe(201);
    expect((await stack([ids[1], ids[2]])).status).toBe(422);
    const bad = await api(emu, 'PATCH', `${acct(emu)}/files/${ids[3]}/move`, { data: { parent_id: 'nowhere' } });
    expect(bad.status).toBe(422);
    expect((await api(emu, 'PATCH', `${acct(emu)}/files/${ids[3]}/move`, { data: { parent_id: sub.id, extra: 1 } })).status).toBe(422);
  });

  it('allows 10 stack creations a minute, then 429', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await stack([await file(`p${i}a.mov`), await file(`p${i}b.mov`)])).status);
    expect(statuses.slice(0, 10).every((s) => s === 201)).toBe(true);
    expect(statuses[10]).toBe(429);
    expect(emu.stats().rateLimited.create_version_stack).toBe(1);
  });
});

describe('custom metadata', () => {
  const values = (fileIds: unknown, vals: unknown) => api(emu, 'PATCH', `${acct(emu)}/projects/${emu.projectId}/metadata/values`, { data: { file_ids: fileIds, values: vals } });

  it('defines fields, sets values on many files in one call (204), checks types and ids', async () => {
    const d = await api(emu, 'POST', `${acct(emu)}/metadata/field_definitions`, { data: { name: 'Render host', field_type: 'text' } });
    expect(d.status).toBe(201);
    const defId = d.json.data.id as string;
    expect((await api(emu, 'POST', `${acct(emu)}/metadata/field_definitions`, { data: { name: 'x', field_type: 'colour' } })).status).toBe(422);
    const listed = await api(emu, 'GET', `${acct(emu)}/metadata/field_definitions`);
    expect(listed.json.data).toEqual([{ id: defId, name: 'Render host', field_type: 'text' }]);
    const a = await file('a.mov');
    const b = await file('b.mov');
    const ok = await values([a, b], [{ field_definition_id: defId, value: 'box1' }]);
    expect(ok.status).toBe(204);
    expect(emu.metadataValues(a)).toEqual({ [defId]: 'box1' });
    expect(emu.metadataValues(b)).toEqual({ [defId]: 'box1' });
    expect((await values([a], [{ field_definition_id: defId, value: 3 }])).status).toBe(422);
    expect((await values([a], [{ field_definition_id: 'nope', value: 'x' }])).status).toBe(422);
    expect((await values(['nope'], [{ field_definition_id: defId, value: 'x' }])).status).toBe(422);
    expect((await values(Array.from({ length: 101 }, () => a), [{ field_definition_id: defId, value: 'x' }])).status).toBe(422);
  });

  it('allows 10 bulk updates a minute, then 429', async () => {
    const defId = (await api(emu, 'POST', `${acct(emu)}/metadata/field_definitions`, { data: { name: 'n', field_type: 'text' } })).json.data.id;
    const a = await file('a.mov');
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await values([a], [{ field_definition_id: defId, value: `v${i}` }])).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(204));
    expect(statuses[10]).toBe(429);
  });
});
