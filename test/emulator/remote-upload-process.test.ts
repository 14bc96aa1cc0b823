// `frameio-agent emulator --data-dir D` as a real process, fetching 50 MB remote uploads from a
// source that closes the connection after the body. With fetch() (undici) the emulator died of
// an uncatchable `assert(!this.paused)` when the socket ended while its parser was paused by
// the slower disk writes; the process must survive and store every byte.
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIO } from '../helpers/memory-io.js';
import { runCli, type Proc } from '../helpers/cli-process.js';
import { pattern, tempDir } from '../helpers/tmp.js';

let dir: string;
let cleanup: () => Promise<void>;
let emu: Proc;
let source: http.Server;
const bytes = pattern(50 * 1024 * 1024, 7);

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('fia-remote-'));
  source = http.createServer((_req, res) => {
    // Connection: close makes the source end the socket right after the body (a FIN while the
    // emulator may still be writing earlier chunks to disk).
    res.writeHead(200, { 'content-length': String(bytes.length), connection: 'close' });
    res.end(bytes);
  });
  await new Promise<void>((r) => source.listen(0, '127.0.0.1', r));
  emu = runCli(['emulator', '--data-dir', path.join(dir, 'D'), '--json'], { cwd: dir });
  await emu.waitForOutput(/"rootFolderId"/);
});

afterAll(async () => {
  if (emu.child.exitCode === null) {
    emu.child.kill('SIGTERM');
    await emu.exited;
  }
  source.close();
  await cleanup();
});

it('stores 50 MB remote uploads from a closing source and keeps running', async () => {
  const info = JSON.parse(emu.stdout().trim().split('\n')[0]!) as { url: string; apiUrl: string; token: string; rootFolderId: string };
  const port = (source.address() as { port: number }).port;
  for (let i = 1; i <= 3; i++) {
    const io = memoryIO({ FRAMEIO_API_URL: info.apiUrl, FRAMEIO_TOKEN: info.token }, dir);
    const code = await main(['remote-upload', `http://127.0.0.1:${port}/big.mov`, '--name', `big${i}.mov`, '--folder', info.rootFolderId], io);
    expect(code, `${io.stderrText()}\nemulator stderr:\n${emu.stderr()}`).toBe(0);
    expect(emu.child.exitCode, emu.stderr()).toBeNull();
  }
  const files = (await (await fetch(`${info.url}/__emulator/files`)).json()) as Array<{ id: string; name: string; fileSize: number; uploadComplete: boolean }>;
  expect(files.map((f) => [f.name, f.fileSize, f.uploadComplete])).toEqual([1, 2, 3].map((i) => [`big${i}.mov`, bytes.length, true]));
  for (const f of files) expect((await fs.readFile(path.join(dir, 'D', `${f.id}.bin`))).equals(bytes)).toBe(true);
  expect(emu.stderr()).not.toMatch(/AssertionError/);
});
