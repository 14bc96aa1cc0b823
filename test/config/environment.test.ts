import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, formatConfigIssues } from '../../src/config/issues.js';
import { loadConfig, ownIgnoredDirs, validateEnvironment } from '../../src/config/load.js';
import { lines } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'cfg-env-'));
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

describe('loadConfig', () => {
  it('loads a valid file, resolving paths against its folder', async () => {
    mkdirSync(path.join(dir, 'hot'));
    const file = path.join(dir, 'agent.yaml');
    writeFileSync(file, lines('state_dir: state', 'watches:', '  - path: hot', '    folder_id: f', '    after_upload: {action: move, to: hot/_done}'));
    const cfg = await loadConfig(file, { env: {} });
    expect(cfg.configPath).toBe(file);
    expect(cfg.stateDir).toBe(path.join(dir, 'state'));
    expect(cfg.watches[0]!.path).toBe(path.join(dir, 'hot'));
    expect(validateEnvironment(cfg)).toEqual([]);
  });

  it('reports a config file that does not exist', async () => {
    const file = path.join(dir, 'nope.yaml');
    await expect(loadConfig(file)).rejects.toThrow(`${file} cannot load the configuration: the file does not exist`);
  });

  it('names the config line of a hot folder that is missing or not a directory', async () => {
    writeFileSync(path.join(dir, 'afile'), 'x');
    expect(await loadProblems(lines('watches:', '  - path: missing', '    folder_id: f', '  - path: afile', '    folder_id: f'))).toEqual([
      "<dir>/agent.yaml:2:11 watches[0].path: hot folder '<dir>/missing' of watch 'missing' does not exist",
      "<dir>/agent.yaml:4:11 watches[1].path: hot folder '<dir>/afile' of watch 'afile' is not a directory",
    ]);
  });

  it('skips file system checks when checkPaths is false', async () => {
    const file = path.join(dir, 'agent.yaml');
    writeFileSync(file, lines('watches: [{path: missing, folder_id: f}]'));
    const cfg = await loadConfig(file, { env: {}, checkPaths: false });
    expect(cfg.watches[0]!.path).toBe(path.join(dir, 'missing'));
  });
});

describe('move targets', () => {
  beforeEach(() => {
    mkdirSync(path.join(dir, 'a', 'sub'), { recursive: true });
    mkdirSync(path.join(dir, 'b'));
  });

  it('refuses a move target that is the hot folder or contains it', async () => {
    expect(
      await loadProblems(lines('watches:', '  - path: a', '    folder_id: f', '    after_upload: {action: move, to: a}', '    on_failure: {action: move, to: .}')),
    ).toEqual([
      "<dir>/agent.yaml:4:38 watches[0].after_upload.to: move target '<dir>/a' is the hot folder itself; moved files would be uploaded again",
      "<dir>/agent.yaml:5:36 watches[0].on_failure.to: move target '<dir>' contains the hot folder '<dir>/a'",
    ]);
  });

  it("refuses a move target inside another watch's tree unless that watch excludes it", async () => {
    const text = (exclude: string): string =>
      lines('watches:', '  - path: a', '    folder_id: f', '    after_upload: {action: move, to: b/done}', '  - path: b', '    folder_id: g', `    exclude: [${exclude}]`);
    expect(await loadProblems(text(''))).toEqual([
      "<dir>/agent.yaml:4:38 watches[0].after_upload.to: move target '<dir>/b/done' is inside watch 'b' (watches[1]), which would upload the moved files again; add 'done/**' to its exclude or choose another folder",
    ]);
    const file = path.join(dir, 'agent.yaml');
    writeFileSync(file, text('"done/**"'));
    await expect(loadConfig(file, { env: {} })).resolves.toBeTruthy();
  });

  it("refuses a move target that is another watch's root", async () => {
    expect(await loadProblems(lines('watches:', '  - path: a', '    folder_id: f', '    on_failure: {action: move, to: b}', '  - path: b', '    folder_id: g'))).toEqual([
      "<dir>/agent.yaml:4:36 watches[0].on_failure.to: move target '<dir>/b' is inside watch 'b' (watches[1]), which would upload the moved files again; choose another folder",
    ]);
  });

  it('accepts a target that does not exist yet but refuses one under a file', async () => {
    writeFileSync(path.join(dir, 'plain'), 'x');
    expect(
      await loadProblems(lines('watches:', '  - path: a', '    folder_id: f', '    after_upload: {action: move, to: new/deeper}', '    on_failure: {action: move, to: plain/failed}')),
    ).toEqual([`<dir>/agent.yaml:5:36 watches[0].on_failure.to: move target: '<dir>/plain/failed' cannot be created: '<dir>/plain' is a file`]);
  });

  it("a target inside the watch's own tree is fine and reported by ownIgnoredDirs", async () => {
    const file = path.join(dir, 'agent.yaml');
    writeFileSync(file, lines('watches:', '  - path: a', '    folder_id: f', '    after_upload: {action: move, to: a/_done}', '    on_failure: {action: move, to: elsewhere}'));
    const cfg = await loadConfig(file, { env: {} });
    expect(ownIgnoredDirs(cfg.watches[0]!)).toEqual([path.join(dir, 'a', '_done')]);
  });
});

describe('validateEnvironment without a file', () => {
  it('works on a hand-built config, locating issues by path only', () => {
    const watch = {
      name: 'w', path: path.join(dir, 'gone'), folderId: 'f', recursive: true, mirrorSubfolders: true, include: ['**/*'], exclude: [],
      settleSeconds: 1, poll: false, rescanSeconds: 60, followSymlinks: false, allowOutsideLinks: false, rules: [], afterUpload: { action: 'leave' as const }, onFailure: { action: 'leave' as const },
    };
    const issues = validateEnvironment({
      configPath: null,
      frameio: { apiUrl: 'http://x', imsUrl: 'http://y', scope: 's', legacyToken: false, timeoutSeconds: 1 },
      stateDir: path.join(dir, 'state'),
      log: { level: 'info', maxSizeMb: 1, maxFiles: 1 },
      upload: { maxWorkers: 1, maxFiles: 1, adaptive: false, maxRetries: 0, partTimeoutSeconds: 1, verifyTimeoutSeconds: 1, maxUploadAttempts: 1 },
      watches: [watch],
    });
    expect(issues).toEqual([{ file: 'config', path: 'watches[0].path', message: `hot folder '${watch.path}' of watch 'w' does not exist` }]);
  });
});
