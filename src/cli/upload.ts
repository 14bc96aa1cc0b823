// `frameio-agent upload <file…> --folder <id>`: upload files now, with a progress bar each,
// confirm each with the status call, print each view_url. Exit non-zero if any failed.
import fs from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import { FrameioUploader } from '../upload/index.js';
import { waitForUpload } from '../pipeline/verify.js';
import { classifyNetworkError } from '../frameio/errors.js';
import { realClock } from '../util/clock.js';
import { formatBytes, formatDuration, formatRate } from '../util/format.js';
import { ProgressView } from './progress.js';
import { cliLogger } from './cli-logger.js';
import { openConnection, resolveAccountId } from './connection.js';
import { EXIT, UsageError } from './exit.js';
import { out, type CliIO } from './io.js';
import type { AgentConfig } from '../config/types.js';

export interface UploadArgs {
  files: string[];
  folder?: string;
  account?: string;
  token?: string;
  tokenFile?: string;
  apiUrl?: string;
  emulator?: boolean;
  workers?: number;
  retries?: number;
  parallelFiles?: number;
  config?: AgentConfig;
}

export async function uploadCommand(args: UploadArgs, io: CliIO): Promise<number> {
  if (args.files.length === 0) throw new UsageError('upload: name at least one file, e.g. `frameio-agent upload clip.mov --folder <folder_id>`');
  const progress = new ProgressView({ stream: io.stderr, tty: Boolean(io.stderr.isTTY) });
  const logger = cliLogger(io, { progress });
  const conn = await openConnection({
    flags: { ...(args.apiUrl ? { apiUrl: args.apiUrl } : {}), ...(args.account ? { account: args.account } : {}), ...(args.token ? { token: args.token } : {}), ...(args.tokenFile ? { tokenFile: args.tokenFile } : {}), ...(args.emulator ? { emulator: true } : {}) },
    env: io.env,
    ...(args.config ? { config: args.config } : {}),
    logger,
  });
  try {
    const folderId = args.folder ?? (conn.emulator ? conn.emulator.rootFolderId : undefined);
    if (!folderId) throw new UsageError('upload: --folder <folder_id> is required (find ids with `frameio-agent ls`)');
    const accountId = await resolveAccountId(conn.client, conn.settings.accountId);
    // Check every file before sending anything: a typo should not leave half a batch uploaded.
    const files: Array<{ path: string; size: number; mtimeMs: number }> = [];
    for (const f of args.files) {
      const abs = path.resolve(io.cwd, f);
      let st;
      try {
        st = await fs.stat(abs);
      } catch (e) {
        throw new UsageError(`upload: cannot read ${f}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
      }
      if (!st.isFile()) throw new UsageError(`upload: ${f} is not a regular file`);
      files.push({ path: abs, size: st.size, mtimeMs: st.mtimeMs });
    }
    const limit = pLimit(args.parallelFiles ?? 2);
    let failed = 0;
    await Promise.all(
      files.map((f) =>
        limit(async () => {
          const name = path.basename(f.path);
          const started = Date.now();
          try {
            const created = await conn.client.createLocalUpload(accountId, folderId, { name, file_size: f.size });
            progress.start(f.path, name, f.size);
            await new FrameioUploader(created, f.path, {
              maxWorkers: args.workers ?? 5,
              maxRetries: args.retries ?? 3,
              expect: { size: f.size, mtimeMs: f.mtimeMs },
              logger,
              onBytes: (sent) => progress.update(f.path, sent),
            }).upload();
            progress.end(f.path);
            await waitForUpload(conn.client, accountId, created.id, { timeoutMs: 600_000, clock: realClock, name });
            const ms = Date.now() - started;
            logger.info(`uploaded ${name} ${formatBytes(f.size)} in ${formatDuration(ms)} (${formatRate((f.size * 1000) / Math.max(1, ms))})`);
            progress.around(() => out(io, `${name}\t${created.view_url}`));
          } catch (e) {
            progress.end(f.path);
            const ae = classifyNetworkError(e, `upload of ${name}`);
            // Bad credentials fail every file alike: stop with the auth exit code.
            if (ae.kind === 'fatal') throw ae;
            failed++;
            logger.error(`failed ${name}: ${ae.message}`);
          }
        }),
      ),
    );
    if (failed > 0) logger.error(`${failed} of ${files.length} file(s) failed`);
    if (conn.emulator) logger.info('(the built-in emulator stops with this command, and its view URLs with it; `frameio-agent emulator` runs one that stays up)');
    return failed > 0 ? EXIT.failed : EXIT.ok;
  } finally {
    await conn.close();
    await logger.close();
  }
}
