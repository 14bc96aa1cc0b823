// The `upload`, `ls` and `check` commands in-process against the emulator over real sockets.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { memoryIO } from '../helpers/memory-io.js';
import { pattern, tempDir } from '../helpers/tmp.js';

let emu: Emulator;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('fia-cli-'));
  emu = await startEmulator({ dataDir: path.join(dir, 'emu'), partSizeTarget: 256 * 1024 });
});
afterAll(async () => {
  await emu.close();
  await cleanup();
});

const envFor = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ FRAMEIO_API_URL: emu.apiUrl, FRAMEIO_TOKEN: emu.token, ...extra });

describe('frameio-agent upload', () => {
  it('uploads files byte-identical, prints each view_url, exits 0', async () => {
    const a = path.join(dir, 'a.mov');
    const b = path.join(dir, 'empty.txt');
    await fs.writeFile(a, pattern(1_000_000, 11));
    await fs.writeFile(b, '');
    const io = memoryIO(envFor(), dir);
    const code = await main(['upload', 'a.mov', 'empty.txt', '--folder', emu.rootFolderId], io);
    expect(code, io.stderrText()).toBe(0);
    const lines = io.stdoutText().trim().split('\n').sort();
    expect(lines).toHaveLength(2);
    for (const name of ['a.mov', 'empty.txt']) {
      const f = emu.files().find((x) => x.name === name)!;
      expect(f.uploadComplete).toBe(true);
      expect(lines.some((l) => l === `${name}\t${emu.url}/view/${f.id}`)).toBe(true);
    }
    const fa = emu.files().find((x) => x.name === 'a.mov')!;
    expect(fa.partCount).toBeGreaterThan(1);
    expect((await emu.readFile(fa.id)).equals(pattern(1_000_000, 11))).toBe(true);
    expect(io.stderrText()).toMatch(/uploaded a\.mov/);
    // Not a terminal: no cursor-control sequences in the output.
    expect(io.stderrText()).not.toMatch(/\x1b\[/);
  });

  it('prints a progress bar per file on a terminal', async () => {
    const a = path.join(dir, 'bar.mov');
    await fs.writeFile(a, pattern(2_000_000, 12));
    const io = memoryIO(envFor(), dir);
    Object.assign(io.stderr, { isTTY: true, columns: 120 });
    const code = await main(['upload', 'bar.mov', '--folder', emu.rootFolderId], io);
    expect(code, io.stderrText()).toBe(0);
    expect(io.stderrText()).toMatch(/bar\.mov\s+\[[#-]{24}\]\s+\d+% .*MB\/s ETA/);
  });

  it('--bwlimit holds the upload to the limit (as upload.bandwidth in the config would), and a bad one is a usage error', async () => {
    const size = 2_560_000;
    await fs.writeFile(path.join(dir, 'slow.mov'), pattern(size, 13));
    const io = memoryIO(envFor(), dir);
    const t0 = performance.now();
    const code = await main(['upload', 'slow.mov', '--folder', emu.rootFolderId, '--bwlimit', '1MB/s'], io);
    const ms = performance.now() - t0;
    expect(code, io.stderrText()).toBe(0);
    expect(io.stderrText()).toMatch(/upload bandwidth limit: 1 MB\/s/);
    // At most one read (1 MiB at this rate) plus 50 ms of the rate goes before the limit paces.
    expect(ms).toBeGreaterThanOrEqual(((size - 1_048_576 - 50_000) / 1_000_000) * 1000 * 0.95);
    expect((await emu.readFile(emu.files().find((x) => x.name === 'slow.mov')!.id)).equals(pattern(size, 13))).toBe(true);
    const bad = memoryIO(envFor(), dir);
    expect(await main(['upload', 'slow.mov', '--folder', emu.rootFolderId, '--bwlimit', '20MB'], bad)).toBe(2);
    expect(bad.stderrText()).toMatch(/--bwlimit: .*20MB/);
  });

  it('a missing file is a usage error (exit 2) naming the file, and nothing is uploaded', async () => {
    const before = emu.files().length;
    const io = memoryIO(envFor(), dir);
    await fs.writeFile(path.join(dir, 'ok.mov'), 'x');
    const code = await main(['upload', 'ok.mov', 'nope.mov', '--folder', emu.rootFolderId], io);
    expect(code).toBe(2);
    expect(io.stderrText()).toMatch(/nope\.mov: no such file/);
    expect(emu.files().length).toBe(before);
  });

  it('a refused token exits 3 with Frame.io’s message and never prints the token', async () => {
    await fs.writeFile(path.join(dir, 't.mov'), 'x');
    const io = memoryIO(envFor({ FRAMEIO_TOKEN: 'wrong-token-abcdef123456' }), dir);
    const code = await main(['upload', 't.mov', '--folder', emu.rootFolderId, '--account', emu.accountId], io);
    expect(code).toBe(3);
    expect(io.stderrText()).toMatch(/Invalid or missing authorization token/);
    expect(io.stderrText()).not.toContain('wrong-token-abcdef123456');
  });

  it('an unknown folder exits 1 with the 404 detail', async () => {
    await fs.writeFile(path.join(dir, 'f.mov'), 'x');
    const io = memoryIO(envFor(), dir);
    const code = await main(['upload', 'f.mov', '--folder', '00000000-0000-4000-8000-000000000000'], io);
    expect(code).toBe(1);
    expect(io.stderrText()).toMatch(/failed f\.mov: .*404/);
  });

  it('a failed upload removes its placeholder and says so (nothing would resume it)', async () => {
    await fs.writeFile(path.join(dir, 'exp.mov'), pattern(1000, 8));
    emu.inject({ target: 'part', kind: 'expired' });
    const io = memoryIO(envFor(), dir);
    const code = await main(['upload', 'exp.mov', '--folder', emu.rootFolderId], io);
    expect(code).toBe(1);
    const placeholder = emu.files().find((f) => f.name === 'exp.mov')!;
    expect(placeholder.deleted).toBe(true);
    expect(io.stderrText()).toContain(`removed the unfinished upload of exp.mov from Frame.io (file ${placeholder.id})`);
  });

  it('without credentials says how to provide them (exit 2)', async () => {
    await fs.writeFile(path.join(dir, 'n.mov'), 'x');
    const io = memoryIO({}, dir);
    const code = await main(['upload', 'n.mov', '--folder', 'x'], io);
    expect(code).toBe(2);
    expect(io.stderrText()).toMatch(/FRAMEIO_TOKEN/);
    expect(io.stderrText()).toMatch(/--emulator/);
  });

  it('--emulator uploads to a built-in emulator without any credentials', async () => {
    await fs.writeFile(path.join(dir, 'demo.mov'), pattern(10_000, 3));
    const io = memoryIO({}, dir);
    const code = await main(['upload', 'demo.mov', '--emulator'], io);
    expect(code, io.stderrText()).toBe(0);
    expect(io.stdoutText()).toMatch(/^demo\.mov\thttp:\/\/127\.0\.0\.1:\d+\/view\//);
  });
});

describe('frameio-agent ls', () => {
  it('lists accounts, workspaces, projects and folders with their ids', async () => {
    const sub = emu.createFolder(emu.rootFolderId, 'Dailies');
    const io = memoryIO(envFor(), dir);
    const code = await main(['ls'], io);
    expect(code, io.stderrText()).toBe(0);
    const text = io.stdoutText();
    expect(text).toContain(`account_id: ${emu.accountId}`);
    expect(text).toContain(`workspace_id: ${emu.workspaceId}`);
    expect(text).toContain(`project_id: ${emu.projectId}`);
    expect(text).toContain(`(root)/  folder_id: ${emu.rootFolderId}`);
    expect(text).toContain(`Dailies/  folder_id: ${sub.id}`);
  });
});

describe('command line', () => {
  it('an unknown option is a usage error (exit 2)', async () => {
    const io = memoryIO(envFor(), dir);
    expect(await main(['upload', '--folderr', 'x'], io)).toBe(2);
    expect(io.stderrText()).toMatch(/folderr/);
  });
  it('an unknown command is a usage error (exit 2)', async () => {
    const io = memoryIO({}, dir);
    expect(await main(['uplaod'], io)).toBe(2);
    expect(io.stderrText()).toMatch(/unknown command 'uplaod'/);
  });
});

describe('frameio-agent remote-upload', () => {
  it('has Frame.io fetch a URL, waits for it, and prints the view_url', async () => {
    const http = await import('node:http');
    const bytes = pattern(50_000, 21);
    const source = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(bytes.length) });
      res.end(bytes);
    });
    await new Promise<void>((r) => source.listen(0, '127.0.0.1', r));
    const port = (source.address() as { port: number }).port;
    try {
      const io = memoryIO(envFor(), dir);
      const code = await main(['remote-upload', `http://127.0.0.1:${port}/media/remote.mov`, '--folder', emu.rootFolderId], io);
      expect(code, io.stderrText()).toBe(0);
      const f = emu.files().find((x) => x.name === 'remote.mov')!;
      expect(f.uploadComplete).toBe(true);
      expect((await emu.readFile(f.id)).equals(bytes)).toBe(true);
      expect(io.stdoutText()).toBe(`remote.mov\t${emu.url}/view/${f.id}\n`);
    } finally {
      source.close();
    }
  });

  it('refuses a string that is not a URL (exit 2)', async () => {
    const io = memoryIO(envFor(), dir);
    expect(await main(['remote-upload', 'not a url', '--folder', emu.rootFolderId], io)).toBe(2);
    expect(io.stderrText()).toMatch(/'not a url' is not a URL/);
  });
});
