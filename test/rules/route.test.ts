import { describe, expect, it } from 'vitest';
import { route } from '../../src/rules/route.js';
import { renderFolderTemplate } from '../../src/rules/template.js';
import { watchConfig } from './watch-fixture.js';

const now = new Date(2024, 2, 7, 23, 30); // local time: 2024-03-07

describe('renderFolderTemplate', () => {
  const file = { relPath: 'shots/sh010/clip.v2.mov' };
  it('fills each placeholder', () => {
    expect(renderFolderTemplate('{dir}', file, now)).toEqual(['shots', 'sh010']);
    expect(renderFolderTemplate('{name}', file, now)).toEqual(['clip.v2.mov']);
    expect(renderFolderTemplate('{stem}', file, now)).toEqual(['clip.v2']);
    expect(renderFolderTemplate('By type/{ext}', file, now)).toEqual(['By type', 'mov']);
    expect(renderFolderTemplate('{date}', file, now)).toEqual(['2024-03-07']);
    expect(renderFolderTemplate('Renders/{date}/{dir}/{stem}-{ext}', file, now)).toEqual(['Renders', '2024-03-07', 'shots', 'sh010', 'clip.v2-mov']);
  });

  it('drops {dir} for a file at the root', () => {
    expect(renderFolderTemplate('Renders/{dir}', { relPath: 'clip.mov' }, now)).toEqual(['Renders']);
    expect(renderFolderTemplate('{dir}/{stem}', { relPath: 'clip.mov' }, now)).toEqual(['clip']);
    expect(renderFolderTemplate('{dir}', { relPath: 'clip.mov' }, now)).toEqual([]);
  });

  it('refuses a template that renders an empty folder name', () => {
    expect(() => renderFolderTemplate('x/{ext}', { relPath: 'Makefile' }, now)).toThrow("folder template 'x/{ext}' gives the folder name '' for 'Makefile'");
  });
});

describe('route', () => {
  it('without rules: mirrors the relative directory under the watch folder', () => {
    expect(route({ relPath: 'a/b/clip.mov' }, watchConfig(), now)).toEqual({ skip: false, folderId: 'root-id', segments: ['a', 'b'] });
    expect(route({ relPath: 'clip.mov' }, watchConfig(), now)).toEqual({ skip: false, folderId: 'root-id', segments: [] });
  });

  it('without mirroring: everything goes to the root of the folder', () => {
    expect(route({ relPath: 'a/b/clip.mov' }, watchConfig({ mirrorSubfolders: false }), now)).toEqual({ skip: false, folderId: 'root-id', segments: [] });
  });

  const rules = watchConfig({
    rules: [
      { match: '**/proxies/**', skip: true, line: 3 },
      { match: '**/*.exr', skip: false, folder: 'Renders/{dir}' },
      { match: '**/*.{mov,mp4}', skip: false, folderId: 'video-id' },
      { match: '**/*.wav', skip: false, folderId: 'audio-id', folder: '{date}' },
      { match: '**/*', skip: false, folder: 'Other' },
    ],
  });

  it('first matching rule wins', () => {
    expect(route({ relPath: 'day1/proxies/clip.mov' }, rules, now)).toEqual({ skip: true, reason: "skipped by rule 1 (match '**/proxies/**', line 3)" });
    expect(route({ relPath: 'day1/clip.mov' }, rules, now)).toEqual({ skip: false, folderId: 'video-id', segments: ['day1'], rule: 2 });
  });

  it('a folder template goes under the watch folder, or under the rule folder_id', () => {
    expect(route({ relPath: 'sh010/f.0001.exr' }, rules, now)).toEqual({ skip: false, folderId: 'root-id', segments: ['Renders', 'sh010'], rule: 1 });
    expect(route({ relPath: 'f.0001.exr' }, rules, now)).toEqual({ skip: false, folderId: 'root-id', segments: ['Renders'], rule: 1 });
    expect(route({ relPath: 'x/a.wav' }, rules, now)).toEqual({ skip: false, folderId: 'audio-id', segments: ['2024-03-07'], rule: 3 });
    expect(route({ relPath: 'x/notes.txt' }, rules, now)).toEqual({ skip: false, folderId: 'root-id', segments: ['Other'], rule: 4 });
  });

  it('a rule with only folder_id mirrors subfolders only when mirror_subfolders is on', () => {
    const off = { ...rules, mirrorSubfolders: false };
    expect(route({ relPath: 'day1/clip.mp4' }, off, now)).toEqual({ skip: false, folderId: 'video-id', segments: [], rule: 2 });
  });

  it('skips with a reason when a template cannot name a folder for this file', () => {
    const w = watchConfig({ rules: [{ match: '*', skip: false, folder: 'by-ext/{ext}' }] });
    expect(route({ relPath: 'README' }, w, now)).toEqual({ skip: true, reason: "rule 1 (match '*'): folder template 'by-ext/{ext}' gives the folder name '' for 'README'" });
  });

  it('refuses paths that are not normalized relative paths', () => {
    for (const relPath of ['', '/abs/x.mov', '../x.mov', 'a//b.mov', 'a/./b.mov']) {
      expect(route({ relPath }, watchConfig(), now).skip, relPath).toBe(true);
    }
  });
});

describe('agent.example.yaml', () => {
  it('its proxies skip rule wins over the broader .mov rule (first match wins)', async () => {
    const fsP = await import('node:fs/promises');
    const { parseConfig } = await import('../../src/config/index.js');
    const { route: routeFn } = await import('../../src/rules/index.js');
    const text = await fsP.readFile(new URL('../../agent.example.yaml', import.meta.url), 'utf8');
    const cfg = parseConfig(text, { fileName: 'agent.example.yaml', env: { FRAMEIO_TOKEN: 't' }, baseDir: '/tmp' });
    const r = routeFn({ relPath: 'shot1/proxies/p.mov' }, cfg.watches[0]!, new Date());
    expect(r.skip).toBe(true);
  });
});
