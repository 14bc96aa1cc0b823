// journal.url / FRAMEIO_AGENT_DATABASE_URL: picks the PostgreSQL journal; a malformed URL is a config
// problem naming the line, and the URL's password never appears in a message.
import { afterEach, describe, expect, it } from 'vitest';
import { clearSecrets, redact } from '../../src/util/redact.js';
import { lines, parse, problems } from './helpers.js';

const watch = ['watches:', '  - path: /hot', '    folder_id: f1'];
afterEach(() => clearSecrets());

describe('journal.url', () => {
  it('is absent by default (SQLite under state_dir)', () => {
    expect(parse(lines(...watch)).journal?.url).toBeUndefined();
  });

  it('comes from the config, else from FRAMEIO_AGENT_DATABASE_URL; the config wins', () => {
    expect(parse(lines('journal:', '  url: postgres://agent@db/frameio', ...watch)).journal?.url).toBe('postgres://agent@db/frameio');
    const env = { FRAMEIO_AGENT_DATABASE_URL: 'postgresql://agent:pw@db2:6432/jobs' };
    expect(parse(lines(...watch), env).journal?.url).toBe('postgresql://agent:pw@db2:6432/jobs');
    expect(parse(lines('journal:', '  url: postgres://agent@db/frameio', ...watch), env).journal?.url).toBe('postgres://agent@db/frameio');
  });

  it('a malformed URL names the line and what is wrong, never the password', () => {
    const secret = 'VeryS3cretPassword';
    const out = problems(lines('journal:', `  url: mysql://agent:${secret}@db/frameio`, ...watch));
    expect(out).toEqual(['agent.yaml:2:8 journal.url: database URL mysql://agent:***@db/frameio has scheme "mysql:"; expected postgres:// or postgresql://']);
    const fromEnv = problems(lines(...watch), { FRAMEIO_AGENT_DATABASE_URL: `postgres://agent:${secret}@db` });
    expect(fromEnv.join('\n')).toContain('names no database');
    expect(fromEnv.join('\n')).toContain('FRAMEIO_AGENT_DATABASE_URL');
    expect(fromEnv.join('\n')).not.toContain(secret);
    // The password is registered: it is redacted wherever it turns up later.
    expect(redact(`login as agent with ${secret}`)).not.toContain(secret);
  });
});
