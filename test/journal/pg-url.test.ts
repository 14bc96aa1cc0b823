// The journal URL: its shape is checked before anything connects, and its password never shows.
import { afterEach, describe, expect, it } from 'vitest';
import { checkPgUrl, displayPgUrl } from '../../src/journal/index.js';
import { registerPgSecret } from '../../src/journal/pg-url.js';
import { clearSecrets, redact } from '../../src/util/redact.js';

afterEach(() => clearSecrets());

describe('journal URL', () => {
  it('accepts postgres:// and postgresql:// URLs naming a host and a database', () => {
    expect(checkPgUrl('postgres://agent@db.local/frameio')).toMatchObject({ ok: true });
    expect(checkPgUrl('postgresql://agent:pw@10.0.0.5:6432/frameio?sslmode=require')).toMatchObject({ ok: true });
  });

  it('names what is wrong with a bad URL without quoting its password', () => {
    const cases: Array<[string, RegExp]> = [
      ['not a url', /is not a URL/],
      ['mysql://agent:hunter2pw@db/frameio', /scheme "mysql:"/],
      ['postgres://agent:hunter2pw@db.local', /names no database/],
      ['postgres://agent:hunter2pw@db.local/', /names no database/],
    ];
    for (const [url, problem] of cases) {
      const check = checkPgUrl(url);
      expect(check.ok).toBe(false);
      expect(check.problem).toMatch(problem);
      expect(`${check.display} ${check.problem}`).not.toContain('hunter2pw');
    }
  });

  it('shows a URL with its password masked, in the URL and as a parameter', () => {
    expect(displayPgUrl('postgres://agent:s3cr%40t@db:5432/frameio')).toBe('postgres://agent:***@db:5432/frameio');
    expect(displayPgUrl('postgres://agent@db/frameio?password=abc')).toBe('postgres://agent@db/frameio?password=***');
    expect(displayPgUrl('postgres://agent@db/frameio')).toBe('postgres://agent@db/frameio');
  });

  it('redacts a database URL password in any message, short passwords included, and a registered one anywhere', () => {
    expect(redact('connect to postgres://agent:pw@db/frameio failed')).toBe('connect to postgres://agent:[redacted]@db/frameio failed');
    registerPgSecret('postgres://agent:LongerPassw0rd@db/frameio');
    expect(redact('auth said LongerPassw0rd was wrong')).not.toContain('LongerPassw0rd');
  });
});
