import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/issues.js';
import { lines, parse, problems } from './helpers.js';

// Every config problem is reported with file:line:col, the key path, and a message a person can act on.

describe('syntax and shape', () => {
  it('reports a YAML syntax error with its own line and column', () => {
    const out = problems(lines('watches:', '  - path: /hot', '    folder_id: [a, b', 'log: {}'));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^agent\.yaml:4:1 /);
  });

  it('rejects a top level that is not a mapping', () => {
    expect(problems(lines('- path: /hot'))).toEqual(['agent.yaml:1:1 the top level must be a mapping of keys (frameio, watches, ...)']);
  });

  it('rejects an empty file', () => {
    expect(problems('')).toEqual(["agent.yaml the file is empty: it needs at least a 'watches' list"]);
  });

  it('rejects duplicate keys', () => {
    const out = problems(lines('watches:', '  - path: /hot', '    path: /other', '    folder_id: f'));
    expect(out[0]).toMatch(/^agent\.yaml:3:5 Map keys must be unique/);
  });

  it('throws a fatal AgentError with code config_invalid listing every issue', () => {
    try {
      parse(lines('upload:', '  max_workers: 0', '  max_files: 300', 'watches: []'));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const e = err as ConfigError;
      expect(e.code).toBe('config_invalid');
      expect(e.kind).toBe('fatal');
      expect(e.issues.map((i) => i.path)).toEqual(['upload.max_workers', 'upload.max_files', 'watches']);
      expect(e.message).toContain('agent.yaml: 3 problems in the configuration');
      expect(e.message).toContain('agent.yaml:2:16 upload.max_workers: must be at least 1, got 0');
    }
  });
});

describe('keys and types', () => {
  it('suggests the nearest known key for an unknown one', () => {
    expect(problems(lines('upload:', '  max_worker: 4', 'watches:', '  - path: /hot', '    folder_id: f'))).toEqual([
      "agent.yaml:2:3 upload.max_worker: unknown key 'max_worker' — did you mean 'max_workers'?",
    ]);
  });

  it('names an unknown key without a suggestion when nothing is close', () => {
    expect(problems(lines('colour: blue', 'watches:', '  - path: /hot', '    folder_id: f'))).toEqual(["agent.yaml:1:1 colour: unknown key 'colour'"]);
  });

  it('reports wrong types at the value', () => {
    expect(
      problems(
        lines(
          'upload:',
          '  max_workers: five',
          '  part_timeout_seconds: soon',
          'frameio:',
          '  legacy_token: yes',
          '  token: [a]',
          'watches:',
          '  - path: /hot',
          '    folder_id: f',
          '    include: "**/*.mov"',
          '    rules: {match: x}',
          '    settle_seconds: 2.5',
        ),
      ),
    ).toEqual([
      "agent.yaml:2:16 upload.max_workers: expected a whole number, got 'five'",
      "agent.yaml:3:25 upload.part_timeout_seconds: expected a number, got 'soon'",
      "agent.yaml:5:17 frameio.legacy_token: expected true or false, got 'yes'",
      'agent.yaml:6:10 frameio.token: expected a string, got a list',
      "agent.yaml:10:14 watches[0].include: expected a list, got '**/*.mov'",
      'agent.yaml:11:12 watches[0].rules: expected a list, got a mapping',
    ]);
  });

  it('rejects a fractional whole number and values out of range', () => {
    expect(
      problems(lines('upload:', '  max_workers: 2.5', '  max_retries: 21', '  max_files: 0', 'watches:', '  - path: /hot', '    folder_id: f', '    settle_seconds: -1')),
    ).toEqual([
      'agent.yaml:2:16 upload.max_workers: expected a whole number, got 2.5',
      'agent.yaml:3:16 upload.max_retries: must be at most 20, got 21',
      'agent.yaml:4:14 upload.max_files: must be at least 1, got 0',
      'agent.yaml:8:21 watches[0].settle_seconds: must be at least 0, got -1',
    ]);
  });

  it('reports missing required keys at the mapping that lacks them', () => {
    expect(problems(lines('watches:', '  - name: a', '    recursive: false'))).toEqual([
      "agent.yaml:2:5 watches[0]: missing required key 'path'",
      "agent.yaml:2:5 watches[0]: missing required key 'folder_id'",
    ]);
    expect(problems(lines('log: {level: info}'))).toEqual(["agent.yaml:1:1 missing required key 'watches'"]);
    expect(problems(lines('watches: []'))).toEqual(['agent.yaml:1:10 watches: needs at least 1 entry']);
    expect(problems(lines('watches: [{path: /a, folder_id: f, include: []}]'))).toEqual(['agent.yaml:1:45 watches[0].include: needs at least 1 entry']);
  });

  it('rejects an empty required value', () => {
    expect(problems(lines('watches:', '  - path: /hot', '    folder_id: ""'))).toEqual(['agent.yaml:3:16 watches[0].folder_id: must not be empty']);
  });

  it('rejects an unknown action, with the list of valid ones', () => {
    expect(
      problems(lines('log:', '  level: verbose', 'watches:', '  - path: /hot', '    folder_id: f', '    after_upload:', '      action: mvoe', '    on_failure: {action: delete}')),
    ).toEqual([
      "agent.yaml:2:10 log.level: unknown level 'verbose' (expected one of error, warn, info, debug)",
      "agent.yaml:7:15 watches[0].after_upload.action: unknown action 'mvoe' (expected one of move, tag, delete, leave)",
      "agent.yaml:8:26 watches[0].on_failure.action: unknown action 'delete' (expected one of move, leave)",
    ]);
  });

  it("requires 'to' with move and refuses it otherwise", () => {
    expect(
      problems(lines('watches:', '  - path: /hot', '    folder_id: f', '    after_upload: {action: move}', '    on_failure: {action: leave, to: /x}')),
    ).toEqual([
      "agent.yaml:4:28 watches[0].after_upload: action 'move' needs 'to'",
      "agent.yaml:5:33 watches[0].on_failure.to: 'to' is only used with action 'move'",
    ]);
  });

  it('rejects a bad url', () => {
    expect(problems(lines('frameio:', '  api_url: ftp://x', 'watches:', '  - path: /hot', '    folder_id: f'))).toEqual([
      "agent.yaml:2:12 frameio.api_url: expected an http(s) URL, got 'ftp://x'",
    ]);
  });
});

