import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { clearSecrets, redact } from '../../src/util/redact.js';
import { lines, parse, problems } from './helpers.js';

const minimal = lines('watches:', '  - path: /Volumes/Exports', '    folder_id: f1');

describe('defaults', () => {
  it('fills every default for a minimal config', () => {
    const cfg = parse(minimal);
    expect(cfg.configPath).toBe('/base/agent.yaml'.replace('/base/', `${process.cwd()}/`));
    expect(cfg.frameio).toEqual({
      apiUrl: 'https://api.frame.io/v4',
      imsUrl: 'https://ims-na1.adobelogin.com/ims/token/v3',
      scope: 'openid,AdobeID,frame.s2s.all',
      legacyToken: false,
      timeoutSeconds: 30,
    });
    expect(cfg.stateDir).toBe('/home/u/.frameio-agent');
    expect(cfg.log).toEqual({ level: 'info', maxSizeMb: 10, maxFiles: 5 });
    expect(cfg.upload).toEqual({ maxWorkers: 32, maxFiles: 32, adaptive: true, maxRetries: 3, partTimeoutSeconds: 120, verifyTimeoutSeconds: 600, maxUploadAttempts: 3 });
    expect(cfg.watches).toEqual([
      {
        name: 'Exports',
        path: '/Volumes/Exports',
        folderId: 'f1',
        recursive: true,
        mirrorSubfolders: true,
        include: ['**/*'],
        exclude: [],
        settleSeconds: 10,
        poll: false,
        rescanSeconds: 60,
        followSymlinks: false,
        allowOutsideLinks: false,
        rules: [],
        afterUpload: { action: 'leave' },
        onFailure: { action: 'leave' },
      },
    ]);
  });

  it('rescans every 5 s by default when polling, unless rescan_seconds is given', () => {
    const cfg = parse(lines('watches:', '  - {path: /a, folder_id: f, poll: true}', '  - {path: /b, folder_id: f, poll: true, rescan_seconds: 30}'));
    expect(cfg.watches.map((w) => w.rescanSeconds)).toEqual([5, 30]);
  });

  it('treats an empty value as not set and takes the default', () => {
    const cfg = parse(lines('upload:', '  max_workers:', 'watches:', '  - path: /a', '    folder_id: f', '    exclude:'));
    expect(cfg.upload.maxWorkers).toBe(32);
    expect(cfg.watches[0]!.exclude).toEqual([]);
  });

  it('maps every given key to the camelCase config', () => {
    const cfg = parse(
      lines(
        'frameio: {api_url: "http://127.0.0.1:9/v4", ims_url: "http://127.0.0.1:9/ims", account_id: acc, client_id: cid, client_secret: secret-1234, scope: s, legacy_token: true, timeout_seconds: 5}',
        'state_dir: state',
        'log: {level: debug, max_size_mb: 1, max_files: 2}',
        'upload: {max_workers: 8, max_files: 3, max_retries: 0, part_timeout_seconds: 9, verify_timeout_seconds: 10, max_upload_attempts: 1}',
        'watches:',
        '  - name: w',
        '    path: hot',
        '    folder_id: f',
        '    recursive: false',
        '    mirror_subfolders: false',
        '    include: ["*.mov"]',
        '    exclude: ["x/**"]',
        '    settle_seconds: 0.5',
        '    rules: [{match: "*.mov", folder: "{date}", folder_id: g}, {match: "a", skip: true}]',
        '    after_upload: {action: move, to: ../done}',
        '    on_failure: {action: move, to: ~/failed}',
      ),
    );
    expect(cfg.frameio).toEqual({
      apiUrl: 'http://127.0.0.1:9/v4',
      imsUrl: 'http://127.0.0.1:9/ims',
      accountId: 'acc',
      clientId: 'cid',
      clientSecret: 'secret-1234',
      scope: 's',
      legacyToken: true,
      timeoutSeconds: 5,
    });
    expect(cfg.stateDir).toBe('/base/state');
    expect(cfg.log).toEqual({ level: 'debug', maxSizeMb: 1, maxFiles: 2 });
    expect(cfg.upload).toEqual({ maxWorkers: 8, maxFiles: 3, adaptive: true, maxRetries: 0, partTimeoutSeconds: 9, verifyTimeoutSeconds: 10, maxUploadAttempts: 1 });
    const w = cfg.watches[0]!;
    expect(w).toMatchObject({ name: 'w', path: '/base/hot', recursive: false, mirrorSubfolders: false, include: ['*.mov'], exclude: ['x/**'], settleSeconds: 0.5 });
    expect(w.rules).toEqual([
      { match: '*.mov', skip: false, folder: '{date}', folderId: 'g', line: 14 },
      { match: 'a', skip: true, line: 14 },
    ]);
    expect(w.afterUpload).toEqual({ action: 'move', to: '/done' });
    expect(w.onFailure).toEqual({ action: 'move', to: '/home/u/failed' });
  });
});

