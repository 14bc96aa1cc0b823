// `frameio-agent upload <file…> --folder <id>`: upload files now, with a progress bar each,
// confirm each with the status call, print each view_url. Exit non-zero if any failed.
import fs from 'node:fs/promises';
import path from 'node:path';
import { FrameioUploader, createTransfers, loggedBandwidthSchedule, type BandwidthSchedule, type Timetable } from '../upload/index.js';
import { waitForUpload } from '../pipeline/verify.js';
import { answerMayBeLost, classifyNetworkError } from '../frameio/errors.js';
import { realClock } from '../util/clock.js';
import { formatBytes, formatDuration, formatRate } from '../util/format.js';
import { ProgressView } from './progress.js';
import { cliLogger } from './cli-logger.js';
import { openConnection, resolveAccountId } from './connection.js';
import { EXIT, UsageError } from './exit.js';
import { onInterrupt, type Interrupt } from './interrupt.js';
import { out, type CliIO } from './io.js';
import { placeholdersOf } from '../pipeline/orphans.js';
import type { FrameioClient } from '../frameio/index.js';
import type { Logger } from '../util/logger.js';
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
  /** --bwlimit: overrides the config's upload.bandwidth. */
  bandwidth?: Timetable;
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
  let interrupt: Interrupt | undefined;
  let schedule: BandwidthSchedule | undefined;
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
    // One scheduler for the batch, as in the agent: files take turns for part slots.
    // --workers is per file here, as in the Python SDK: the batch may have that many per file in flight.
    const transfers = createTransfers({ maxWorkers: (args.workers ?? 5) * (args.parallelFiles ?? 2), maxFiles: args.parallelFiles ?? 2 });
    const { scheduler } = transfers;
    // The same limit as the agent's (the office uplink is the same), or --bwlimit's.
    schedule = loggedBandwidthSchedule(args.bandwidth ?? args.config?.upload.bandwidth, transfers.budget, { clock: realClock, logger });
    let failed = 0;
    // Placeholders made in Frame.io whose parts are not all stored yet: on Ctrl-C they are
    // deleted, or they would sit in Frame.io as empty `created` files that nothing resumes.
    const unfinished = new Map<string, { name: string; fileId?: string; since: number; size: number }>();
    interrupt = onInterrupt(() => logger.warn('Interrupted: stopping the uploads and removing unfinished ones from Frame.io (Ctrl-C again to exit at once)'));
    const signal = interrupt.signal;
    await Promise.all(
      files.map((f) =>
        scheduler.runFile(async () => {
          const name = path.basename(f.path);
          const started = Date.now();
          if (signal.aborted) return;
          const entry: { name: string; fileId?: string; since: number; size: number } = { name, since: Date.now(), size: f.size };
          unfinished.set(f.path, entry);
          try {
            const created = await conn.client.createLocalUpload(accountId, folderId, { name, file_size: f.size }, { signal });
            entry.fileId = created.id;
            logger.info(`uploading ${name} ${formatBytes(f.size)} (file ${created.id})`);
            progress.start(f.path, name, f.size, 0);
            await new FrameioUploader(created, f.path, {
              maxWorkers: args.workers ?? 5,
              scheduler,
              maxRetries: args.retries ?? 3,
              expect: { size: f.size, mtimeMs: f.mtimeMs },
              logger,
              signal,
              onBytes: (sent) => progress.update(f.path, sent),
            }).upload();
            // Every part is stored: Frame.io completes it whether or not we wait.
            unfinished.delete(f.path);
            progress.end(f.path);
            await waitForUpload(conn.client, accountId, created.id, { timeoutMs: 600_000, clock: realClock, name, signal });
            const ms = Date.now() - started;
            logger.info(`uploaded ${name} ${formatBytes(f.size)} in ${formatDuration(ms)} (${formatRate((f.size * 1000) / Math.max(1, ms))})`);
            progress.around(() => out(io, `${name}\t${created.view_url}`));
          } catch (e) {
            progress.end(f.path);
            if (signal.aborted) return;
            const ae = classifyNetworkError(e, `upload of ${name}`);
            // Bad credentials fail every file alike: stop with the auth exit code.
            if (ae.kind === 'fatal') throw ae;
            failed++;
            logger.error(`failed ${name}: ${ae.message}`);
            // Nothing resumes a failed command-line upload: its placeholder (or the one a create
            // call made before its answer was lost) would only sit empty in Frame.io.
            if (unfinished.delete(f.path) && (entry.fileId || answerMayBeLost(e))) await removeUnfinished(conn.client, accountId, folderId, [entry], logger);
          }
        }),
      ),
    );
    if (signal.aborted) {
      await removeUnfinished(conn.client, accountId, folderId, [...unfinished.values()], logger);
      logger.warn('Interrupted: files not uploaded can be sent again with the same command');
      return EXIT.interrupted;
    }
    if (failed > 0) logger.error(`${failed} of ${files.length} file(s) failed`);
    if (conn.emulator) logger.info('(the built-in emulator stops with this command, and its view URLs with it; `frameio-agent emulator` runs one that stays up)');
    return failed > 0 ? EXIT.failed : EXIT.ok;
  } finally {
    schedule?.close();
    interrupt?.dispose();
    await conn.close();
    await logger.close();
  }
}

/**
 * After Ctrl-C: delete the placeholder of every upload that did not store all its parts. A
 * create call cut off mid-flight may have made one we never heard of: look for it by name, size
 * and the moment the call started.
 */
async function removeUnfinished(
  client: FrameioClient,
  accountId: string,
  folderId: string,
  uploads: Array<{ name: string; fileId?: string; since: number; size: number }>,
  logger: Logger,
): Promise<void> {
  if (uploads.length === 0) return;
  const signal = AbortSignal.timeout(15_000);
  for (const u of uploads) {
    try {
      let ids = u.fileId ? [u.fileId] : [];
      if (!u.fileId) ids = placeholdersOf(await client.listFiles(accountId, folderId, { signal }), { name: u.name, size: u.size, since: u.since });
      for (const id of ids) {
        await client.deleteFile(accountId, id, { signal });
        logger.warn(`removed the unfinished upload of ${u.name} from Frame.io (file ${id})`);
      }
    } catch (e) {
      const ae = classifyNetworkError(e, `remove the unfinished upload of ${u.name}`);
      logger.error(`${ae.message}; an empty placeholder may remain in Frame.io${u.fileId ? ` (file ${u.fileId})` : ''}`);
    }
  }
}
