// `frameio-agent upload` as a real child process, sent SIGINT mid-upload: it deletes the
// placeholder of the unfinished upload, says so, and exits 130, leaving nothing in Frame.io.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { runCli } from '../helpers/cli-process.js';
import { pattern, tempDir, waitFor } from '../helpers/tmp.js';

let emu: Emulator;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('fia-int-'));
  // Small slow parts: the upload takes several seconds, so the signal lands mid-upload.
  emu = await startEmulator({ rateLimits: false, partSizeTarget: 64 * 1024, partLatencyMs: 300 });
});
afterAll(async () => {
  await emu.close();
  await cleanup();
});

it('Ctrl-C mid-upload removes the placeholder, says so and exits 130', async () => {
  await fs.writeFile(path.join(dir, 'clip.mov'), pattern(3 * 1024 * 1024, 9));
  const proc = runCli(['upload', 'clip.mov', '--folder', emu.rootFolderId, '--workers', '2'], {
    cwd: dir,
    env: { FRAMEIO_API_URL: emu.apiUrl, FRAMEIO_TOKEN: emu.token },
  });
  await proc.waitForOutput(/uploading clip\.mov .*\(file [0-9a-f-]{36}\)/);
  const fileId = /\(file ([0-9a-f-]{36})\)/.exec(proc.stderr() + proc.stdout())![1]!;
  await waitFor(() => (emu.file(fileId)?.partsReceived ?? 0) >= 1, { what: 'a stored part' });
  expect(emu.file(fileId)!.uploadComplete).toBe(false);
  proc.child.kill('SIGINT');
  const { code } = await proc.exited;
  const said = proc.stderr() + proc.stdout();
  expect(code, said).toBe(130);
  expect(said).toContain(`removed the unfinished upload of clip.mov from Frame.io (file ${fileId})`);
  expect(emu.file(fileId)!.deleted).toBe(true);
  expect(emu.files().filter((f) => !f.deleted)).toEqual([]);
});