describe('paths', () => {
  it('resolves ~ against the home directory and relative paths against the config file folder', () => {
    const cfg = parseConfig(lines('state_dir: ~/state', 'watches:', '  - {path: ~/hot, folder_id: f}', '  - {path: sub/dir, folder_id: f}', '  - {path: ../up, folder_id: f}'), {
      fileName: '/etc/agent/agent.yaml',
      env: {},
      homeDir: '/home/u',
    });
    expect(cfg.configPath).toBe('/etc/agent/agent.yaml');
    expect(cfg.stateDir).toBe('/home/u/state');
    expect(cfg.watches.map((w) => w.path)).toEqual(['/home/u/hot', '/etc/agent/sub/dir', '/etc/up']);
  });
});

describe('environment interpolation', () => {
  it('replaces ${VAR} and ${VAR:-default} in strings, and $${ is a literal ${', () => {
    const cfg = parse(
      lines(
        'frameio:',
        '  token: ${TOKEN}',
        '  account_id: ${ACCOUNT:-acc-default}',
        'watches:',
        '  - path: ${ROOT}/exports',
        '    folder_id: f',
        '    name: "cost $${HOME} ${ROOT}"',
      ),
      { TOKEN: 'tok-123456789', ROOT: '/mnt' },
    );
    expect(cfg.frameio.token).toBe('tok-123456789');
    expect(cfg.frameio.accountId).toBe('acc-default');
    expect(cfg.watches[0]!.path).toBe('/mnt/exports');
    expect(cfg.watches[0]!.name).toBe('cost ${HOME} /mnt');
  });

  it('fills numbers and booleans from variables', () => {
    const cfg = parse(lines('upload: {max_workers: "${W}"}', 'frameio: {legacy_token: "${L}"}', 'watches: [{path: /a, folder_id: "${F}"}]'), { W: '7', L: 'true', F: 'fid' });
    expect(cfg.upload.maxWorkers).toBe(7);
    expect(cfg.frameio.legacyToken).toBe(true);
    expect(cfg.watches[0]!.folderId).toBe('fid');
  });

  it('reports a missing variable with its name and line', () => {
    expect(problems(lines('frameio:', '  token: ${FRAMEIO_TOKEN}', 'watches:', '  - path: /a', '    folder_id: ${FOLDER}'))).toEqual([
      "agent.yaml:2:10 frameio.token: environment variable 'FRAMEIO_TOKEN' is not set (export FRAMEIO_TOKEN=…, or write ${FRAMEIO_TOKEN:-default} for a fallback)",
      "agent.yaml:5:16 watches[0].folder_id: environment variable 'FOLDER' is not set (export FOLDER=…, or write ${FOLDER:-default} for a fallback)",
    ]);
  });

  it('reports a malformed reference', () => {
    expect(problems(lines('watches:', '  - path: /a/${1X}', '    folder_id: f'))).toEqual([
      "agent.yaml:2:11 watches[0].path: invalid variable reference '${1X}' (write $${ for a literal ${)",
    ]);
  });

  it('treats ${VAR:-} (empty) as not set, so optional credentials can stay in the file', () => {
    const cfg = parse(lines('frameio:', '  token: ${FRAMEIO_TOKEN:-}', 'watches: [{path: /a, folder_id: f}]'));
    expect(cfg.frameio.token).toBeUndefined();
  });

  it('takes account_id from FRAMEIO_ACCOUNT_ID when the file has none', () => {
    expect(parse(minimal, { FRAMEIO_ACCOUNT_ID: 'env-acc' }).frameio.accountId).toBe('env-acc');
    expect(parse(lines('frameio: {account_id: file-acc}', 'watches: [{path: /a, folder_id: f}]'), { FRAMEIO_ACCOUNT_ID: 'env-acc' }).frameio.accountId).toBe('file-acc');
  });

  it('registers secrets so they are redacted from messages', () => {
    clearSecrets();
    parse(lines('frameio: {token: "${T}"}', 'watches: [{path: /a, folder_id: f}]'), { T: 'very-secret-token-value' });
    expect(redact('got very-secret-token-value back')).toBe('got [redacted] back');
    clearSecrets();
  });
});
