// `check` says which journal a config uses: a user setting up several agents can confirm they share
// one PostgreSQL database (the password never shown), and which share each watch names.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { describePlan } from '../../src/cli/check.js';

const yaml = (extra: string[]) =>
  ['frameio:', '  api_url: http://127.0.0.1:1/v4', '  account_id: a', '  token: t', 'state_dir: /tmp/s', ...extra, 'watches:', '  - path: /tmp/hot', '    folder_id: f', '    share_id: renders', ''].join('\n');

describe('check: the journal', () => {
  it('names a shared PostgreSQL journal without its password, its lease, and each watch share_id', () => {
    const cfg = parseConfig(yaml(['journal:', '  url: postgres://agent:s3cret@db.local/frameio', '  lease_seconds: 20']), { fileName: 'a.yaml', env: {}, baseDir: '/tmp' });
    const text = describePlan(cfg, 'token').join('\n');
    expect(text).toMatch(/journal: {5}PostgreSQL postgres:\/\/agent:\*\*\*@db\.local\/frameio, shared with other agents \(claims last 20 s\)/);
    expect(text).not.toContain('s3cret');
    expect(text).toContain("watch 'hot': /tmp/hot [share_id renders]");
  });

  it('says a local journal is this agent\'s only', () => {
    const cfg = parseConfig(yaml([]), { fileName: 'a.yaml', env: {}, baseDir: '/tmp' });
    expect(describePlan(cfg, 'token').join('\n')).toContain('journal:     SQLite in state_dir (this agent only)');
  });
});