describe('credentials', () => {
  const watch = ['watches:', '  - path: /hot', '    folder_id: f'];

  it('accepts no credentials at all (the CLI decides)', () => {
    const cfg = parse(lines(...watch));
    expect(cfg.frameio.token).toBeUndefined();
    expect(cfg.frameio.clientId).toBeUndefined();
  });

  it('refuses token together with client_id', () => {
    expect(problems(lines('frameio:', '  token: abcdefghij', '  client_id: cid', '  client_secret: s3cr3t-value', ...watch))).toEqual([
      'agent.yaml:3:3 frameio: token and client_id cannot be used together: choose one',
    ]);
  });

  it('refuses client_id without client_secret and the reverse', () => {
    expect(problems(lines('frameio:', '  client_id: cid', ...watch))).toEqual(['agent.yaml:2:3 frameio: client_id needs client_secret']);
    expect(problems(lines('frameio:', '  client_secret: s3cr3t-value', ...watch))).toEqual(['agent.yaml:2:3 frameio: client_secret needs client_id']);
  });
});

describe('rules', () => {
  const head = ['watches:', '  - path: /hot', '    folder_id: f', '    rules:'];

  it('needs one of folder, folder_id or skip: true', () => {
    expect(problems(lines(...head, '      - match: "*.mov"', '      - match: "*.mp4"', '        skip: false'))).toEqual([
      'agent.yaml:5:9 watches[0].rules[0]: needs one of folder, folder_id or skip: true',
      'agent.yaml:6:9 watches[0].rules[1]: needs one of folder, folder_id or skip: true',
    ]);
  });

  it('refuses skip together with a destination', () => {
    expect(problems(lines(...head, '      - match: "*.mov"', '        skip: true', '        folder: X'))).toEqual([
      'agent.yaml:7:9 watches[0].rules[0]: skip: true and folder cannot be used together: choose one',
    ]);
  });

  it('rejects an unknown placeholder and impossible folder names', () => {
    expect(
      problems(lines(...head, '      - match: "*.mov"', '        folder: "Renders/{dri}"', '      - match: "*.mp4"', '        folder: "a/../b"', '      - match: "*.wav"', '        folder: "/abs"')),
    ).toEqual([
      "agent.yaml:6:17 watches[0].rules[0].folder: unknown placeholder '{dri}' in folder template (expected one of {dir}, {name}, {stem}, {ext}, {date}, {seq})",
      "agent.yaml:8:17 watches[0].rules[1].folder: folder template 'a/../b' has an empty, '.' or '..' folder name",
      "agent.yaml:10:17 watches[0].rules[2].folder: folder template '/abs' starts with '/': it is a path under the target folder",
    ]);
  });

  it('rejects an invalid glob in match, include and exclude', () => {
    expect(
      problems(lines('watches:', '  - path: /hot', '    folder_id: f', '    include: ["**/*.{mov"]', '    exclude: ["/abs/**"]', '    rules:', '      - match: "[abc"', '        skip: true')),
    ).toEqual([
      'agent.yaml:4:15 watches[0].include[0]: invalid glob \'**/*.{mov\': Missing closing: "}" - use "\\\\}" to match literal characters',
      "agent.yaml:5:15 watches[0].exclude[0]: glob '/abs/**' starts with '/': globs are matched against paths relative to the watch folder",
      'agent.yaml:7:16 watches[0].rules[0].match: invalid glob \'[abc\': Missing closing: "]" - use "\\\\]" to match literal characters',
    ]);
  });

  it('records the line of each rule for messages', () => {
    const cfg = parse(lines(...head, '      - match: "*.mov"', '        skip: true', '      - match: "*.mp4"', '        folder_id: g'));
    expect(cfg.watches[0]!.rules.map((r) => r.line)).toEqual([5, 7]);
  });
});

