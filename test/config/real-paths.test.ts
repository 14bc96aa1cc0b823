// One folder under two names (a symlink) is still one folder: every overlap check compares real
// places. Real symlinks in temp dirs.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, formatConfigIssues } from '../../src/config/issues.js';
import { loadConfig, ownIgnoredDirs } from '../../src/config/load.js';
import { watchFileFilter } from '../../src/rules/filter.js';
import { foldsCase, realBelow, samePlace } from '../../src/util/real-path.js';
import { lines } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'cfg-real-'));
  mkdirSync(path.join(dir, 'real', 'inner'), { recursive: true });
  symlinkSync(path.join(dir, 'real'), path.join(dir, 'alias'), 'dir');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function loadProblems(text: string): Promise<string[]> {
  const file = path.join(dir, 'agent.yaml');
  writeFileSync(file, text);
  try {
    await loadConfig(file, { env: {} });
  } catch (err) {
    if (err instanceof ConfigError) return formatConfigIssues(err.issues).split('\n').map((l) => l.split(dir).join('<dir>'));
    throw err;
  }
  throw new Error('expected the config to be rejected');
}

describe('real places', () => {
  it('a symlink and its target are one place, including paths below them that do not exist yet', () => {
    expect(samePlace(path.join(dir, 'alias'), path.join(dir, 'real'))).toBe(true);
    expect(samePlace(path.join(dir, 'alias', 'new', 'x'), path.join(dir, 'real', 'new', 'x'))).toBe(true);
    expect(samePlace(path.join(dir, 'alias'), path.join(dir, 'real', 'inner'))).toBe(false);
    expect(realBelow(path.join(dir, 'alias'), path.join(dir, 'real', '_uploaded', 'x'))).toEqual(['_uploaded', 'x']);
    expect(realBelow(path.join(dir, 'real'), path.join(dir, 'alias'))).toBeUndefined();
  });

  it('probes the directory for case folding instead of trusting the OS name', () => {
    // Two files differing only in case exist side by side only where case is not folded.
    writeFileSync(path.join(dir, 'real', 'Probe'), 'a');
    let distinct = true;
    try {
      writeFileSync(path.join(dir, 'real', 'probe'), 'b', { flag: 'wx' });
    } catch {
      distinct = false;
    }
    expect(foldsCase(path.join(dir, 'real'))).toBe(!distinct);
    expect(samePlace(path.join(dir, 'real', 'Probe'), path.join(dir, 'real', 'probe'))).toBe(!distinct);
  });
});

describe('overlap checks by real place', () => {
  it('excludes a move target reached through the real name from a watch on the symlink', async () => {
    const file = path.join(dir, 'agent.yaml');
    writeFileSync(file, lines('watches:', '  - path: alias', '    folder_id: f', '    after_upload: {action: move, to: real/_uploaded}'));
    const cfg = await loadConfig(file, { env: {} });
    const w = cfg.watches[0]!;
    expect(ownIgnoredDirs(w)).toEqual([path.join(dir, 'alias', '_uploaded')]);
    const filter = watchFileFilter(w);
    expect(filter('_uploaded', true).accept).toBe(false);
    expect(filter('_uploaded/_uploaded/clip.mov', false).accept).toBe(false);
    expect(filter('clip.mov', false).accept).toBe(true);
  });

  it('refuses two watches on one folder under two names', async () => {
    expect(await loadProblems(lines('watches:', '  - path: alias', '    folder_id: f', '  - path: real', '    folder_id: g'))).toEqual([
      "<dir>/agent.yaml:4:11 watches[1].path: hot folder '<dir>/real' is the same folder as watches[0] ('<dir>/alias'): watch each folder once",
    ]);
  });

  it('refuses nested watches, spelled plainly or through a symlink, in either order', async () => {
    expect(await loadProblems(lines('watches:', '  - path: real', '    folder_id: f', '  - path: real/inner', '    folder_id: g'))).toEqual([
      "<dir>/agent.yaml:4:11 watches[1].path: hot folder '<dir>/real/inner' is inside watches[0] ('<dir>/real'): its files would be seen by both watches; watch each folder once",
    ]);
    expect(await loadProblems(lines('watches:', '  - path: alias/inner', '    folder_id: f', '  - path: real', '    folder_id: g'))).toEqual([
      "<dir>/agent.yaml:2:11 watches[0].path: hot folder '<dir>/alias/inner' is inside watches[1] ('<dir>/real'): its files would be seen by both watches; watch each folder once",
    ]);
  });

  it("refuses a move target that reaches another watch's folder through a symlink", async () => {
    mkdirSync(path.join(dir, 'other'));
    expect(
      await loadProblems(lines('watches:', '  - path: other', '    folder_id: f', '    after_upload: {action: move, to: alias/done}', '  - path: real', '    folder_id: g')),
    ).toEqual([
      "<dir>/agent.yaml:4:38 watches[0].after_upload.to: move target '<dir>/alias/done' is inside watch 'real' (watches[1]), which would upload the moved files again; add 'done/**' to its exclude or choose another folder",
    ]);
  });

  it('refuses a move target that is the hot folder under another name', async () => {
    expect(await loadProblems(lines('watches:', '  - path: alias', '    folder_id: f', '    on_failure: {action: move, to: real}'))).toEqual([
      "<dir>/agent.yaml:4:36 watches[0].on_failure.to: move target '<dir>/real' is the hot folder itself; moved files would be uploaded again",
    ]);
  });

  it('refuses one folder for uploaded and failed files, in one watch or across watches', async () => {
    mkdirSync(path.join(dir, 'b'));
    mkdirSync(path.join(dir, 'out'));
    symlinkSync(path.join(dir, 'out'), path.join(dir, 'outlink'), 'dir');
    expect(
      await loadProblems(
        lines(
          'watches:',
          '  - path: b',
          '    folder_id: f',
          '    after_upload: {action: move, to: out/x}',
          '    on_failure: {action: move, to: outlink/x}',
          '  - path: alias',
          '    folder_id: g',
          '    on_failure: {action: move, to: out/x/}',
        ),
      ),
    ).toEqual([
      "<dir>/agent.yaml:5:36 watches[0].on_failure.to: '<dir>/outlink/x' is also where watches[0] moves uploaded files (after_upload.to '<dir>/out/x'); give failed files a folder of their own",
      "<dir>/agent.yaml:8:36 watches[1].on_failure.to: '<dir>/out/x' is also where watches[0] moves uploaded files (after_upload.to '<dir>/out/x'); give failed files a folder of their own",
    ]);
  });
});
