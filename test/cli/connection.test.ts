// Settings come from flags, then the environment, then the config file.
import { describe, expect, it } from 'vitest';
import { buildAuth, resolveSettings } from '../../src/cli/connection.js';
import { parseConfig } from '../../src/config/index.js';

const config = parseConfig(
  ['frameio:', '  api_url: http://config/v4', '  account_id: acc-config', '  client_id: cid-config', '  client_secret: csecret-config-123', 'watches:', '  - path: /tmp', '    folder_id: f', ''].join('\n'),
  { fileName: 't.yaml', env: {}, baseDir: '/tmp' },
);

describe('resolveSettings', () => {
  it('flags win over the environment, which wins over the config', () => {
    const s = resolveSettings({ apiUrl: 'http://flag/v4', account: 'acc-flag', token: 'tok-flag-123456' }, { FRAMEIO_API_URL: 'http://env/v4', FRAMEIO_ACCOUNT_ID: 'acc-env', FRAMEIO_TOKEN: 'tok-env-123456' }, config);
    expect(s).toMatchObject({ apiUrl: 'http://flag/v4', accountId: 'acc-flag', token: 'tok-flag-123456' });
    const e = resolveSettings({}, { FRAMEIO_API_URL: 'http://env/v4', FRAMEIO_ACCOUNT_ID: 'acc-env', FRAMEIO_TOKEN: 'tok-env-123456' }, config);
    expect(e).toMatchObject({ apiUrl: 'http://env/v4', accountId: 'acc-env', token: 'tok-env-123456' });
  });
  it('falls back to the config, then to the defaults', () => {
    const c = resolveSettings({}, {}, config);
    expect(c).toMatchObject({ apiUrl: 'http://config/v4', accountId: 'acc-config', clientId: 'cid-config', clientSecret: 'csecret-config-123' });
    expect(c.token).toBeUndefined();
    expect(resolveSettings({}, {}).apiUrl).toBe('https://api.frame.io/v4');
  });
  it('a token in the environment replaces client credentials from the config', () => {
    const s = resolveSettings({}, { FRAMEIO_TOKEN: 'tok-env-123456' }, config);
    expect(s.token).toBe('tok-env-123456');
    expect(s.clientId).toBeUndefined();
  });
  it('half a client credential pair is a clear error; none at all says how to log in', () => {
    expect(() => buildAuth(resolveSettings({}, { FRAMEIO_CLIENT_ID: 'x' }))).toThrow(/both FRAMEIO_CLIENT_ID and FRAMEIO_CLIENT_SECRET/);
    expect(() => buildAuth(resolveSettings({}, {}))).toThrow(/No Frame\.io credentials.*FRAMEIO_TOKEN/s);
  });
});
