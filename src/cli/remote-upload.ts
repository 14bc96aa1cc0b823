// `frameio-agent remote-upload <url> --name <name> --folder <id>`: Frame.io fetches the file itself.
import { waitForUpload } from '../pipeline/verify.js';
import { realClock } from '../util/clock.js';
import { cliLogger } from './cli-logger.js';
import { openConnection, resolveAccountId, type ConnectionFlags } from './connection.js';
import { EXIT, UsageError } from './exit.js';
import { out, type CliIO } from './io.js';
import type { AgentConfig } from '../config/types.js';

export async function remoteUploadCommand(
  args: ConnectionFlags & { url?: string; name?: string; folder?: string; wait?: boolean; config?: AgentConfig },
  io: CliIO,
): Promise<number> {
  if (!args.url) throw new UsageError('remote-upload: give the source URL, e.g. `frameio-agent remote-upload https://example.com/clip.mov --name clip.mov --folder <id>`');
  let source: URL;
  try {
    source = new URL(args.url);
  } catch {
    throw new UsageError(`remote-upload: '${args.url}' is not a URL`);
  }
  const name = args.name ?? decodeURIComponent(source.pathname.split('/').pop() ?? '');
  if (!name) throw new UsageError('remote-upload: --name is required when the URL does not end in a file name');
  const logger = cliLogger(io, {});
  const conn = await openConnection({ flags: args, env: io.env, ...(args.config ? { config: args.config } : {}), logger });
  try {
    const folderId = args.folder ?? conn.emulator?.rootFolderId;
    if (!folderId) throw new UsageError('remote-upload: --folder <folder_id> is required (find ids with `frameio-agent ls`)');
    const accountId = await resolveAccountId(conn.client, conn.settings.accountId);
    const file = await conn.client.createRemoteUpload(accountId, folderId, { name, source_url: source.toString() });
    logger.info(`Frame.io is fetching ${source.host}${source.pathname} as ${name} (file ${file.id})`);
    if (args.wait !== false) {
      await waitForUpload(conn.client, accountId, file.id, { timeoutMs: 3600_000, clock: realClock, name, maxIntervalMs: 10_000 });
      logger.info(`${name} is uploaded`);
    }
    out(io, `${name}\t${file.view_url}`);
    return EXIT.ok;
  } finally {
    await conn.close();
    await logger.close();
  }
}
