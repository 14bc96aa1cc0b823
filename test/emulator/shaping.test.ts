// Network shaping: rate caps per connection and for the whole link, and a round-trip delay.
// Only lower bounds that follow from the caps are asserted (a loaded machine is only slower).
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { RatePacer } from '../../src/emulator/shaping.js';
import { main } from '../../src/cli/main.js';
import { memoryIO } from '../helpers/memory-io.js';
import { runCli } from '../helpers/cli-process.js';
import { tempDir, waitFor } from '../helpers/tmp.js';
import { acct, api, bytes, createUpload, partHeaders, putPart } from './helpers.js';

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

const KIB = 1024;
// The first chunk read from a socket (up to 64 KiB) can arrive before any hold: allow for it.
const FIRST_CHUNK = 64 * KIB;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = Date.now();
  await fn();
  return Date.now() - t;
}

describe('RatePacer', () => {
  it('books bytes on a virtual clock: the hold grows with what was sent beyond the rate', () => {
    const p = new RatePacer(1000);
    expect(p.take(500, 0)).toBe(500);
    expect(p.take(500, 0)).toBe(1000);
    expect(p.take(100, 2000)).toBe(100);
    expect(() => new RatePacer(0)).toThrow(RangeError);
  });
});

describe('rate caps', () => {
  it('a per-connection cap paces one part body', async () => {
    const rate = 256 * KIB;
    emu = await startEmulator({ rateLimits: false, partSizeTarget: 1024 * KIB, connectionBytesPerSecond: rate });
    const size = 512 * KIB;
    const up = await createUpload(emu, 'a.mov', size);
    const data = bytes(size);
    const ms = await timed(async () => expect((await putPart(up.upload_urls[0].url, data, partHeaders(up.media_type))).status).toBe(200));
    expect(ms).toBeGreaterThanOrEqual(((size - FIRST_CHUNK) / rate) * 1000 * 0.9);
    expect((await emu.readFile(up.id)).equals(data)).toBe(true);
  });

  it('a link cap is shared: two connections in parallel take as long as their sum', async () => {
    const rate = 256 * KIB;
    emu = await startEmulator({ rateLimits: false, partSizeTarget: 256 * KIB, linkBytesPerSecond: rate });
    const size = 512 * KIB;
    const up = await createUpload(emu, 'a.mov', size);
    const data = bytes(size);
    const ms = await timed(() =>
      Promise.all(up.upload_urls.map((u: { url: string; size: number }, i: number) => putPart(u.url, data.subarray(i * 256 * KIB, (i + 1) * 256 * KIB), partHeaders(up.media_type)))),
    );
    expect(emu.stats().maxConcurrentPartPuts).toBe(2);
    expect(emu.file(up.id)!.uploadComplete).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(((size - 2 * FIRST_CHUNK) / rate) * 1000 * 0.9);
  });
});

describe('round trip', () => {
  it('adds the delay to every answer', async () => {
    emu = await startEmulator({ rateLimits: false, roundTripMs: 150 });
    const ms = await timed(async () => {
      for (let i = 0; i < 3; i++) expect((await api(emu!, 'GET', `${acct(emu!)}/folders/${emu!.rootFolderId}`)).status).toBe(200);
    });
    expect(ms).toBeGreaterThanOrEqual(3 * 150);
  });

  it('`frameio-agent emulator --round-trip` passes it on; a bad rate is a usage error', async () => {
    const { dir, cleanup } = await tempDir('fia-shape-');
    const proc = runCli(['emulator', '--json', '--round-trip', '300', '--link-rate', '10M', '--connection-rate', '512k'], { cwd: dir });
    try {
      await proc.waitForOutput(/"apiUrl"/);
      const info = JSON.parse(proc.stdout().trim().split('\n')[0]!) as { url: string };
      const ms = await timed(async () => expect((await fetch(`${info.url}/__emulator/stats`)).status).toBe(200));
      expect(ms).toBeGreaterThanOrEqual(300);
      const io = memoryIO({}, dir);
      expect(await main(['emulator', '--link-rate', 'fast'], io)).toBe(2);
      expect(io.stderrText()).toMatch(/--link-rate expects bytes per second \(e\.g\. 512k, 10M\), got 'fast'/);
    } finally {
      proc.child.kill('SIGTERM');
      await proc.exited;
      await cleanup();
    }
  });
});

describe('assembly lag (statusLagMs, --status-lag)', () => {
  it('counts per file from its own last part', async () => {
    emu = await startEmulator({ rateLimits: false, statusLagMs: 1000 });
    const a = await createUpload(emu, 'a.mov', 10);
    const b = await createUpload(emu, 'b.mov', 10);
    await putPart(a.upload_urls[0].url, bytes(10), partHeaders(a.media_type));
    const aDone = Date.now();
    await waitFor(() => Date.now() >= aDone + 500, { intervalMs: 20 });
    await putPart(b.upload_urls[0].url, bytes(10), partHeaders(b.media_type));
    const status = async (id: string): Promise<boolean> => (await api(emu!, 'GET', `${acct(emu!)}/files/${id}/status`)).json.data.upload_complete;
    expect(await status(a.id)).toBe(false);
    await waitFor(() => status(a.id), { intervalMs: 50 });
    expect(Date.now() - aDone).toBeGreaterThanOrEqual(1000);
    // b's last part came 500 ms later: it is still being assembled.
    expect(await status(b.id)).toBe(false);
    await waitFor(() => status(b.id), { intervalMs: 50 });
  });
});
