// A value that came from a secret (a *_TOKEN / *_SECRET / *_PASSWORD variable, or a key named
// token / secret / password) never appears in a config message, whatever is wrong with it.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, formatConfigIssues } from '../../src/config/issues.js';
import { loadConfig } from '../../src/config/load.js';
import { tempDir } from '../helpers/tmp.js';
import { clearSecrets, redact } from '../../src/util/redact.js';
import { lines, problems } from './helpers.js';

const TOKEN = 'fio-u-SECRET-9f8e7d6c5b4a';
const watch = ['watches:', '  - path: /hot', '    folder_id: f1'];

afterEach(() => clearSecrets());

describe('secrets in config messages', () => {
  it('redacts a token interpolated into a URL key', () => {
    const out = problems(lines('frameio:', '  api_url: ${FRAMEIO_TOKEN}', ...watch), { FRAMEIO_TOKEN: TOKEN });
    expect(out).toEqual(["agent.yaml:2:12 frameio.api_url: expected an http(s) URL, got '[redacted]'"]);
  });

  it('redacts the whole value when a secret is only part of it', () => {
    const out = problems(lines('frameio:', '  api_url: "ftp://x/${API_TOKEN}/v4"', ...watch), { API_TOKEN: TOKEN });
    expect(out.join('\n')).not.toContain(TOKEN);
    expect(out.join('\n')).toContain('[redacted]');
  });

  it('covers *_SECRET and *_PASSWORD variables in any key, and short values', () => {
    const out = problems(
      lines('log:', '  level: ${DB_PASSWORD}', 'frameio:', '  account_id: ${SOME_SECRET}', ...watch),
      { DB_PASSWORD: 'pw!', SOME_SECRET: 'not a uuid at all' },
    );
    expect(out).toEqual([
      "agent.yaml:2:10 log.level: unknown level '[redacted]' (expected one of error, warn, info, debug)",
      "agent.yaml:4:15 frameio.account_id: '[redacted]' is not a Frame.io id (ids look like 3fa85f64-5717-4562-b3fc-2c963f66afa6); find them with `frameio-agent ls`",
    ]);
  });

  it('redacts a secret in the file system checks made after validation', async () => {
    const t = await tempDir('fia-secret-');
    try {
      const notADir = path.join(t.dir, 'a-file-named-after-the-token');
      await fs.writeFile(notADir, '');
      await fs.mkdir(path.join(t.dir, 'hot'));
      const file = path.join(t.dir, 'agent.yaml');
      await fs.writeFile(file, lines('state_dir: ${STATE_TOKEN}', 'watches:', '  - path: hot', '    folder_id: f1'));
      const err = (await loadConfig(file, { env: { STATE_TOKEN: notADir } }).catch((e: unknown) => e)) as ConfigError;
      expect(err).toBeInstanceOf(ConfigError);
      expect(err.message).not.toContain(notADir);
      expect(formatConfigIssues(err.issues)).toBe(`${file}:1:12 state_dir: state folder: '[redacted]' exists and is not a directory`);
    } finally {
      await t.cleanup();
    }
  });

  it('leaves values from ordinary variables visible, so the message still helps', () => {
    const out = problems(lines('frameio:', '  api_url: ${API_URL}', ...watch), { API_URL: 'api.frame.io' });
    expect(out).toEqual(["agent.yaml:2:12 frameio.api_url: expected an http(s) URL, got 'api.frame.io'"]);
  });

  it('registers secret values, so later messages that pass redact() hide them too', () => {
    problems(lines('frameio:', '  api_url: ${FRAMEIO_TOKEN}', ...watch), { FRAMEIO_TOKEN: TOKEN });
    expect(redact(`token was ${TOKEN}`)).toBe('token was [redacted]');
  });
});
