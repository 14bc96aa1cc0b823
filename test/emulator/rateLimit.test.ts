import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { RateLimiter } from '../../src/emulator/rateLimiter.js';
import { acct, api, sleep } from './helpers.js';

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

describe('per-endpoint leaky bucket', () => {
  it('reports x-ratelimit headers and answers 429 past the limit, per endpoint', async () => {
    emu = await startEmulator();
    const path = `${acct(emu)}/folders/${emu.rootFolderId}/folders`;
    const first = await api(emu, 'POST', path, { data: { name: 'f' } });
    expect(first.status).toBe(201);
    expect(first.headers.get('x-ratelimit-limit')).toBe('3');
    expect(first.headers.get('x-ratelimit-window')).toBe('1000');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('2');
    // Sent together so the bucket cannot leak a slot in between (3/s leaks one per 333 ms).
    const burst = await Promise.all(Array.from({ length: 5 }, (_, i) => api(emu!, 'POST', path, { data: { name: `f${i}` } })));
    const limited = burst.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(2);
    expect(burst.filter((r) => r.status === 201).length).toBeLessThanOrEqual(3);
    expect(limited[0]!.headers.get('retry-after')).toBeNull();
    expect(limited[0]!.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(limited[0]!.json.errors[0].detail).toMatch(/create_folder/);
    expect(emu.folders()).toHaveLength(1 + 1 + 5 - limited.length);
    // Another endpoint has its own bucket.
    const list = await api(emu, 'GET', path);
    expect(list.status).toBe(200);
    expect(list.headers.get('x-ratelimit-limit')).toBe('100');
    expect(list.headers.get('x-ratelimit-window')).toBe('60000');
    expect(emu.stats().rateLimited).toEqual({ create_folder: limited.length });
  });

  it('leaks: after waiting, calls succeed again', async () => {
    emu = await startEmulator();
    const path = `${acct(emu)}/folders/${emu.rootFolderId}/files/local_upload`;
    const body = { data: { name: 'a.mov', file_size: 1 } };
    const burst = await Promise.all(Array.from({ length: 8 }, () => api(emu!, 'POST', path, body)));
    expect(burst.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(1);
    await sleep(450); // 5 per second leaks one slot per 200 ms
    expect((await api(emu, 'POST', path, body)).status).toBe(201);
  });

  it('is off with rateLimits: false and can be switched at run time', async () => {
    emu = await startEmulator({ rateLimits: false });
    const path = `${acct(emu)}/folders/${emu.rootFolderId}/folders`;
    const free = await Promise.all(Array.from({ length: 8 }, (_, i) => api(emu!, 'POST', path, { data: { name: `f${i}` } })));
    expect(free.map((r) => r.status)).toEqual(Array(8).fill(201));
    expect(free[0]!.headers.get('x-ratelimit-limit')).toBe('3');
    emu.setRateLimits(true);
    const limited = await Promise.all(Array.from({ length: 6 }, () => api(emu!, 'POST', path, { data: { name: 'g' } })));
    expect(limited.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(2);
  });

  it('leaks continuously (unit, injected time)', () => {
    const rl = new RateLimiter(true);
    const t0 = 1_000_000;
    for (let i = 0; i < 5; i++) expect(rl.take('p', 'upload_status', t0).allowed).toBe(true);
    expect(rl.take('p', 'upload_status', t0).allowed).toBe(false);
    expect(rl.take('other', 'upload_status', t0).allowed).toBe(true);
    expect(rl.take('p', 'upload_status', t0 + 199).allowed).toBe(false);
    expect(rl.take('p', 'upload_status', t0 + 400).allowed).toBe(true);
    expect(rl.take('p', 'upload_status', t0 + 1400).remaining).toBe(4);
  });
});
