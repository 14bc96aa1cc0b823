// `check --plan` over a real temp tree: each file's destination by the rules (templates,
// mirror_subfolders), or the reason it is skipped, with bounded output for big trees. No
// network: the config points at a port nothing listens on.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIO } from '../helpers/memory-io.js';
import { tempDir } from '../helpers/tmp.js';

let dir: string;
let cleanup: () => Promise<void>;
let hot: string;
let cfg: string;

async function put(rel: string, data = 'x'): Promise<void> {
  const p = path.join(hot, ...rel.split('/'));
  await fs.mkdir(path.dirname(p), { recursive: true });
  await fs.writeFile(p, data);
}

async function check(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIO({}, dir);
  const code = await main(['check', '--config', cfg, ...args], io);
  return { code, out: io.stdoutText(), err: io.stderrText() };
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('fia-plan-'));
  hot = path.join(dir, 'hot');
  await put('show/ep1/a.mov');
  await put('show/ep1/notes.txt');
  await put('dailies/d1.mov');
  await put('proxies/p.mov');
  await put('render.mov.part');
  await put('.hidden.mov');
  await put('draft_cut.mov');
  await put('_uploaded/old.mov');
  await fs.symlink(path.join(dir, 'outside.mov'), path.join(hot, 'link.mov'));
  await fs.writeFile(path.join(dir, 'outside.mov'), 'secret');
  cfg = path.join(dir, 'agent.yaml');
  await fs.writeFile(
    cfg,
    [
      'frameio:',
      '  api_url: http://127.0.0.1:9',
      '  account_id: acc',
      '  token: t0ken-not-used',
      `state_dir: ${path.join(dir, 'state')}`,
      'watches:',
      '  - name: hot',
      `    path: ${hot}`,
      '    folder_id: ROOT',
      '    mirror_subfolders: true',
      '    include: ["**/*.mov"]',
      '    exclude: ["proxies"]',
      '    after_upload:',
      '      action: move',
      `      to: ${path.join(hot, '_uploaded')}`,
      '    rules:',
      '      - match: "draft_*"',
      '        skip: true',
      '      - match: "dailies/**"',
      '        folder_id: DAILIES',
      '        folder: "{date}/{stem}"',
      '',
    ].join('\n'),
  );
});
afterAll(async () => cleanup());

describe('check --plan', () => {
  it('names the destination of every file by the rules, and why the others are skipped', async () => {
    const r = await check(['--plan']);
    expect(r.code, r.err).toBe(0);
    const d = new Date();
    const today = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    const line = (rel: string): string => r.out.split('\n').find((l) => l.startsWith(`  ${rel}`)) ?? `(no line for ${rel})`;
    expect(line('show/ep1/a.mov')).toBe('  show/ep1/a.mov  →  folder ROOT / show/ep1');
    expect(line('dailies/d1.mov')).toBe(`  dailies/d1.mov  →  folder DAILIES / ${today}/d1  (rule 2)`);
    expect(line('draft_cut.mov')).toMatch(/skipped: skipped by rule 1 \(match 'draft_\*'/);
    expect(line('show/ep1/notes.txt')).toMatch(/skipped: not matched by include/);
    expect(line('proxies/')).toMatch(/skipped: excluded by 'proxies'/);
    expect(line('render.mov.part')).toMatch(/skipped: ignored by default/);
    expect(line('.hidden.mov')).toMatch(/skipped: ignored by default/);
    expect(line('_uploaded/')).toMatch(/skipped: inside the agent's own move target/);
    expect(line('link.mov')).toMatch(/skipped: symbolic link: symbolic links are not followed/);
    // Entered folders' files are counted; the proxies and _uploaded folders are not entered.
    expect(r.out).toMatch(/total: 7 file\(s\): 2 to upload, 5 skipped; 2 folder\(s\) not entered/);
    expect(r.out).not.toContain('p.mov');
    expect(r.out).not.toContain('old.mov');
    // A plan never writes: no state_dir, no journal.
    await expect(fs.access(path.join(dir, 'state'))).rejects.toThrow();
  });

  it('bounds the listing with --limit and counts the rest', async () => {
    const r = await check(['--plan', '--limit', '3']);
    expect(r.code, r.err).toBe(0);
    const listed = r.out.split('\n').filter((l) => /^ {2}\S.*( {2}→ {2}| {2}skipped: )/.test(l));
    expect(listed).toHaveLength(3);
    expect(r.out).toMatch(/… and 6 more not listed \(\d+ to upload, \d+ skipped; --limit N lists more\)/);
    expect(r.out).toMatch(/total: 7 file\(s\)/);
  });

  it('a bad --limit is a usage error', async () => {
    const r = await check(['--plan', '--limit', 'lots']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--limit expects a whole number, got 'lots'/);
    const alone = await check(['--limit', '3']);
    expect(alone.code).toBe(2);
    expect(alone.err).toMatch(/--limit goes with --plan/);
  });

  it('says what a per-file metadata value costs at Frame.io\'s limits', async () => {
    const tagCfg = path.join(dir, 'tag.yaml');
    await fs.writeFile(
      tagCfg,
      [
        'frameio:',
        '  api_url: http://127.0.0.1:9',
        '  account_id: acc',
        '  token: t0ken-not-used',
        `state_dir: ${path.join(dir, 'state')}`,
        'watches:',
        '  - name: renders',
        `    path: ${hot}`,
        '    folder_id: ROOT',
        '    after_upload:',
        '      action: tag',
        '      metadata:',
        '        - field: Render host',
        '          value: "{host}"',
        '        - field: Source path',
        '          value: "from {path}"',
        '',
      ].join('\n'),
    );
    const io = memoryIO({}, dir);
    const code = await main(['check', '--config', tagCfg, '--plan'], io);
    expect(code, io.stderrText()).toBe(0);
    const notes = io.stdoutText().split('\n').filter((l) => l.startsWith('  note: '));
    // {host} is the same for every file: no note for it.
    expect(notes).toEqual([
      "  note: watch 'renders': metadata 'Source path' is per file ({path}): one bulk call per file, so 10 files a minute at Frame.io's limits (values the same for every file batch up to 100 files a call)",
    ]);
  });
});