describe('watches', () => {
  it('refuses duplicate names, including the default (base name) ones', () => {
    expect(
      problems(lines('watches:', '  - path: /a/exports', '    folder_id: f', '  - path: /b/exports', '    folder_id: f', '  - name: x', '    path: /c', '    folder_id: f', '  - name: x', '    path: /d', '    folder_id: f')),
    ).toEqual([
      "agent.yaml:4:5 watches[1].name: duplicate watch name 'exports' (also watches[0]); give each watch a distinct name",
      "agent.yaml:9:11 watches[3].name: duplicate watch name 'x' (also watches[2]); give each watch a distinct name",
    ]);
  });

  it('refuses two watches on one share_id (the journal keys files by it), explicit or a watch name taken as one', () => {
    expect(
      problems(lines('watches:', '  - path: /a', '    folder_id: f', '    share_id: renders', '  - path: /b', '    folder_id: f', '    share_id: renders', '  - path: /c', '    folder_id: f', '  - path: /d', '    folder_id: f', '    share_id: c')),
    ).toEqual([
      "agent.yaml:7:15 watches[1].share_id: share_id 'renders' is also watches[0]'s; each watch needs its own (the journal keys files by share_id and path)",
      "agent.yaml:12:15 watches[3].share_id: share_id 'c' is also watches[2]'s; each watch needs its own (the journal keys files by share_id and path)",
    ]);
  });

  it('refuses two watches on the same folder, after resolving paths', () => {
    expect(problems(lines('watches:', '  - path: /base/hot', '    folder_id: f', '  - name: two', '    path: ./hot/', '    folder_id: g'))).toEqual([
      "agent.yaml:5:11 watches[1].path: same folder as watches[0] ('/base/hot'): watch each folder once",
    ]);
  });
});

describe('Frame.io ids', () => {
  it('refuses a pasted placeholder or a URL where an id belongs', async () => {
    const { parseConfig, ConfigError } = await import('../../src/config/index.js');
    const text = ['frameio:', '  account_id: "<uuid>"', 'watches:', '  - path: /tmp', '    folder_id: https://app.frame.io/folder/1', ''].join('\n');
    try {
      parseConfig(text, { fileName: 'agent.yaml', env: {}, baseDir: '/tmp' });
      expect.unreachable('should have thrown');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const lines = (e as InstanceType<typeof ConfigError>).issues.map((i) => `${i.line}:${i.path}`);
      expect(lines).toEqual(['2:frameio.account_id', '5:watches[0].folder_id']);
      expect((e as Error).message).toMatch(/'<uuid>' is not a Frame\.io id/);
    }
  });
});
